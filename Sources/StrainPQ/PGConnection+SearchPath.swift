/// A session that runs its own SQL on a server whose databases and roles others may own: the
/// diagnoser's catalog reads, `verify`'s checks. A database's or role's `search_path` can put a schema
/// ahead of pg_catalog, whose functions, operators and views would then stand in for the built-ins
/// those statements name, and run with this session's privileges (CVE-2018-1058): `COPY … TO
/// PROGRAM` when it is a superuser. With an empty path only pg_catalog resolves names.
extension PGConnection {
    /// Empties the session's search path and returns the one it had, which
    /// `setSearchPathForThisTransaction` lends back to statements that name the application's tables as
    /// the application writes them. `marker` (a comment) starts each statement sent.
    public func isolateFromSearchPath(marker: String = "") throws -> String {
        // Qualified: until the path is empty, an unqualified name may not be the built-in.
        let path = try execute("\(marker) SELECT pg_catalog.current_setting('search_path') AS path").value(row: 0, column: "path") ?? ""
        try execute("\(marker) SELECT pg_catalog.set_config('search_path', '', false)")
        return path
    }

    /// Sets the search path to `path` for the rest of the current transaction (it reverts at its end).
    public func setSearchPathForThisTransaction(_ path: String, marker: String = "") throws {
        try execute("\(marker) SELECT pg_catalog.set_config('search_path', $1, true)", parameters: [path])
    }
}

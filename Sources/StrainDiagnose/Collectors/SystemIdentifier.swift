import StrainPQ

extension PGConnection {
    /// The cluster's `system_identifier`: two servers whose databases share a name still differ
    /// in it. Nil where `pg_control_system()` is not granted (some managed services revoke it).
    public func systemIdentifier() -> String? {
        try? execute("\(PostgresCollector.marker) SELECT system_identifier::text AS id FROM pg_control_system()")
            .value(row: 0, column: "id")
    }
}

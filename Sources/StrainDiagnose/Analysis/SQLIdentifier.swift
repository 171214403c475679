import StrainContract

/// Identifiers written into generated SQL (fixes such as CREATE INDEX), quoted like PostgreSQL's
/// `quote_ident`: table and column names are database contents, so they never reach a fix as
/// bare text unless they are plain lower-case names that are not keywords.
public enum SQLIdentifier {
    /// `orders` → `orders`, `Orders` → `"Orders"`, `a"b` → `"a""b"`, `select` → `"select"`; a name
    /// with a control character (or a bidirectional override) in the Unicode-escape form, `tab<LF>x` →
    /// `U&"tab\000ax"`, so a fix is one printable line that runs as printed, wherever it is shown.
    public static func quoted(_ name: String) -> String {
        let plain = name.first.map { $0 == "_" || ("a"..."z").contains($0) } == true
            && name.allSatisfy { $0 == "_" || $0 == "$" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        if plain && !keywords.contains(name) { return name }
        let doubled = name.replacing("\"", with: "\"\"")
        guard name.unicodeScalars.contains(where: TerminalText.isControlInOneLine) else { return "\"" + doubled + "\"" }
        var escaped = ""
        for scalar in doubled.unicodeScalars {
            if scalar == "\\" {
                escaped += "\\\\"
            } else if TerminalText.isControlInOneLine(scalar) {
                // Control characters and bidirectional controls are all at most U+2069: four hex digits suffice.
                let hex = String(scalar.value, radix: 16)
                escaped += "\\" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return "U&\"" + escaped + "\""
    }

    /// `schema.name` with each part quoted; just the name when the schema is not known.
    public static func qualified(_ schema: String?, _ name: String) -> String {
        (schema.map { quoted($0) + "." } ?? "") + quoted(name)
    }

    /// The text of an identifier as a VERBOSE plan prints it (`"Email"` or `email`), unquoted.
    static func unquoted(_ text: some StringProtocol) -> String {
        guard text.count >= 2, text.first == "\"", text.last == "\"" else { return String(text) }
        return String(text.dropFirst().dropLast()).replacing("\"\"", with: "\"")
    }

    /// PostgreSQL's keywords that quote_ident quotes: every category but unreserved
    /// (`pg_get_keywords()` where `catcode <> 'U'`; a test compares the list with the server's).
    /// Quoting a word that needs no quotes is harmless, so the list may hold a few more.
    static let keywords: Set<String> = [
        // reserved
        "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast", "check",
        "collate", "column", "constraint", "create", "current_catalog", "current_date", "current_role", "current_time",
        "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except",
        "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in", "initially", "intersect", "into",
        "lateral", "leading", "limit", "localtime", "localtimestamp", "not", "null", "offset", "on", "only", "or", "order",
        "placing", "primary", "references", "returning", "select", "session_user", "some", "symmetric", "system_user",
        "table", "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic", "when", "where",
        "window", "with",
        // type or function names
        "authorization", "binary", "collation", "concurrently", "cross", "current_schema", "freeze", "full", "ilike",
        "inner", "is", "isnull", "join", "left", "like", "natural", "notnull", "outer", "overlaps", "right", "similar",
        "tablesample", "verbose",
        // column names
        "between", "bigint", "bit", "boolean", "char", "character", "coalesce", "dec", "decimal", "exists", "extract",
        "float", "greatest", "grouping", "inout", "int", "integer", "interval", "json", "json_array", "json_arrayagg",
        "json_exists", "json_object", "json_objectagg", "json_query", "json_scalar", "json_serialize", "json_table",
        "json_value", "least", "merge_action", "national", "nchar", "none", "normalize", "nullif", "numeric", "out",
        "overlay", "position", "precision", "real", "row", "setof", "smallint", "substring", "time", "timestamp", "treat",
        "trim", "values", "varchar", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest",
        "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable",
    ]
}

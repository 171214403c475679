/// What identifies a statement whatever literals a client put into it. Clients that interpolate
/// parameters themselves (psycopg2, PDO's emulated prepares, many ORMs) send one code path's
/// statement with different literals every time, so sessions are grouped by fingerprint, never
/// by text.
public enum StatementFingerprint {
    /// `query_id` when the server computed it (`compute_query_id`), else the normalised text.
    public static func of(_ session: SessionState) -> String {
        of(query: session.query, queryID: session.queryID)
    }

    public static func of(query: String, queryID: Int64?) -> String {
        queryID.map { "query_id \($0)" } ?? "text \(normalised(query))"
    }

    /// The text lower-cased (quoted identifiers kept), whitespace collapsed, every constant and
    /// parameter (numbers, '…', E'…', U&'…', $$…$$, $n) replaced by `?`, IN-lists by one `?`.
    public static func normalised(_ sql: String) -> String {
        var output = ""
        var rest = Substring(sql)
        var previous: Character = " "
        while let character = rest.first {
            let startsWord = !(previous.isLetter || previous.isNumber || previous == "_" || previous == "$")
            if character == "\"", let end = rest.dropFirst().firstRange(of: "\"")?.upperBound {
                output += rest[..<end]
                rest = rest[end...]
            } else if let parameter = rest.prefixMatch(of: /\$\d+/), startsWord {
                output += "?"
                rest = rest[parameter.range.upperBound...]
            } else if startsWord, character == "'" || "eEuU$".contains(character),
                      let end = SQLLiterals.endOfStringLiteral(rest) {
                output += "?"
                rest = rest[end...]
            } else if startsWord, let number = rest.prefixMatch(of: /\d+(?:\.\d*)?(?:[eE][+-]?\d+)?/) {
                output += "?"
                rest = rest[number.range.upperBound...]
            } else {
                output += character.isWhitespace ? " " : character.lowercased()
                rest = rest.dropFirst()
            }
            previous = output.last ?? " "
        }
        return output.split(separator: " ").joined(separator: " ")
            .replacing(/\bin \( ?\?(?: ?, ?\?)* ?\)/, with: "in (?)")
    }
}

/// String literals in SQL text: where one ends, and masking the passwords in them. In the contract
/// because evidence masks passwords as SQL text enters it.
public enum SQLLiterals {
    static let passwordMask = "'***'"

    /// `sql` with every password literal masked. Utility statements (`ALTER ROLE … PASSWORD '…'`,
    /// `CREATE USER … PASSWORD $$…$$`) reach pg_stat_statements and pg_stat_activity verbatim, and
    /// clients that interpolate parameters put `password = '…'` there too. Every spelling of a
    /// string literal counts: '…', E'…', U&'…' (with UESCAPE), $$…$$ and $tag$…$tag$; a literal
    /// left open is masked to the end of the text.
    public static func scrubbingPasswords(_ sql: String) -> String {
        var scrubbed = ""
        var rest = Substring(sql)
        while let keyword = rest.firstMatch(of: /(?i)\w*password\w*\s*=?\s*/) {
            scrubbed += rest[..<keyword.range.upperBound]
            rest = rest[keyword.range.upperBound...]
            if let end = endOfStringLiteral(rest) {
                scrubbed += passwordMask
                rest = rest[end...]
            }
        }
        return scrubbed + rest
    }

    /// Where the string literal `text` starts with ends (the end of the text when it is never
    /// closed), or nil when `text` does not start with one.
    public static func endOfStringLiteral(_ text: Substring) -> Substring.Index? {
        if let opening = text.prefixMatch(of: /\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$/) {
            return text[opening.range.upperBound...].range(of: opening.output)?.upperBound ?? text.endIndex
        }
        var body = text
        let backslashEscapes = body.first == "E" || body.first == "e"
        if backslashEscapes {
            body = body.dropFirst()
        } else if body.prefix(2).lowercased() == "u&" {
            body = body.dropFirst(2)
        }
        guard body.first == "'" else { return nil }
        var index = body.index(after: body.startIndex)
        while index < body.endIndex {
            if backslashEscapes && body[index] == "\\" {
                index = body.index(index, offsetBy: 2, limitedBy: body.endIndex) ?? body.endIndex
                continue
            }
            let next = body.index(after: index)
            if body[index] == "'" {
                if next < body.endIndex && body[next] == "'" {  // '' inside the literal
                    index = body.index(after: next)
                    continue
                }
                let escape = body[next...].prefixMatch(of: /(?i)\s+UESCAPE\s+'(?:[^']|'')'/)
                return escape?.range.upperBound ?? next
            }
            index = next
        }
        return text.endIndex
    }
}

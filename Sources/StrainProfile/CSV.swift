/// RFC 4180 CSV: comma-separated fields; double quotes wrap fields holding commas, line breaks or
/// quotes (written twice). Blank lines are skipped. Feeders use the first record as the header row.
public enum CSV {
    /// The file's records, stopping after `limit` of them when given (validation only needs the header).
    public static func records(in text: String, limit: Int? = nil) throws(ValueError) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var fieldWasQuoted = false
        var inQuotes = false
        var line = 1
        var quoteLine = 1
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            text.formIndex(after: &index)
            if inQuotes {
                if character == "\"" {
                    if index < text.endIndex, text[index] == "\"" {
                        field.append("\"")
                        text.formIndex(after: &index)
                    } else {
                        inQuotes = false
                    }
                } else {
                    if character.isNewline { line += 1 }
                    field.append(character)
                }
            } else if character == "\"", field.isEmpty, !fieldWasQuoted {
                inQuotes = true
                fieldWasQuoted = true
                quoteLine = line
            } else if character == "," {
                record.append(field)
                field = ""
                fieldWasQuoted = false
            } else if character.isNewline {
                line += 1
                if !record.isEmpty || !field.isEmpty || fieldWasQuoted {
                    records.append(record + [field])
                    if let limit, records.count >= limit { return records }
                }
                record = []
                field = ""
                fieldWasQuoted = false
            } else {
                field.append(character)
            }
        }
        if inQuotes {
            throw ValueError("the quoted field starting on line \(quoteLine) is never closed")
        }
        if !record.isEmpty || !field.isEmpty || fieldWasQuoted {
            records.append(record + [field])
        }
        return records
    }
}

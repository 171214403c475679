/// RFC 4180 CSV: comma-separated fields; double quotes wrap fields holding commas, line breaks or
/// quotes (written twice), and nothing may follow a closing quote but a comma or the line's end (a
/// quote inside an unquoted field is kept as it is). Records end at a line feed, a carriage return or both; blank lines are
/// skipped. Feeders use the first record as the header row.
public enum CSV {
    /// The file's records, stopping after `limit` of them when given (validation only needs the header).
    public static func records(in text: String, limit: Int? = nil) throws(ValueError) -> [[String]] {
        var records: [[String]] = []
        try forEachRecord(in: text) { record in
            records.append(record)
            return limit.map { records.count < $0 } ?? true
        }
        return records
    }

    /// Calls `body` with each record in turn, until it returns false. Nothing else is kept, so a large
    /// file costs its text and what `body` keeps of it. Reads bytes: every delimiter is ASCII.
    public static func forEachRecord(in text: String, _ body: (_ record: [String]) -> Bool) throws(ValueError) {
        var text = text
        let problem: ValueError? = text.withUTF8 { bytes in
            let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lineFeed = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
            var record: [String] = []
            var field: [UInt8] = []
            var fieldWasQuoted = false
            var inQuotes = false
            var line = 1
            var quoteLine = 1
            func endField() {
                record.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                fieldWasQuoted = false
            }
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                let endsLine = byte == lineFeed || byte == carriageReturn
                if endsLine, byte == carriageReturn, index < bytes.count, bytes[index] == lineFeed {
                    if inQuotes { field.append(byte) }
                    continue // the line ends at its line feed
                }
                if inQuotes {
                    if byte == quote {
                        if index < bytes.count, bytes[index] == quote {
                            field.append(quote)
                            index += 1
                        } else {
                            inQuotes = false
                        }
                    } else {
                        if endsLine { line += 1 }
                        field.append(byte)
                    }
                } else if byte == quote, field.isEmpty, !fieldWasQuoted {
                    inQuotes = true
                    fieldWasQuoted = true
                    quoteLine = line
                } else if fieldWasQuoted, byte != comma, !endsLine {
                    // `"x"y` reads as x, xy or an error depending on the parser: refused, not guessed.
                    return ValueError("line \(line): a quoted field goes on after its closing quote; "
                                      + "a quote inside a quoted field is written twice (\"\")")
                } else if byte == comma {
                    endField()
                } else if endsLine {
                    line += 1
                    if !record.isEmpty || !field.isEmpty || fieldWasQuoted {
                        endField()
                        guard body(record) else { return nil }
                    }
                    record.removeAll(keepingCapacity: true)
                } else {
                    field.append(byte)
                }
            }
            if inQuotes { return ValueError("the quoted field starting on line \(quoteLine) is never closed") }
            if !record.isEmpty || !field.isEmpty || fieldWasQuoted {
                endField()
                _ = body(record)
            }
            return nil
        }
        if let problem { throw problem }
    }
}

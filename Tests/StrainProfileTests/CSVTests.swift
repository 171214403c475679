import StrainProfile
import Testing

struct CSVTests {
    @Test("records are read as RFC 4180 writes them", arguments: [
        ("a,b\n1,2\n", [["a", "b"], ["1", "2"]]),
        ("a,b\r\n1,2\r\n", [["a", "b"], ["1", "2"]]),
        ("a,b\r1,2", [["a", "b"], ["1", "2"]]),
        ("a\n\n\r\n1\n", [["a"], ["1"]]),
        ("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n", [["a", "b"], ["x, y", "say \"hi\""]]),
        ("a\n\"two\r\nlines\"\n", [["a"], ["two\r\nlines"]]),
        ("a,b\n,\n\"\"\n", [["a", "b"], ["", ""], [""]]),
        ("név,ár\nkávé,1\n", [["név", "ár"], ["kávé", "1"]]),
        // A quote inside an unquoted field is kept as written (5'10", a common export).
        ("a,b\n5'10\",r\"s\n", [["a", "b"], ["5'10\"", "r\"s"]]),
    ])
    func records(text: String, expected: [[String]]) throws {
        #expect(try CSV.records(in: text) == expected)
    }

    @Test func aLimitStopsReadingEarly() throws {
        #expect(try CSV.records(in: "a\n1\n2\n3\n", limit: 2) == [["a"], ["1"]])
    }

    /// `"x"y` is x, xy or an error depending on the parser: refused with its line, not guessed.
    @Test(arguments: ["a,b\n1,2\n\"x\"y,2\n", "a,b\n1,2\n\"x\" ,2\n", "a,b\n1,2\n2,\"x\"\"\"y\n"])
    func textAfterAClosingQuoteIsRefusedWithItsLine(text: String) {
        let error = #expect(throws: ValueError.self) { try CSV.records(in: text) }
        #expect(error?.message == #"line 3: a quoted field goes on after its closing quote; a quote inside a quoted field is written twice ("")"#)
    }

    @Test func anUnclosedQuoteIsReportedWithTheLineItStartsOn() {
        let error = #expect(throws: ValueError.self) { try CSV.records(in: "a\n1\n\"open\nstill open\n") }
        #expect(error?.message == "the quoted field starting on line 3 is never closed")
    }
}

import Testing
@testable import StrainProfile

struct SourceLocatorTests {
    static let document = """
    // leading comment
    {
      name: 'wörld', /* inline */ "quoted key": 1,
      nested: {
        list: [10, { deep: true, }, ],   // trailing commas
      },
      'single': "x",
      "esc\\u0061ped": 0x1F,
    }
    """

    static func path(_ components: ProfilePath.Component...) -> ProfilePath {
        ProfilePath(components: components)
    }

    @Test(arguments: [
        (path(.key("name")), 3, 3, 3, 9),
        (path(.key("quoted key")), 3, 31, 3, 45),
        (path(.key("nested")), 4, 3, 4, 11),
        (path(.key("nested"), .key("list")), 5, 5, 5, 11),
        (path(.key("nested"), .key("list"), .index(1), .key("deep")), 5, 18, 5, 24),
        (path(.key("single")), 7, 3, 7, 13),
        (path(.key("escaped")), 8, 3, 8, 19),
    ])
    func locatesKeysAndValues(path: ProfilePath, keyLine: Int, keyColumn: Int, valueLine: Int, valueColumn: Int) throws {
        let map = try SourceLocator.map(Self.document)
        #expect(map.position(of: path, at: .key) == SourcePosition(line: keyLine, column: keyColumn))
        #expect(map.position(of: path, at: .value) == SourcePosition(line: valueLine, column: valueColumn))
    }

    @Test func locatesArrayElementsByIndex() throws {
        let map = try SourceLocator.map(Self.document)
        let list = Self.path(.key("nested"), .key("list"))
        #expect(map.position(of: list.appending(0), at: .key) == SourcePosition(line: 5, column: 12))
        #expect(map.position(of: list.appending(1), at: .value) == SourcePosition(line: 5, column: 16))
    }

    @Test func unknownPathsFallBackToTheNearestEnclosingValue() throws {
        let map = try SourceLocator.map(Self.document)
        let missing = Self.path(.key("nested"), .key("list"), .index(1), .key("absent"))
        #expect(map.position(of: missing, at: .key) == SourcePosition(line: 5, column: 16))
        #expect(map.position(of: .root, at: .value) == SourcePosition(line: 2, column: 1))
    }

    @Test func keepsTheOrderKeysWereWrittenIn() throws {
        let map = try SourceLocator.map(Self.document)
        #expect(map.keys(of: .root) == ["name", "quoted key", "nested", "single", "escaped"])
        #expect(map.keys(of: Self.path(.key("nested"))) == ["list"])
    }

    @Test(arguments: ["\n", "\r\n", "\r"])
    func countsEveryKindOfLineBreak(_ lineBreak: String) throws {
        let text = ["{", "  a: 1,", "  b: 2", "}"].joined(separator: lineBreak)
        let map = try SourceLocator.map(text)
        #expect(map.position(of: Self.path(.key("b")), at: .value) == SourcePosition(line: 3, column: 6))
    }

    @Test func decodesEscapesInKeys() throws {
        let map = try SourceLocator.map(#"{ "tab\there": 1, 'it\'s': 2, "\uD83D\uDE00": 3, "caf\u00e9": 4 }"#)
        #expect(map.keys(of: .root) == ["tab\there", "it's", "😀", "café"])
    }

    @Test func acceptsJSON5Literals() throws {
        let map = try SourceLocator.map("{ a: +1, b: -.5, c: 5., d: 0xFF, e: Infinity, f: -NaN, g: 1e-3, h: null, i: 'multi\\\nline' }")
        #expect(map.keys(of: .root)?.count == 9)
    }

    @Test(arguments: [
        ("{ a: 1,, }", 1, 8, "expected a key (a name or a quoted string) or \"}\", found ','"),
        ("{ a: [1 2] }", 1, 9, "expected \",\" or \"]\" after an array element, found '2'"),
        ("{ a: 1 } x", 1, 10, "unexpected 'x' after the end of the document"),
        ("  // only a comment\n", 2, 1, "the file is empty; expected an object like { name:"),
        ("{ a: /* never closed", 1, 6, "unterminated comment"),
        ("{\n  a: 1,\n", 1, 1, "this \"{\" is never closed"),
        ("{ a: [1,\n", 1, 6, "this \"[\" is never closed"),
        ("{ a: yes }", 1, 6, "unquoted text yes; text values need quotes, like \"yes\""),
        ("{ a: 1.2.3 }", 1, 6, "invalid number 1.2.3"),
        ("{ a: 'x\n' }", 1, 6, "unterminated string; it needs a closing ' on the same line"),
        ("{ a: \"\\u12\" }", 1, 11, "invalid escape: expected 4 hex digits, found '\"'"),
        ("{ 1a: 2 }", 1, 3, "expected a key"),
        ("{ a 1 }", 1, 5, "expected \":\" after the key \"a\", found '1'"),
        ("{ é: 1, b: ü }", 1, 12, "unquoted text ü"),
        ("{ path: 'C:\\data' }", 1, 12, "invalid escape: a backslash followed by 'd'; write \\\\ for a backslash"),
        ("{ a: 01 }", 1, 6, "invalid number 01; numbers cannot start with 0"),
        ("{ a: \"tab\there\" }", 1, 10, "control character in a string"),
        // Foundation keeps an escape in an unquoted name as written: n\u0061me would be another key than name.
        ("{ n\\u0061me: 1 }", 1, 4, "a backslash escape in an unquoted name, which would not be decoded; write the name in quotes"),
    ])
    func reportsTheFirstSyntaxError(text: String, line: Int, column: Int, message: String) {
        #expect {
            try SourceLocator.map(text)
        } throws: { error in
            guard let failure = error as? SourceLocator.Failure else { return false }
            return failure.position == SourcePosition(line: line, column: column) && failure.message.hasPrefix(message)
                && failure.keyPath == nil
        }
    }

    @Test func reportsDuplicateKeysWithBothPositions() throws {
        let failure = try #require(throws: SourceLocator.Failure.self) {
            try SourceLocator.map("{\n  a: { b: 1,\n    b: 2 } }")
        }
        #expect(failure.position == SourcePosition(line: 3, column: 5))
        #expect(failure.message == "duplicate key \"b\" (first set at 2:8)")
        #expect(failure.keyPath == Self.path(.key("a"), .key("b")))
    }
}

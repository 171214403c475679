import Testing
@testable import StrainPQ

/// The wire protocol's logic without a server: what it writes for each statement, and what it
/// makes of the server's bytes (in libpq's order, whole or split, well-formed or not).
@Suite("PostgreSQL wire protocol codec")
struct PGWireCodecTests {
    // MARK: What goes out

    @Test("A prepared statement is Bind, a Describe only when asked, Execute, and a Sync outside pipelines")
    func preparedMessages() throws {
        let codec = PGWireCodec()
        try codec.appendPrepared(try PGWireExecution(statement: "s0", parameterCount: 2, describe: false, sync: true), parameters: ["42", nil])
        #expect(Self.messages(codec) == [
            Message("B", Bytes.cString("") + Bytes.cString("s0") + Bytes.int16(0) + Bytes.int16(2)
                    + Bytes.int32(2) + Array("42".utf8) + Bytes.int32(-1) + Bytes.int16(0)),
            Message("E", Bytes.cString("") + Bytes.int32(0)),
            Message("S", []),
        ])
        codec.sent(codec.unsent.count)
        try codec.appendPrepared(try PGWireExecution(statement: "s0", parameterCount: 0, describe: true, sync: false), parameters: [])
        #expect(Self.messages(codec).map(\.type) == ["B", "D", "E"])
        #expect(Self.messages(codec)[1].body == [UInt8(ascii: "P"), 0])
    }

    @Test("An integer parameter is sent as its decimal text, written in place", arguments: [
        0, 7, -7, 42, 100_000, -100_000, 9_999_999_999, Int.max, Int.min,
    ])
    func integerParameters(value: Int) throws {
        let codec = PGWireCodec()
        try codec.appendPrepared(try PGWireExecution(statement: "s0", parameterCount: 2, describe: false, sync: false),
                                 parameters: [.integer(value), .text("x")])
        let text = Array(String(value).utf8)
        #expect(Self.messages(codec).first == Message("B", Bytes.cString("") + Bytes.cString("s0") + Bytes.int16(0) + Bytes.int16(2)
                                                      + Bytes.int32(Int32(text.count)) + text + Bytes.int32(1) + Array("x".utf8)
                                                      + Bytes.int16(0)))
    }

    @Test("An unnamed statement is parsed first; a simple query is one Query message")
    func unnamedAndSimple() throws {
        let codec = PGWireCodec()
        try codec.appendUnnamed(sql: "SELECT $1", try PGWireExecution(statement: "", parameterCount: 1, describe: false, sync: true), parameters: ["x"])
        #expect(Self.messages(codec).map(\.type) == ["P", "B", "E", "S"])
        #expect(Self.messages(codec)[0].body == Bytes.cString("") + Bytes.cString("SELECT $1") + Bytes.int16(0))
        codec.sent(codec.unsent.count)
        try codec.appendSimpleQuery("SELECT 1; SELECT 2", describe: false)
        #expect(Self.messages(codec) == [Message("Q", Bytes.cString("SELECT 1; SELECT 2"))])
    }

    @Test("A NUL byte in a parameter or statement is refused and nothing of it is queued")
    func nulBytes() throws {
        let codec = PGWireCodec()
        #expect(throws: PostgresError.self) { try codec.appendPrepared(try PGWireExecution(statement: "s", parameterCount: 2, describe: false, sync: true), parameters: ["ok", "a\u{0}b"]) }
        #expect(throws: PostgresError.self) { try codec.appendUnnamed(sql: "SELECT\u{0}", try PGWireExecution(statement: "", parameterCount: 0, describe: false, sync: true), parameters: []) }
        #expect(throws: PostgresError.self) { try codec.appendSimpleQuery("SELECT\u{0}", describe: false) }
        #expect(throws: PostgresError.self) { try PGWireExecution(statement: "s\u{0}", parameterCount: 0, describe: false, sync: true) }
        #expect(codec.unsent.count == 0)
        #expect(codec.isIdle)
    }

    @Test("A large result is read whole, and the memory it took is given back once it is read")
    func largeResult() throws {
        let codec = PGWireCodec()
        try codec.appendPrepared(try PGWireExecution(statement: "s", parameterCount: 0, describe: true, sync: true), parameters: [])
        codec.sent(codec.unsent.count)
        let big = String(repeating: "x", count: 3 * PGWireCodec.keptInputCapacity)
        let bytes = Server.bindComplete + Server.rowDescription(["x"]) + Server.dataRow([big]) + Server.commandComplete("SELECT 1")
            + Server.ready
        // In reads of 64 KiB, as a socket hands it over.
        var replies: [String] = []
        for start in stride(from: 0, to: bytes.count, by: 65_536) {
            Self.feed(codec, Array(bytes[start..<min(start + 65_536, bytes.count)]))
            replies += try Self.drain(codec)
        }
        #expect(replies == ["tuplesOK rows=1 tag=SELECT 1 columns=x first=" + big, "done"])
        #expect(codec.inputSpace(minimum: 1).count < PGWireCodec.keptInputCapacity)
    }

    @Test("A message past PostgreSQL's 1 GiB is refused before its 32-bit length could overflow")
    func oversized() throws {
        try PGWireCodec.checkSize(PGWireCodec.longestMessage - 1024, of: "the statement's parameters")
        let error = try #require(throws: PostgresError.self) {
            try PGWireCodec.checkSize(PGWireCodec.longestMessage, of: "the statement's parameters")
        }
        #expect(error.message == "the statement's parameters take 1073741824 bytes; PostgreSQL takes a message of at most 1 GiB")
    }

    // MARK: What comes back

    @Test("Replies come in libpq's order", arguments: [
        ReplyCase("a statement without Describe: its rows counted, then done",
                  commands: [.prepared(describe: false)],
                  server: [Server.bindComplete, Server.dataRow(["7"]), Server.commandComplete("SELECT 1"), Server.ready],
                  replies: ["tuplesOK rows=1 tag=SELECT 1", "done"]),
        ReplyCase("with Describe: column names and the first row's values, NULL as nil",
                  commands: [.prepared(describe: true)],
                  server: [Server.bindComplete, Server.rowDescription(["n", "m"]), Server.dataRow(["7", nil]), Server.dataRow(["8", "9"]),
                           Server.commandComplete("SELECT 2"), Server.ready],
                  replies: ["tuplesOK rows=2 tag=SELECT 2 columns=n,m first=7,NULL", "done"]),
        ReplyCase("a command: its tag", commands: [.prepared(describe: false)],
                  server: [Server.bindComplete, Server.commandComplete("UPDATE 3"), Server.ready],
                  replies: ["commandOK rows=0 tag=UPDATE 3", "done"]),
        ReplyCase("a tag longer than fits inline", commands: [.prepared(describe: false)],
                  server: [Server.commandComplete("CREATE FOREIGN DATA WRAPPER"), Server.ready],
                  replies: ["commandOK rows=0 tag=CREATE FOREIGN DATA WRAPPER", "done"]),
        ReplyCase("an error ends the statement at the sync point", commands: [.prepared(describe: false)],
                  server: [Server.bindComplete, Server.errorResponse("ERROR", "22012", "division by zero"), Server.ready],
                  replies: ["fatalError 22012 ERROR:  division by zero", "done"]),
        ReplyCase("a simple query holding two statements: a result each, then done",
                  commands: [.simple],
                  server: [Server.rowDescription(["a"]), Server.dataRow(["1"]), Server.commandComplete("SELECT 1"), Server.commandComplete("CREATE TABLE"), Server.ready],
                  replies: ["tuplesOK rows=1 tag=SELECT 1 columns=a first=1", "commandOK rows=0 tag=CREATE TABLE", "done"]),
        ReplyCase("an empty simple query", commands: [.simple], server: [Server.emptyQuery, Server.ready], replies: ["emptyQuery rows=0 tag=", "done"]),
        ReplyCase("a pipeline: done after each result, one sync result at the end",
                  commands: [.pipelined, .pipelined, .sync],
                  server: [Server.bindComplete, Server.dataRow(["1"]), Server.commandComplete("SELECT 1"),
                           Server.bindComplete, Server.dataRow(["2"]), Server.commandComplete("SELECT 1"), Server.ready],
                  replies: ["tuplesOK rows=1 tag=SELECT 1", "done", "tuplesOK rows=1 tag=SELECT 1", "done", "pipelineSync"]),
        ReplyCase("a failure in a pipeline: what the server skipped is aborted, up to the sync point",
                  commands: [.pipelined, .pipelined, .pipelined, .pipelined, .sync, .pipelined, .sync],
                  server: [Server.bindComplete, Server.commandComplete("SELECT 0"), Server.errorResponse("ERROR", "22012", "division by zero"), Server.ready,
                           Server.bindComplete, Server.commandComplete("SELECT 0"), Server.ready],
                  replies: ["commandOK rows=0 tag=SELECT 0", "done", "fatalError 22012 ERROR:  division by zero", "done",
                            "pipelineAborted", "done", "pipelineAborted", "done", "pipelineSync",
                            "commandOK rows=0 tag=SELECT 0", "done", "pipelineSync"]),
        ReplyCase("parameter changes, notices and notifications in between change nothing",
                  commands: [.prepared(describe: false)],
                  server: [Server.parameterStatus("TimeZone", "UTC"), Server.bindComplete, Server.notice("WARNING", "careful"),
                           Server.notification, Server.commandComplete("SELECT 0"), Server.ready],
                  replies: ["commandOK rows=0 tag=SELECT 0", "done"]),
    ])
    func replies(_ replyCase: ReplyCase) throws {
        #expect(try Self.replies(replyCase, split: false) == replyCase.replies)
    }

    @Test("The same bytes in pieces, one byte at a time, make the same replies")
    func splitInput() throws {
        let replyCase = ReplyCase("", commands: [.prepared(describe: true), .pipelined, .sync],
                                  server: [Server.bindComplete, Server.rowDescription(["n"]), Server.dataRow(["ü"]), Server.commandComplete("SELECT 1"), Server.ready,
                                           Server.bindComplete, Server.errorResponse("ERROR", "42P01", "no table"), Server.ready],
                                  replies: [])
        #expect(try Self.replies(replyCase, split: true) == Self.replies(replyCase, split: false))
        #expect(try Self.replies(replyCase, split: true) == [
            "tuplesOK rows=1 tag=SELECT 1 columns=n first=ü", "done", "fatalError 42P01 ERROR:  no table", "done", "pipelineSync",
        ])
    }

    @Test("An error while nothing is in progress is kept as the closing notice, not a reply")
    func idleFatal() throws {
        let codec = PGWireCodec()
        Self.feed(codec, Server.errorResponse("FATAL", "57P01", "terminating connection due to administrator command"))
        #expect(try Self.drain(codec) == [])
        #expect(codec.lastNotice?.severity == "FATAL")
        #expect(codec.lastNotice?.sqlState == "57P01")
        #expect(codec.lastNotice?.message == "FATAL:  terminating connection due to administrator command")
    }

    @Test("COPY FROM STDIN is answered with CopyFail at once; the server's error ends the statement")
    func copyIn() throws {
        let codec = PGWireCodec()
        try codec.appendPrepared(try PGWireExecution(statement: "copy", parameterCount: 0, describe: false, sync: true), parameters: [])
        codec.sent(codec.unsent.count)
        Self.feed(codec, Server.bindComplete + Server.message("G", [0] + Bytes.int16(0)))
        #expect(try Self.drain(codec) == [])
        #expect(codec.answerQueued)
        #expect(Self.messages(codec).map(\.type) == ["f"])
        Self.feed(codec, Server.errorResponse("ERROR", "57014", "COPY from stdin failed") + Server.ready)
        #expect(try Self.drain(codec) == ["fatalError 57014 ERROR:  COPY from stdin failed", "done"])
    }

    @Test("Bytes that break the protocol are an error that says what came, never a crash", arguments: [
        (Server.message("Z", [UInt8(ascii: "I")]), "a ReadyForQuery with nothing in progress"),
        ([UInt8(ascii: "D")] + Bytes.int32(3), "claiming 3 bytes"),
        ([UInt8(ascii: "D")] + Bytes.int32(Int32.max), "claiming 2147483647 bytes"),
        (Server.message("?", []), "an unexpected message of type \"?\""),
        (Server.message("\u{1}", []), "an unexpected message of type 0x1"),
        (Server.message("D", Bytes.int16(1) + Bytes.int32(50) + [1, 2]), "a message ended before its fields did"),
        (Server.message("T", Bytes.int16(1) + Bytes.cString("n")), "a message ended before its fields did"),
        (Server.message("E", [UInt8(ascii: "S")] + Array("ERROR".utf8)), "a message ended before its fields did"),
        (Server.message("C", Array("SELECT 1".utf8)), "a message ended before its fields did"),
    ])
    func violations(bytes: [UInt8], says: String) throws {
        let codec = PGWireCodec()
        if bytes.first != UInt8(ascii: "Z") {
            try codec.appendPrepared(try PGWireExecution(statement: "s", parameterCount: 0, describe: true, sync: true), parameters: [])
        }
        Self.feed(codec, bytes)
        let error = try #require(throws: PostgresError.self) { try Self.drain(codec) }
        #expect(error.message.hasPrefix("lost synchronization with the server"))
        #expect(error.message.contains(says), "\(error.message)")
    }

    @Test("Rows affected are read from the command tag as PQcmdTuples reads them", arguments: [
        ("INSERT 0 5", 5), ("UPDATE 12", 12), ("DELETE 0", 0), ("SELECT 3", 3), ("COPY 7", 7), ("MERGE 2", 2),
        ("CREATE TABLE", nil), ("BEGIN", nil), ("", nil),
    ] as [(String, Int?)])
    func affectedRows(tag: String, rows: Int?) {
        var result = PGWireResult(status: .commandOK)
        result.commandTag = tag
        #expect(result.affectedRows == rows)
    }

    // MARK: Helpers

    struct ReplyCase: CustomTestStringConvertible, Sendable {
        enum Command: Sendable {
            case prepared(describe: Bool), pipelined, simple, sync
        }

        let name: String
        let commands: [Command]
        let server: [[UInt8]]
        let replies: [String]

        init(_ name: String, commands: [Command], server: [[UInt8]], replies: [String]) {
            self.name = name
            self.commands = commands
            self.server = server
            self.replies = replies
        }

        var testDescription: String { name }
    }

    struct Message: Equatable {
        let type: Character
        let body: [UInt8]

        init(_ type: Character, _ body: [UInt8]) {
            self.type = type
            self.body = body
        }
    }

    /// The messages queued to send.
    static func messages(_ codec: PGWireCodec) -> [Message] {
        var bytes = Array(codec.unsent)[...]
        var messages: [Message] = []
        while bytes.count >= 5 {
            let type = Character(Unicode.Scalar(bytes[bytes.startIndex]))
            let length = bytes.dropFirst().prefix(4).reduce(0) { $0 << 8 | Int($1) }
            messages.append(Message(type, Array(bytes.dropFirst(5).prefix(length - 4))))
            bytes = bytes.dropFirst(1 + length)
        }
        return messages
    }

    static func replies(_ replyCase: ReplyCase, split: Bool) throws -> [String] {
        let codec = PGWireCodec()
        for command in replyCase.commands {
            switch command {
            case .prepared(let describe): try codec.appendPrepared(try PGWireExecution(statement: "s", parameterCount: 0, describe: describe, sync: true), parameters: [])
            case .pipelined: try codec.appendPrepared(try PGWireExecution(statement: "s", parameterCount: 0, describe: false, sync: false), parameters: [])
            case .simple: try codec.appendSimpleQuery("SELECT 1", describe: true)
            case .sync: codec.appendSync()
            }
        }
        codec.sent(codec.unsent.count)
        let bytes = replyCase.server.flatMap { $0 }
        guard split else {
            feed(codec, bytes)
            return try drain(codec)
        }
        var replies: [String] = []
        for byte in bytes {
            feed(codec, [byte])
            replies += try drain(codec)
        }
        return replies
    }

    static func feed(_ codec: PGWireCodec, _ bytes: [UInt8]) {
        let space = codec.inputSpace(minimum: bytes.count)
        space.copyBytes(from: bytes)
        codec.received(bytes.count)
    }

    /// Every reply the input makes, described.
    static func drain(_ codec: PGWireCodec) throws -> [String] {
        var replies: [String] = []
        while true {
            switch try codec.nextReply() {
            case .needsInput: return replies
            case .statementDone: replies.append("done")
            case .result(let result): replies.append(describe(result))
            }
        }
    }

    static func describe(_ result: PGWireResult) -> String {
        switch result.status {
        case .pipelineSync, .pipelineAborted: return "\(result.status)"
        case .fatalError: return "fatalError \(result.error?.sqlState ?? "-") \(result.error?.message ?? "-")"
        default:
            var text = "\(result.status) rows=\(result.rowCount) tag=\(result.commandTag)"
            if !result.columnNames.isEmpty { text += " columns=\(result.columnNames.joined(separator: ","))" }
            if !result.firstRow.isEmpty { text += " first=\(result.firstRow.map { $0 ?? "NULL" }.joined(separator: ","))" }
            return text
        }
    }
}

// MARK: Server messages

/// Big-endian integers and C strings, as the protocol writes them.
enum Bytes {
    static func int16(_ value: Int16) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    static func int32(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    static func cString(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }
}

/// The server's side of the protocol, as bytes.
enum Server {
    static func message(_ type: Character, _ body: [UInt8]) -> [UInt8] {
        [type.asciiValue!] + Bytes.int32(Int32(body.count + 4)) + body
    }

    static let bindComplete = message("2", [])
    static let ready = message("Z", [UInt8(ascii: "I")])
    static let emptyQuery = message("I", [])
    static let notification = message("A", Bytes.int32(7) + Bytes.cString("channel") + Bytes.cString("payload"))

    static func commandComplete(_ tag: String) -> [UInt8] { message("C", Bytes.cString(tag)) }

    static func parameterStatus(_ name: String, _ value: String) -> [UInt8] { message("S", Bytes.cString(name) + Bytes.cString(value)) }

    static func dataRow(_ values: [String?]) -> [UInt8] {
        message("D", Bytes.int16(Int16(values.count)) + values.flatMap { value in
            value.map { Bytes.int32(Int32($0.utf8.count)) + Array($0.utf8) } ?? Bytes.int32(-1)
        })
    }

    static func rowDescription(_ names: [String]) -> [UInt8] {
        var body = Bytes.int16(Int16(names.count))
        for name in names {
            // Table, column number, type (int4), size, modifier, format.
            let fields: [[UInt8]] = [Bytes.cString(name), Bytes.int32(0), Bytes.int16(0), Bytes.int32(23), Bytes.int16(4),
                                     Bytes.int32(-1), Bytes.int16(0)]
            body += fields.flatMap { $0 }
        }
        return message("T", body)
    }

    /// An ErrorResponse or NoticeResponse: each field its code and text, then a NUL byte.
    static func fields(_ type: Character, _ fields: [(Character, String)]) -> [UInt8] {
        message(type, fields.flatMap { [$0.0.asciiValue!] + Bytes.cString($0.1) } + [0])
    }

    static func errorResponse(_ severity: String, _ sqlState: String, _ text: String) -> [UInt8] {
        fields("E", [("S", severity), ("V", severity), ("C", sqlState), ("M", text)])
    }

    static func notice(_ severity: String, _ text: String) -> [UInt8] {
        fields("N", [("S", severity), ("M", text)])
    }
}

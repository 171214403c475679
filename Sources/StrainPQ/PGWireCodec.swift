/// PostgreSQL's frontend/backend protocol (version 3) for the statements of a load, as pure logic: it
/// writes the messages of what is sent into its output buffer, reads the server's messages from its
/// input buffer, and hands over what they mean in libpq's terms (`PGWireReply`). No socket, no
/// system call: `PGWire` moves the bytes.
///
/// Why it exists: libpq's work per statement (a PGresult and its allocations, a Describe per
/// execution) was about 3,200 of the 10,800 instructions the engine spent per select-only lookup. A
/// load engine that takes over a plain connection after libpq opened it and prepared its statements
/// sends and reads the same messages for a fraction of that.
///
/// Replies follow libpq's order, so a driver written for `PQgetResult` reads them unchanged: a
/// statement's result (several for a simple query holding several statements), then
/// `.statementDone`; a pipeline sync point's one `.pipelineSync` result; after an error in a pipeline,
/// a `.pipelineAborted` result for each statement the server skipped up to the sync point.
final class PGWireCodec {
    /// What was sent and not yet answered, in the order the server answers.
    enum Command: Equatable {
        /// Bind/Execute (after a Parse for an unnamed statement). `describe`: a Describe was sent
        /// too, and the first row's values are kept. `synced`: a Sync follows it (outside pipeline
        /// mode), so the server ends it with ReadyForQuery.
        case statement(describe: Bool, synced: Bool)
        /// A simple Query message, ended by ReadyForQuery. `describe`: the first row's values are kept.
        case simpleQuery(describe: Bool)
        /// A pipeline's sync point.
        case sync
    }

    private var output = ByteBuffer()
    /// Bytes of `output` already sent.
    private var outputSent = 0
    private var input = ByteBuffer()
    /// Bytes of `input` already parsed.
    private var inputRead = 0
    private var commands = CommandQueue()
    /// The result being built for the command at the head; mutated in place, not copied per message.
    private var current = PGWireResult(status: .commandOK)
    /// The head's result was handed over and the head itself is done: `.statementDone` comes next.
    private var donePending = false
    /// Pipeline mode: a statement failed, so the server skips everything up to the next sync point.
    private var aborted = false

    /// The latest notice, warning or error the server sent outside a statement's result, e.g. the
    /// FATAL error announcing that it closes an idle connection.
    private(set) var lastNotice: PostgresError?
    /// The codec queued an answer of its own (CopyFail) that should go out without waiting.
    private(set) var answerQueued = false
    /// From the latest ReadyForQuery: "I" idle, "T" in a transaction block, "E" in a failed one.
    private(set) var transactionStatus = UInt8(ascii: "I")

    deinit {
        output.free()
        input.free()
    }

    /// Nothing sent is waiting for an answer.
    var isIdle: Bool { commands.isEmpty }

    // MARK: Sending

    /// An execution of its prepared statement with `parameters`.
    func appendPrepared(_ execution: PGWireExecution, parameters: [PGParameter]) throws(PostgresError) {
        try appendExecution(execution, parameters: parameters)
    }

    /// Parse of `sql` as the unnamed statement, then `execution` (made for the statement "") of it.
    func appendUnnamed(sql: String, _ execution: PGWireExecution, parameters: [PGParameter]) throws(PostgresError) {
        try Self.checkSize(sql.utf8.count, of: "the statement's text")
        let mark = output.count
        output.beginMessage(UInt8(ascii: "P"))
        output.appendByte(0) // the unnamed statement
        guard output.appendCString(sql) else {
            output.count = mark
            throw PostgresError(message: "the statement's text contains a NUL byte, which PostgreSQL cannot take")
        }
        output.appendInt16(0) // parameter types: the server infers them
        output.endMessage()
        do {
            try appendExecution(execution, parameters: parameters)
        } catch {
            output.count = mark
            throw error
        }
    }

    /// A simple Query message (no parameters; may hold several statements).
    func appendSimpleQuery(_ sql: String, describe: Bool) throws(PostgresError) {
        try Self.checkSize(sql.utf8.count, of: "the statement's text")
        let mark = output.count
        output.beginMessage(UInt8(ascii: "Q"))
        guard output.appendCString(sql) else {
            output.count = mark
            throw PostgresError(message: "the statement's text contains a NUL byte, which PostgreSQL cannot take")
        }
        output.endMessage()
        commands.append(.simpleQuery(describe: describe))
    }

    /// A pipeline's sync point.
    func appendSync() {
        output.beginMessage(UInt8(ascii: "S"))
        output.endMessage()
        commands.append(.sync)
    }

    private func appendExecution(_ execution: PGWireExecution, parameters: [PGParameter]) throws(PostgresError) {
        precondition(parameters.count == execution.parameterCount,
                     "the statement takes \(execution.parameterCount) parameters, got \(parameters.count)")
        var size = execution.head.count + execution.tail.count
        for parameter in parameters {
            switch parameter {
            case .text(let text): size += 4 + text.utf8.count
            case .integer: size += 4 + ByteBuffer.longestDecimal
            case .null: size += 4
            }
        }
        try Self.checkSize(size, of: "the statement's parameters")
        let mark = output.count
        output.reserve(size)
        output.appendBytes(execution.head)
        for index in parameters.indices {
            switch parameters[index] {
            case .text(let text):
                guard output.appendSized(text) else {
                    output.count = mark
                    throw PostgresError(message: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text values cannot hold")
                }
            case .integer(let value): output.appendSizedDecimal(value)
            case .null: output.appendInt32(-1)
            }
        }
        // The Bind message ends with the tail's first field, its result formats.
        output.setLength(ofMessageAt: mark, endingAt: output.count + 2)
        output.appendBytes(execution.tail)
        commands.append(.statement(describe: execution.describe, synced: execution.sync))
    }

    /// Refuses what would make a message longer than the server takes (its 1 GiB allocation limit),
    /// which would also overflow the message's 32-bit length.
    static func checkSize(_ size: Int, of what: String) throws(PostgresError) {
        guard size <= longestMessage - 1024 else {
            throw PostgresError(message: "\(what) take \(size) bytes; PostgreSQL takes a message of at most 1 GiB")
        }
    }

    /// The bytes still to send; valid until the next call that appends.
    var unsent: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: output.bytes.map { $0 + outputSent }, count: output.count - outputSent)
    }

    /// `count` bytes of `unsent` went out.
    func sent(_ count: Int) {
        outputSent += count
        if outputSent == output.count {
            answerQueued = false
            outputSent = 0
            output.count = 0
        }
    }

    // MARK: Receiving

    /// Room for at least `minimum` more bytes of input, at the end of what is unread; report what
    /// was written there with `received`.
    func inputSpace(minimum: Int) -> UnsafeMutableRawBufferPointer {
        if inputRead == input.count {
            inputRead = 0
            input.count = 0
            // A large result grew the buffer; do not keep that memory per connection for the rest of the run.
            if input.capacity > Self.keptInputCapacity { input.free() }
        } else if inputRead > 0, input.capacity - input.count < minimum {
            input.removeFirst(inputRead)
            inputRead = 0
        }
        input.reserve(minimum)
        return UnsafeMutableRawBufferPointer(start: input.bytes! + input.count, count: input.capacity - input.count)
    }

    func received(_ count: Int) {
        input.count += count
    }

    /// The next reply for what was sent, or `.needsInput`. Throws when the server broke the protocol.
    func nextReply() throws(PostgresError) -> PGWireReply {
        if donePending {
            donePending = false
            commands.removeFirst()
            return .statementDone
        }
        while true {
            if aborted, case .statement(_, synced: false)? = commands.first {
                // Skipped by the server: nothing of it will come.
                donePending = true
                return .result(PGWireResult(status: .pipelineAborted))
            }
            guard let (type, body) = try nextMessage() else { return .needsInput }
            if let reply = try handle(type, body) { return reply }
        }
    }

    /// Handles one message; returns the reply it completes, if any.
    private func handle(_ type: UInt8, _ body: MessageBody) throws(PostgresError) -> PGWireReply? {
        var body = body
        switch type {
        case UInt8(ascii: "D"): // DataRow
            if current.rowCount == 0, wantsFirstRow { current.firstRow = try body.rowValues() }
            current.rowCount += 1
            current.status = .tuplesOK
        case UInt8(ascii: "T"): // RowDescription
            current.status = .tuplesOK
            if wantsFirstRow { current.columnNames = try body.columnNames() }
        case UInt8(ascii: "C"): // CommandComplete
            current.setTag(try body.cStringBytes())
            return finishResult()
        case UInt8(ascii: "I"): // EmptyQueryResponse
            current.status = .emptyQuery
            return finishResult()
        case UInt8(ascii: "s"): // PortalSuspended: only with a row limit, which is never set
            return finishResult()
        case UInt8(ascii: "E"): // ErrorResponse
            let error = try body.error()
            guard let head = commands.first, head != .sync else {
                // Outside a statement (e.g. FATAL before the server closes an idle connection).
                lastNotice = error
                return nil
            }
            if case .statement(_, synced: false) = head { aborted = true }
            current = PGWireResult(status: .fatalError)
            current.error = error
            return finishResult()
        case UInt8(ascii: "Z"): // ReadyForQuery
            transactionStatus = try body.byte()
            guard let head = commands.first else { throw violation("a ReadyForQuery with nothing in progress") }
            current = PGWireResult(status: .commandOK)
            switch head {
            case .sync:
                aborted = false
                commands.removeFirst()
                return .result(PGWireResult(status: .pipelineSync))
            case .statement(_, synced: true), .simpleQuery:
                commands.removeFirst()
                return .statementDone
            case .statement(_, synced: false):
                throw violation("a ReadyForQuery before the pipeline's sync point")
            }
        case UInt8(ascii: "N"): // NoticeResponse
            lastNotice = try body.error()
        case UInt8(ascii: "G"): // CopyInResponse: there is no data to send; refuse it
            output.beginMessage(UInt8(ascii: "f"))
            output.appendCString(PGWire.copyInRefusal)
            output.endMessage()
            answerQueued = true
        case UInt8(ascii: "d"): // CopyData of a COPY TO STDOUT: a row
            current.rowCount += 1
        case UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "n"), UInt8(ascii: "t"),
             UInt8(ascii: "S"), UInt8(ascii: "A"), UInt8(ascii: "H"), UInt8(ascii: "c"):
            // ParseComplete, BindComplete, CloseComplete, NoData, ParameterDescription,
            // ParameterStatus, NotificationResponse, CopyOutResponse, CopyDone: nothing to report.
            break
        default:
            throw violation("an unexpected message of type \(Self.describe(type))")
        }
        return nil
    }

    /// Hands over the head's result, starting the next; a pipelined statement is done with it.
    private func finishResult() -> PGWireReply {
        var result = PGWireResult(status: .commandOK)
        swap(&result, &current)
        if case .statement(_, synced: false)? = commands.first { donePending = true }
        return .result(result)
    }

    /// Whether the head keeps column names and its first row's values.
    private var wantsFirstRow: Bool {
        switch commands.first {
        case .statement(let describe, _)?, .simpleQuery(let describe)?: return describe
        case .sync?, nil: return false
        }
    }

    /// The next complete message in the input, if one has arrived.
    private func nextMessage() throws(PostgresError) -> (UInt8, MessageBody)? {
        let available = input.count - inputRead
        guard available >= 5, let bytes = input.bytes else { return nil }
        let start = bytes + inputRead
        let length = Int(UInt32(bigEndian: UnsafeRawPointer(start + 1).loadUnaligned(as: UInt32.self)))
        guard length >= 4, length <= Self.longestMessage else {
            throw violation("a message of type \(Self.describe(start[0])) claiming \(length) bytes")
        }
        // Room for the rest grows as it arrives (`inputSpace`), not at once for what a message claims.
        guard available >= 1 + length else { return nil }
        inputRead += 1 + length
        return (start[0], MessageBody(start: UnsafeRawPointer(start + 5), count: length - 4))
    }

    /// Input buffer memory kept between reads; more, grown for a large message, is given back once read.
    static let keptInputCapacity = 1 << 20

    /// A bound on one message, as libpq keeps: past it the stream is garbage, not a message.
    static let longestMessage = 1 << 30

    private func violation(_ what: String) -> PostgresError {
        PostgresError(message: "lost synchronization with the server: it sent \(what)")
    }

    private static func describe(_ type: UInt8) -> String {
        (0x21...0x7e).contains(type) ? "\"\(Character(Unicode.Scalar(type)))\"" : "0x\(String(type, radix: 16))"
    }
}

@available(*, unavailable, message: "a PGWireCodec belongs to the one thread that drives its connection")
extension PGWireCodec: Sendable {}

/// The bytes of one statement's execution that are the same every time, made once: a Bind's start up
/// to its parameters (the unnamed portal, the statement's name, all-text formats, the count), and what
/// follows them (all-text result formats, a Describe of the portal when asked for, the Execute, and a
/// Sync outside pipeline mode). Only the parameters are written per execution. A class: the engine
/// hands one over per statement, and a reference is retained once where two arrays were.
public final class PGWireExecution: Sendable {
    let head: [UInt8]
    let tail: [UInt8]
    let parameterCount: Int
    /// A Describe goes with it: its column names and first row's values are kept.
    public let describe: Bool
    let sync: Bool

    /// For the prepared statement `statement` ("" for the unnamed one). `describe` asks for its
    /// column names and keeps its first row's values; `sync` ends it with a sync point.
    public init(statement: String, parameterCount: Int, describe: Bool, sync: Bool) throws(PostgresError) {
        guard !statement.utf8.contains(0) else {
            throw PostgresError(message: "the statement's name contains a NUL byte")
        }
        var head: [UInt8] = [UInt8(ascii: "B"), 0, 0, 0, 0] // the length is written per execution
        head.append(0) // the unnamed portal
        head += statement.utf8
        head.append(0)
        head += [0, 0] // parameter formats: all text
        head += withUnsafeBytes(of: Int16(truncatingIfNeeded: parameterCount).bigEndian) { Array($0) }
        var tail: [UInt8] = [0, 0] // result formats: all text
        if describe { tail += [UInt8(ascii: "D"), 0, 0, 0, 6, UInt8(ascii: "P"), 0] }
        tail += [UInt8(ascii: "E"), 0, 0, 0, 9, 0, 0, 0, 0, 0] // the unnamed portal, no row limit
        if sync { tail += [UInt8(ascii: "S"), 0, 0, 0, 4] }
        self.head = head
        self.tail = tail
        self.parameterCount = parameterCount
        self.describe = describe
        self.sync = sync
    }
}

/// What was sent and not yet answered, oldest first: a ring (a power of two long, so positions wrap
/// with a mask) that grows when full and never shrinks, so a statement's round trip moves nothing.
private struct CommandQueue {
    private var slots = [PGWireCodec.Command](repeating: .sync, count: 16)
    private var start = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }
    var first: PGWireCodec.Command? { count == 0 ? nil : slots[start] }

    mutating func append(_ command: PGWireCodec.Command) {
        if count == slots.count {
            slots = (0..<count).map { slots[(start + $0) & (slots.count - 1)] } + slots
            start = 0
        }
        slots[(start + count) & (slots.count - 1)] = command
        count += 1
    }

    /// Only when not empty.
    mutating func removeFirst() {
        start = (start + 1) & (slots.count - 1)
        count -= 1
    }
}

/// One reply to what was sent, as libpq's `PQgetResult` would hand it over.
public enum PGWireReply {
    /// A result of the command at the head.
    case result(PGWireResult)
    /// The statement at the head is done (libpq's terminating nil).
    case statementDone
    /// Nothing complete has arrived yet.
    case needsInput
}

/// A statement's result as the wire protocol reports it, in libpq's terms.
public struct PGWireResult {
    public var status: PGResult.Status
    /// DataRow messages received (rows of COPY TO STDOUT too).
    public var rowCount = 0
    /// e.g. "SELECT 1", "INSERT 0 1".
    public var commandTag: String {
        get { details?.longTag ?? shortTag.text }
        set {
            var newValue = newValue
            newValue.withUTF8 { setTag(UnsafeRawBufferPointer($0)) }
        }
    }
    private var shortTag = ShortTag()

    mutating func setTag(_ bytes: UnsafeRawBufferPointer) {
        if let short = ShortTag(bytes) {
            shortTag = short
            if details?.longTag != nil { withDetails { $0.longTag = nil } }
        } else {
            shortTag = ShortTag()
            withDetails { $0.longTag = String(decoding: bytes, as: UTF8.self) }
        }
    }
    /// Only for a statement sent with `describe` (a simple query's when it was asked for).
    public var columnNames: [String] {
        get { details?.columnNames ?? [] }
        set { withDetails { $0.columnNames = newValue } }
    }
    /// The first row's values in text format, nil for NULL; only with `columnNames`.
    public var firstRow: [String?] {
        get { details?.firstRow ?? [] }
        set { withDetails { $0.firstRow = newValue } }
    }
    /// The server's error, for `.fatalError`.
    public var error: PostgresError? {
        get { details?.error }
        set { withDetails { $0.error = newValue } }
    }
    /// What most results lack, out of line: a result is copied on its way to the reader, and each
    /// array or string inline would be retained and released with every copy.
    private var details: Details?

    private final class Details {
        /// A tag too long for `ShortTag`.
        var longTag: String?
        var columnNames: [String] = []
        var firstRow: [String?] = []
        var error: PostgresError?

        func copy() -> Details {
            let copy = Details()
            copy.longTag = longTag
            copy.columnNames = columnNames
            copy.firstRow = firstRow
            copy.error = error
            return copy
        }
    }

    /// Changes the details, copying them first when another result shares them (value semantics).
    private mutating func withDetails(_ change: (Details) -> Void) {
        if details == nil {
            details = Details()
        } else if !isKnownUniquelyReferenced(&details!) {
            details = details!.copy()
        }
        change(details!)
    }

    init(status: PGResult.Status) {
        self.status = status
    }

    /// Rows inserted, updated, deleted, selected … as `PQcmdTuples` reads them from the tag; nil
    /// for commands whose tag holds no count.
    public var affectedRows: Int? {
        let words = commandTag.split(separator: " ")
        guard let command = words.first, words.count >= 2,
              ["INSERT", "DELETE", "UPDATE", "SELECT", "MOVE", "FETCH", "COPY", "MERGE"].contains(command) else { return nil }
        return Int(words[words.count - 1])
    }
}

/// A command tag as it came, when it is short (almost every tag is): a result whose reader never
/// asks for its tag then costs no string. Decoded on demand.
struct ShortTag {
    /// Up to `capacity` bytes, in order in memory; unused bytes are zero.
    private var words: (UInt64, UInt64) = (0, 0)
    private var count: UInt8 = 0

    static let capacity = 16

    /// Nil when `bytes` is longer than `capacity`.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= Self.capacity else { return nil }
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: bytes) }
        count = UInt8(bytes.count)
    }

    init() {}

    var text: String {
        var words = words
        return withUnsafeBytes(of: &words) { String(decoding: $0.prefix(Int(count)), as: UTF8.self) }
    }
}

/// The body of one message, read front to back; every read checks that the bytes are there.
private struct MessageBody {
    private var start: UnsafeRawPointer
    private var count: Int

    init(start: UnsafeRawPointer, count: Int) {
        self.start = start
        self.count = count
    }

    mutating func byte() throws(PostgresError) -> UInt8 {
        guard count >= 1 else { throw Self.short }
        defer { advance(1) }
        return start.load(as: UInt8.self)
    }

    mutating func int16() throws(PostgresError) -> Int {
        guard count >= 2 else { throw Self.short }
        defer { advance(2) }
        return Int(Int16(bigEndian: start.loadUnaligned(as: Int16.self)))
    }

    mutating func int32() throws(PostgresError) -> Int {
        guard count >= 4 else { throw Self.short }
        defer { advance(4) }
        return Int(Int32(bigEndian: start.loadUnaligned(as: Int32.self)))
    }

    /// A NUL-terminated string.
    mutating func cString() throws(PostgresError) -> String {
        let bytes = UnsafeRawBufferPointer(start: start, count: count)
        guard let end = bytes.firstIndex(of: 0) else { throw Self.short }
        defer { advance(end + 1) }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// A NUL-terminated string's bytes, valid while the message's are.
    mutating func cStringBytes() throws(PostgresError) -> UnsafeRawBufferPointer {
        let bytes = UnsafeRawBufferPointer(start: start, count: count)
        guard let end = bytes.firstIndex(of: 0) else { throw Self.short }
        defer { advance(end + 1) }
        return UnsafeRawBufferPointer(rebasing: bytes[..<end])
    }

    mutating func text(_ length: Int) throws(PostgresError) -> String {
        guard length >= 0, count >= length else { throw Self.short }
        defer { advance(length) }
        return String(decoding: UnsafeRawBufferPointer(start: start, count: length), as: UTF8.self)
    }

    /// A DataRow's values.
    mutating func rowValues() throws(PostgresError) -> [String?] {
        let columns = try int16()
        var values: [String?] = []
        values.reserveCapacity(max(columns, 0))
        for _ in 0..<max(columns, 0) {
            let length = try int32()
            values.append(length < 0 ? nil : try text(length))
        }
        return values
    }

    /// A RowDescription's column names.
    mutating func columnNames() throws(PostgresError) -> [String] {
        let columns = try int16()
        var names: [String] = []
        names.reserveCapacity(max(columns, 0))
        for _ in 0..<max(columns, 0) {
            names.append(try cString())
            // Table, column number, type, size, modifier, format.
            guard count >= 18 else { throw Self.short }
            advance(18)
        }
        return names
    }

    /// An ErrorResponse's or NoticeResponse's fields, with the message libpq would compose.
    mutating func error() throws(PostgresError) -> PostgresError {
        var fields: [UInt8: String] = [:]
        while true {
            let code = try byte()
            if code == 0 { break }
            fields[code] = try cString()
        }
        return PostgresError(
            localizedSeverity: fields[UInt8(ascii: "S")], severity: fields[UInt8(ascii: "V")] ?? fields[UInt8(ascii: "S")],
            sqlState: fields[UInt8(ascii: "C")], primaryMessage: fields[UInt8(ascii: "M")],
            detail: fields[UInt8(ascii: "D")], hint: fields[UInt8(ascii: "H")],
            position: fields[UInt8(ascii: "P")].flatMap { Int($0) })
    }

    private mutating func advance(_ bytes: Int) {
        start += bytes
        count -= bytes
    }

    private static var short: PostgresError {
        PostgresError(message: "lost synchronization with the server: a message ended before its fields did")
    }
}

/// A growable byte buffer in manually managed memory: appending costs no uniqueness check or
/// bounds-checked array write per byte. Its owner frees it.
private struct ByteBuffer {
    private(set) var bytes: UnsafeMutablePointer<UInt8>?
    private(set) var capacity = 0
    var count = 0
    /// Where the length of the message being written goes.
    private var messageStart = 0

    @inline(__always)
    mutating func reserve(_ more: Int) {
        if count + more > capacity { grow(toHold: more) }
    }

    @inline(never)
    private mutating func grow(toHold more: Int) {
        let newCapacity = max(count + more, capacity * 2, 8192)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        if let bytes {
            grown.update(from: bytes, count: count)
            bytes.deallocate()
        }
        bytes = grown
        capacity = newCapacity
    }

    /// Gives the memory back; the buffer is empty and reallocates on its next use.
    mutating func free() {
        bytes?.deallocate()
        bytes = nil
        capacity = 0
        count = 0
    }

    mutating func removeFirst(_ removed: Int) {
        guard let bytes else { return }
        bytes.update(from: bytes + removed, count: count - removed)
        count -= removed
    }

    @inline(__always)
    mutating func appendByte(_ byte: UInt8) {
        reserve(1)
        bytes![count] = byte
        count += 1
    }

    @inline(__always)
    mutating func appendInt16(_ value: Int16) {
        reserve(2)
        UnsafeMutableRawPointer(bytes! + count).storeBytes(of: value.bigEndian, as: Int16.self)
        count += 2
    }

    @inline(__always)
    mutating func appendInt32(_ value: Int32) {
        reserve(4)
        UnsafeMutableRawPointer(bytes! + count).storeBytes(of: value.bigEndian, as: Int32.self)
        count += 4
    }

    /// `text` and a NUL byte; false (nothing appended) when `text` holds a NUL byte itself.
    @discardableResult
    mutating func appendCString(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            guard !utf8.contains(0) else { return false }
            reserve(utf8.count + 1)
            if let source = utf8.baseAddress { (bytes! + count).update(from: source, count: utf8.count) }
            bytes![count + utf8.count] = 0
            count += utf8.count + 1
            return true
        }
    }

    /// `text` after its length (a parameter's value); false (nothing appended) when it holds a NUL byte.
    mutating func appendSized(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            guard !utf8.contains(0) else { return false }
            reserve(4 + utf8.count)
            UnsafeMutableRawPointer(bytes! + count).storeBytes(of: Int32(utf8.count).bigEndian, as: Int32.self)
            if let source = utf8.baseAddress { (bytes! + count + 4).update(from: source, count: utf8.count) }
            count += 4 + utf8.count
            return true
        }
    }

    /// The most characters of an `Int` in decimal: "-9223372036854775808".
    static let longestDecimal = 20

    /// `value`'s decimal digits after their length (a parameter's value), written in place.
    mutating func appendSizedDecimal(_ value: Int) {
        reserve(4 + Self.longestDecimal)
        var magnitude = value.magnitude
        var digits = 1
        var bound: UInt = 10
        while digits < 20, magnitude >= bound {
            digits += 1
            bound = bound &* 10
        }
        let length = digits + (value < 0 ? 1 : 0)
        UnsafeMutableRawPointer(bytes! + count).storeBytes(of: Int32(length).bigEndian, as: Int32.self)
        let start = bytes! + count + 4
        if value < 0 { start[0] = UInt8(ascii: "-") }
        var position = length - 1
        repeat {
            start[position] = UInt8(truncatingIfNeeded: magnitude % 10) &+ UInt8(ascii: "0")
            magnitude /= 10
            position -= 1
        } while magnitude != 0
        count += 4 + length
    }

    /// Starts a message: its type, and room for its length (`endMessage` fills it in).
    @inline(__always)
    mutating func beginMessage(_ type: UInt8) {
        appendByte(type)
        messageStart = count
        appendInt32(0)
    }

    mutating func appendBytes(_ source: [UInt8]) {
        reserve(source.count)
        source.withUnsafeBufferPointer { (bytes! + count).update(from: $0.baseAddress!, count: $0.count) }
        count += source.count
    }

    /// Writes the length of the message whose type byte is at `start` and whose last byte is before `end`.
    @inline(__always)
    mutating func setLength(ofMessageAt start: Int, endingAt end: Int) {
        UnsafeMutableRawPointer(bytes! + start + 1).storeBytes(of: Int32(end - start - 1).bigEndian, as: Int32.self)
    }

    @inline(__always)
    mutating func endMessage() {
        UnsafeMutableRawPointer(bytes! + messageStart).storeBytes(of: Int32(count - messageStart).bigEndian, as: Int32.self)
    }
}

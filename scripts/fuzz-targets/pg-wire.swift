// libFuzzer entry: bytes from a PostgreSQL server through the wire protocol codec, for a queue of
// statements, pipelines, simple queries and sync points the input chooses, cut into reads where it
// says. Replies are read the way the session reads them. Built and run by scripts/fuzz.
import Foundation
@testable import StrainPQ

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPGWire(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 2 else { return 0 }
    // The first byte: four commands in flight, two bits each; the second: the size of each read.
    let codec = PGWireCodec()
    for shift in stride(from: 0, to: 8, by: 2) {
        switch (bytes[0] >> UInt8(shift)) & 3 {
        case 0: try? codec.appendPrepared(try PGWireExecution(statement: "s", parameterCount: 2, describe: true, sync: true), parameters: ["1", nil])
        case 1: try? codec.appendPrepared(try PGWireExecution(statement: "s", parameterCount: 0, describe: false, sync: false), parameters: [])
        case 2: try? codec.appendSimpleQuery("SELECT 1; SELECT 2", describe: true)
        default: codec.appendSync()
        }
    }
    codec.sent(codec.unsent.count)
    let readSize = Int(bytes[1]) + 1
    let stream = UnsafeRawBufferPointer(start: bytes + 2, count: count - 2)
    var offset = 0, replies = 0
    while offset < stream.count {
        let end = min(offset + readSize, stream.count)
        let piece = UnsafeRawBufferPointer(rebasing: stream[offset..<end])
        let space = codec.inputSpace(minimum: piece.count)
        precondition(space.count >= piece.count, "no room for a read of \(piece.count) bytes")
        space.copyMemory(from: piece)
        codec.received(piece.count)
        offset = end
        while true {
            let reply: PGWireReply
            do {
                reply = try codec.nextReply()
            } catch {
                precondition(error.message.hasPrefix("lost synchronization"), "an unexplained failure: \(error.message)")
                return 0 // the session drops the connection here
            }
            if case .needsInput = reply { break }
            replies += 1
            // At most a reply per byte, and the ones the codec makes up for skipped statements.
            precondition(replies <= stream.count + 8, "\(replies) replies from \(stream.count) bytes")
            if case .result(let result) = reply {
                _ = (result.affectedRows, result.commandTag, result.columnNames, result.firstRow, result.error?.message)
            }
        }
        // A CopyFail the codec answered with goes out.
        if codec.answerQueued { codec.sent(codec.unsent.count) }
    }
    return 0
}

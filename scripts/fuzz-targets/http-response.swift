// libFuzzer entry: bytes from a server through the lean engine's HTTP/1.1 response parser, cut into
// reads where the input says (a socket delivers what it likes), responses parsed one after another
// as on a kept-alive connection. Built and run by scripts/fuzz.
import Foundation
@testable import StrainLoad

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPResponse(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    // The first byte chooses the request's kind, what is kept, and how the stream is cut.
    let options = Int(bytes[0])
    let headRequest = options & 1 != 0, keepResponse = options & 2 != 0
    let readSize = (options >> 3) * 2 + 1
    let bodyLimit = 1 + options
    let stream = UnsafeRawBufferPointer(start: bytes + 1, count: count - 1)
    var parser = HTTPResponseParser()
    parser.collectsSetCookies = options & 4 != 0
    parser.reset(headRequest: headRequest, keepResponse: keepResponse, bodyLimit: bodyLimit)
    var offset = 0
    // Every turn consumes a byte or starts a response: this bounds the loop whatever the parser does.
    var turns = 0
    while offset < stream.count, turns <= 2 * stream.count + 2 {
        turns += 1
        let end = min(offset + readSize, stream.count)
        switch parser.parse(UnsafeRawBufferPointer(rebasing: stream[offset..<end])) {
        case .needMore:
            offset = end
        case .complete(let consumed):
            precondition((0...(end - offset)).contains(consumed), "consumed \(consumed) of \(end - offset) bytes")
            precondition(parser.body.count <= bodyLimit, "kept \(parser.body.count) bytes past the limit \(bodyLimit)")
            precondition(!keepResponse || UInt64(parser.body.count) <= parser.bodyBytes, "kept more than was received")
            offset += consumed
            parser.reset(headRequest: headRequest, keepResponse: keepResponse, bodyLimit: bodyLimit)
        case .malformed(let message):
            precondition(!message.isEmpty, "a malformed response without a reason")
            return 0
        }
    }
    _ = parser.endOfStream()
    return 0
}

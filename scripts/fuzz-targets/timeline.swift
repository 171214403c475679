// libFuzzer entry: timeline.ndjson through the reader and the digest the charts are drawn from.
// Built and run by scripts/fuzz.
import Foundation
import StrainContract
import StrainReport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimeline(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(UnsafeBufferPointer(start: bytes, count: count))
    var digest = TimelineDigest()
    try? TimelineReader.parse(data, path: "timeline.ndjson") { digest.add($0) }
    _ = digest.intervalSeconds
    return 0
}

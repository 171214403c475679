// libFuzzer entry: profile text through the decoder, the validation and the load plan
// (what `strain validate` and `strain run` do with a profile). Built and run by scripts/fuzz.
import Foundation
import StrainProfile

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProfile(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    // Files a profile names (feeders, bodies) resolve into a folder that does not exist.
    if let profile = try? ProfileLoader.parse(text, path: "fuzz.json5", baseDirectory: URL(fileURLWithPath: "/nonexistent")) {
        _ = Plan(profile)
    }
    return 0
}

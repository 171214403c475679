// libFuzzer entry: run.json through the artifact reader and every report format (what
// `strain report` does with a run folder). Built and run by scripts/fuzz.
import Foundation
import StrainDiagnose
import StrainContract
import StrainReport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRunArtifact(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(UnsafeBufferPointer(start: bytes, count: count))
    guard let artifact = try? RunArtifact.decode(data, path: "run.json") else { return 0 }
    let report = RunReport(artifact: artifact, thresholdsNote: "fuzzing")
    for format in ReportFormat.allCases {
        _ = try? format.render(report)
    }
    _ = LoadContext(artifact: artifact)
    return 0
}

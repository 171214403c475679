// libFuzzer entry: diagnosis.json and evidence.json through their reader, and saved evidence through
// the diagnoser (what `strain diagnose --evidence FILE` does). Built and run by scripts/fuzz.
import Foundation
import StrainDiagnose

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDiagnosisFiles(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(UnsafeBufferPointer(start: bytes, count: count))
    _ = try? DiagnosisJSON.decode(Diagnosis.self, from: data, path: "diagnosis.json")
    if let evidence = try? DiagnosisJSON.decode(Evidence.self, from: data, path: "evidence.json") {
        _ = Diagnoser.diagnose(evidence)
    }
    return 0
}

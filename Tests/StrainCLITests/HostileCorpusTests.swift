import Foundation
import Testing

/// `Hostile/` holds profiles built to crash, hang or fool `strain validate`: numbers beyond every limit,
/// nesting tens of thousands deep, thousands of steps, scenarios and stages, CR/LF in headers, names
/// that climb out of reports/, COPY and unfinished transactions, binary garbage. Each must be answered
/// with exit 2 (or 0 for the `ok-` files, which sit right at a limit or hold a secret) within seconds.
struct HostileCorpusTests {
    static let folder = "Tests/StrainCLITests/Hostile"
    static let files = ValidateTests.files(in: folder)

    @Test func theCorpusHasAtLeastOneHundredFiftyProfiles() {
        #expect(Self.files.count >= 150)
    }

    @Test(arguments: files)
    func validateAnswersWithoutCrashingOrHanging(path: String) throws {
        let outcome = try StrainProcess.run(["validate", path], timeLimit: 30)
        let expected: Int32 = URL(fileURLWithPath: path).lastPathComponent.hasPrefix("ok-") ? 0 : 2
        #expect(outcome.status == expected, "\(path): exit \(outcome.status)\n\(outcome.stderr.prefix(500))")
        if expected == 2 {
            #expect(outcome.stderr.contains(path), "the error names the file: \(outcome.stderr.prefix(500))")
        }
    }
}

import Foundation
import StrainContract
import StrainProfile
import StrainReport
import Testing

struct AskedRateTests {
    /// The run records what its schedule asked over the time that ran; the report shows that rather
    /// than the profile's whole-plan average (15/s here).
    @Test func theReportShowsTheRateAskedOverTheTimeThatRan() throws {
        let profile = try ProfileLoader.parse(KnownRun.profileHeader + "}", path: "known.json5", baseDirectory: URL(fileURLWithPath: "/tmp"))
        var artifact = KnownRun.artifact
        #expect(RunReport(artifact: artifact, profile: profile).askedRates["browse"] == 15)
        artifact.scenarios[0].askedRate = 7.5
        let report = RunReport(artifact: artifact, profile: profile)
        #expect(report.askedRates["browse"] == 7.5)
        #expect(TerminalReport.render(report, color: false).contains("7.50/s"))
    }
}

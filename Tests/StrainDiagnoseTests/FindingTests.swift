import Foundation
import Testing
@testable import StrainDiagnose

struct RankingTests {
    static func finding(_ check: CheckID, seconds: Double, severity: Finding.Severity = .warning,
                        step: Finding.Step = .slowQueries, object: String = "x") -> Finding {
        Finding(step: step, check: check, title: check.rawValue, object: object, evidence: [],
                impact: .init(totalSeconds: seconds), severity: severity, fix: "")
    }

    @Test func totalTimeOutranksTimePerCall() {
        // A 10 ms query called 1000 times against a 500 ms query called once.
        let frequent = Self.finding(.nPlusOne, seconds: 1000 * 0.010)
        let slowOnce = Self.finding(.topStatement, seconds: 0.5, severity: .critical)
        #expect(Ranking.ranked([slowOnce, frequent]).map(\.check) == [.nPlusOne, .topStatement])
    }

    @Test func nearlyEqualImpactsFallToStableKeysWhateverTheInputOrder() {
        // Severity first, then checklist step, check and object.
        let findings = [Self.finding(.topStatement, seconds: 1.004, severity: .info),
                        Self.finding(.missingIndex, seconds: 1.001, severity: .warning),
                        Self.finding(.cpuSaturation, seconds: 1.003, severity: .warning, step: .metrics, object: "y"),
                        Self.finding(.cpuSaturation, seconds: 1.002, severity: .warning, step: .metrics, object: "x")]
        let expected = ["cpu-saturation x", "cpu-saturation y", "missing-index x", "top-statement x"]
        #expect(Ranking.ranked(findings).map { "\($0.check) \($0.object)" } == expected)
        #expect(Ranking.ranked(findings.reversed()).map { "\($0.check) \($0.object)" } == expected)
    }

    /// Between checks of one step, a tie falls to the ids as written ("missing-index" before
    /// "n-plus-one"), not to the order the cases are declared in, so rankings stay what they were.
    @Test func tiedChecksFallToTheirIDs() {
        let findings = [Self.finding(.nPlusOne, seconds: 1), Self.finding(.missingIndex, seconds: 1)]
        #expect(Ranking.ranked(findings).map(\.check) == [.missingIndex, .nPlusOne])
        #expect(Ranking.ranked(findings.reversed()).map(\.check) == [.missingIndex, .nPlusOne])
    }

    @Test(arguments: [(0.01234, 0.012), (1530, 1500), (1, 1), (0, 0), (-1, 0), (.nan, 0)] as [(Double, Double)])
    func impactsAreComparedAtTwoSignificantDigits(seconds: Double, rounded: Double) {
        #expect(abs(Ranking.roundedImpact(seconds) - rounded) < 1e-12)
    }
}

struct DiagnoserTests {
    typealias B = EvidenceBuilder

    static let evidence: Evidence = {
        var evidence = B.evidence(host: B.host(), postgres: B.postgres(),
                                  dependencies: [DependenciesCheckTests.dependency("payments", totals: [0.2, 0.2])])
        evidence.gaps = [EvidenceGap(step: .profile, message: "perf is not installed")]
        return evidence
    }()

    @Test func everyStepHasANoteAndGapsAreNamed() {
        let diagnosis = Diagnoser.diagnose(Self.evidence)
        #expect(diagnosis.notes.map(\.step) == Finding.Step.allCases)
        #expect(diagnosis.notes.last?.summary.contains("not collected: perf is not installed") == true)
        #expect(diagnosis.requests == nil)
    }

    @Test func findingsFromEveryStepAreRankedTogether() {
        let diagnosis = Diagnoser.diagnose(Self.evidence)
        #expect(diagnosis.findings.map(\.check) == [.topStatement, .cpuSaturation, .slowDependency, .nPlusOne])
        #expect(diagnosis.findings == Ranking.ranked(diagnosis.findings))
    }

    @Test func theSameEvidenceGivesTheSameJSON() throws {
        let first = try DiagnosisJSON.encode(Diagnoser.diagnose(Self.evidence))
        let second = try DiagnosisJSON.encode(Diagnoser.diagnose(Self.evidence))
        #expect(first == second)
    }

    @Test func evidenceAndDiagnosisSurviveAJSONRoundTrip() throws {
        let evidence = try DiagnosisJSON.decode(Evidence.self, from: DiagnosisJSON.encode(Self.evidence))
        #expect(evidence == Self.evidence)
        let diagnosis = Diagnoser.diagnose(Self.evidence)
        #expect(try DiagnosisJSON.decode(Diagnosis.self, from: DiagnosisJSON.encode(diagnosis)) == diagnosis)
    }

    @Test func diagnosisJSONHasTheDocumentedShape() throws {
        let json = try #require(String(data: DiagnosisJSON.encode(Diagnoser.diagnose(Self.evidence)), encoding: .utf8))
        for key in ["\"format\" : 1", "\"startedAt\" : \"2023-11-14T22:13:20.000Z\"", "\"findings\"", "\"notes\"",
                    "\"impact\"", "\"totalSeconds\"", "\"severity\" : \"warning\"", "\"step\" : 2", "\"check\" : \"n-plus-one\""] {
            #expect(json.contains(key), "missing \(key)")
        }
    }

    /// Evidence no collector writes is refused with its key: every figure drawn from it would be wrong.
    @Test func evidenceNoCollectorWritesIsRefused() throws {
        var newer = Self.evidence
        newer.format = Evidence.formatVersion + 1
        #expect(newer.problem?.hasSuffix("upgrade strain") == true)
        var backwards = Self.evidence
        backwards.endedAt = backwards.startedAt.addingTimeInterval(-1)
        #expect(backwards.problem?.hasPrefix("endedAt (") == true)
        var negative = Self.evidence
        negative.postgres?.statementSnapshots[0].statements[0].calls = -10
        #expect(negative.problem == "invalid value at 'postgres.statementSnapshots[0].statements[0].calls': -10 (a count cannot be negative)")
        for cores in [0, 1_000_000_000_000_000] {
            var host = Self.evidence
            host.host = HostEvidence(source: "/proc", cores: cores, sharedWithGenerator: false, samples: [])
            #expect(host.problem == "invalid value at 'host.cores': \(cores) (expected 1 to 1048576)")
        }
        #expect(Self.evidence.problem == nil)

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("strain-negative-\(UInt32.random(in: 0...UInt32.max)).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try DiagnosisJSON.write(negative, to: url)
        let error = try #require(throws: DiagnosisFileError.self) { try DiagnosisJSON.readEvidence(from: url) }
        #expect(error.description == url.path + ": " + negative.problem!)
    }

    /// Numbers only a hostile or corrupt evidence file holds print without trapping.
    @Test(arguments: [(1e19, "1e+19 s"), (7_500, "125 min 0 s"), (Double.infinity, "inf s"), (Double.nan, "nan s")])
    func hugeDurationsPrint(seconds: Double, text: String) {
        #expect(Format.duration(seconds) == text)
    }

    @Test func hugeCountsPrint() {
        #expect(Format.count(1e22) == "1e+22")
        #expect(Format.count(1234.4) == "1,234")
    }

    @Test func aBrokenFileNamesWhereItIsBroken() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("strain-broken-\(UInt32.random(in: 0...UInt32.max)).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(#"{"format": 1, "startedAt": "yesterday"}"#.utf8).write(to: url)
        let error = try #require(throws: DiagnosisFileError.self) { try DiagnosisJSON.read(Evidence.self, from: url) }
        #expect(error.description.hasPrefix(url.path + ": "))
        #expect(error.description.contains("startedAt"))
    }
}

import Foundation
import Testing

/// `strain validate` over the shipped examples and the malformed corpus, through the real binary.
@Suite("strain validate")
struct ValidateTests {
    static func files(in folder: String) -> [String] {
        let directory = StrainProcess.packageRoot.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json5") }.sorted().map { "\(folder)/\($0)" }
    }

    static let examples = files(in: "profiles")
    static let malformed = files(in: "Tests/StrainProfileTests/Malformed")

    @Test func theRepositoryShipsExamplesAndACorpus() {
        #expect(Self.examples.count >= 3)
        #expect(Self.malformed.count >= 20)
    }

    @Test(arguments: examples)
    func everyExampleValidatesAndPrintsItsPlan(path: String) throws {
        let outcome = try StrainProcess.run(["validate", path])
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
        #expect(outcome.stdout.contains("\(path): valid"))
        #expect(outcome.stderr.isEmpty)
    }

    @Test(arguments: malformed)
    func everyMalformedProfileExitsTwoWithItsExpectedMessage(path: String) throws {
        let text = try String(contentsOf: StrainProcess.packageRoot.appendingPathComponent(path), encoding: .utf8)
        let firstLine = try #require(text.split(separator: "\n").first)
        let expectation = try #require(firstLine.split(separator: "// expect: ", maxSplits: 1).last.map(String.init))
        let outcome = try StrainProcess.run(["validate", path])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(path), "the error names the file: \(outcome.stderr)")
        #expect(outcome.stderr.contains(expectation), "stderr: \(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
    }

    /// A profile's text is quoted in errors; its escape sequences must not reach the terminal as such.
    @Test func controlCharactersOfAProfileAreShownEscaped() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("strain-escape-\(UUID().uuidString).json5")
        defer { try? FileManager.default.removeItem(at: file) }
        try #"{ name: "e", target: { baseURL: "http://127.0.0.1:1" }, scenarios: [{ name: "s", load: { rate: "1\u001b[31m/s", duration: "1s" }, steps: [{ path: "/", method: "G\u001b]0;pwned\u0007ET" }] }] }"#
            .write(to: file, atomically: true, encoding: .utf8)
        let outcome = try StrainProcess.run(["validate", file.path])
        #expect(outcome.status == 2)
        #expect(!outcome.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(outcome.stderr)")
        #expect(outcome.stderr.contains(#"\u{1B}[31m"#), "\(outcome.stderr)")
    }

    @Test func oneBadProfileDoesNotStopTheOthersFromBeingChecked() throws {
        let good = try #require(Self.examples.first)
        let bad = try #require(Self.malformed.first)
        let outcome = try StrainProcess.run(["validate", bad, good])
        #expect(outcome.status == 2)
        #expect(outcome.stdout.contains("\(good): valid"))
        #expect(outcome.stderr.contains(bad))
    }

    /// Seven mistakes, one try: every problem on its own line, in document order, with line:column.
    @Test func everyProblemOfAProfileIsReportedInOnePass() throws {
        let path = "Tests/StrainProfileTests/Malformed/49-several-mistakes.json5"
        let outcome = try StrainProcess.run(["validate", path])
        #expect(outcome.status == 2)
        let lines = outcome.stderr.split(separator: "\n").map(String.init)
        #expect(lines.map { $0.split(separator: ":").dropFirst().prefix(2).joined(separator: ":") }
                == ["4:3", "7:37", "7:86", "8:71", "9:7", "11:17", "11:52"], "\(outcome.stderr)")
        #expect(lines.allSatisfy { $0.hasPrefix(path + ":") })
        for fragment in [#"did you mean "target"?"#, #"found "fast""#, #"did you mean "timeout"?"#, "the number needs a unit",
                         #"did you mean "steps"?"#, #"did you mean "latency"?"#, "lots"] {
            #expect(outcome.stderr.contains(fragment), "\(fragment) missing from: \(outcome.stderr)")
        }
    }

    /// A feeder's short record is found by validate, as the run would find it, naming the file and record.
    @Test func aFeederWithAShortRecordIsInvalid() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-feeder-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "id,x\n1,2\n3\n".write(to: folder.appendingPathComponent("rows.csv"), atomically: true, encoding: .utf8)
        let profile = folder.appendingPathComponent("p.json5")
        try #"{ name: "f", target: { baseURL: "http://127.0.0.1:1" }, feeders: { rows: { csv: "rows.csv" } }, scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 1 }, steps: [{ path: "/${rows.id}" }] }] }"#
            .write(to: profile, atomically: true, encoding: .utf8)
        let outcome = try StrainProcess.run(["validate", profile.path])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("feeder \"rows\""), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("record 3 has 1 fields; the header has 2"), "\(outcome.stderr)")
    }

    @Test func aMissingFileIsABadInputNamingThePath() throws {
        let outcome = try StrainProcess.run(["validate", "profiles/does-not-exist.json5"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("profiles/does-not-exist.json5"))
    }
}

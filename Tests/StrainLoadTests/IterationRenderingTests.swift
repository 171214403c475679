import Foundation
@testable import StrainProfile
import Testing
@testable import StrainLoad

@Suite("rendering ${…} per iteration")
struct IterationRenderingTests {
    /// A profile whose first step's URL is `path`, with a users.csv feeder in `mode`.
    static func profile(path: String, feederMode: String = "sequential", in directory: URL) throws -> Profile {
        try "id,email\n1,ada@example.com\n2,grace@example.com\n3,edsger@example.com\n"
            .write(to: directory.appendingPathComponent("users.csv"), atomically: true, encoding: .utf8)
        return try TestProfile.parse("""
        {
          name: "render",
          target: { baseURL: "http://127.0.0.1:1" },
          feeders: { users: { csv: "users.csv", mode: "\(feederMode)" } },
          scenarios: [{
            name: "s", load: { model: "closed", connections: 1, iterations: 1 },
            steps: [{ name: "login", path: "/login", extract: { token: "$.token" } }, { name: "next", path: "\(path)" }],
          }],
        }
        """, directory: directory)
    }

    static func url(of profile: Profile, step: Int) throws -> Template {
        guard case .http(let request) = profile.scenarios[0].steps[step].action else { throw CancellationError() }
        return request.url
    }

    @Test func feederColumnsOfOneRowAndEnvironmentAndVariables() throws {
        let directory = try TestProfile.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let profile = try Self.profile(path: "/u/${users.id}?mail=${users.email}&k=${env.API_KEY}&t=${token}", in: directory)
        let iteration = try makeIteration(profile, environment: ["API_KEY": "secret"])
        iteration.setVariable("token", to: "t-1")
        #expect(try iteration.render(Self.url(of: profile, step: 1))
            == "http://127.0.0.1:1/u/1?mail=ada@example.com&k=secret&t=t-1")
    }

    /// Rows are stored as one run of values, as many per row as the header has columns: empty fields
    /// past the last column (a trailing comma, as spreadsheets export) are dropped.
    @Test func feederValuesAreReadByRowAndColumnATrailingCommaAside() throws {
        let directory = try TestProfile.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("codes.csv")
        try "code,note\nA1,first,\r\nB1,\"second, quoted\",,\"\"\n".write(to: file, atomically: true, encoding: .utf8)
        let feeder = try LoadedFeeder(Feeder(name: "codes", file: file, mode: .sequential, columns: ["code", "note"]))
        #expect(feeder.rowCount == 2)
        let note = try #require(feeder.columnIndex["note"])
        let code = try #require(feeder.columnIndex["code"])
        #expect([feeder.value(row: 0, column: code), feeder.value(row: 0, column: note)] == ["A1", "first"])
        #expect([feeder.value(row: 1, column: code), feeder.value(row: 1, column: note)] == ["B1", "second, quoted"])
    }

    @Test("a feeder file without data rows, or with rows that do not fit its header, is refused, saying where", arguments: [
        ("", "is empty; expected a header row, then data rows"),
        ("\n\n", "is empty; expected a header row, then data rows"),
        ("id\n", "has a header row but no data rows"),
        ("id,name\n1,ada\n2\n", "record 3 has 1 fields; the header has 2"),
        ("id,name\n1,ada\n2,bob,extra\n", "record 3 has 3 fields; the header has 2"),
    ])
    func aFeederWithoutDataIsRefused(text: String, message: String) throws {
        let directory = try TestProfile.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("f.csv")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let error = try #require(throws: LoadError.self) {
            try LoadedFeeder(Feeder(name: "f", file: file, mode: .random, columns: []))
        }
        #expect(error.message == "feeder \"f\": \(file.path) \(message)")
    }

    @Test func aVariableNoStepExtractedFailsTheStepWithTheTemplateLabel() throws {
        let directory = try TestProfile.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let profile = try Self.profile(path: "/t/${token}", in: directory)
        let iteration = try makeIteration(profile)
        #expect(throws: StepFailure(.template, "${token} has no value: no earlier step of this iteration extracted it",
                                    endsIteration: true)) {
            try iteration.render(Self.url(of: profile, step: 1))
        }
    }

    @Test func aMissingEnvironmentVariableStopsTheRunBeforeItStarts() throws {
        let directory = try TestProfile.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let profile = try Self.profile(path: "/${env.NOT_SET_ANYWHERE}", in: directory)
        let error = try #require(throws: LoadError.self) { try RunInputs(profile: profile, environment: [:]) }
        #expect(error.message.contains("NOT_SET_ANYWHERE is not set"))
    }

    @Test(arguments: [("sequential", [0, 1, 2, 0, 1] as [Int?]), ("unique", [0, 1, 2, nil, nil])])
    func feederModesHandOutRowsInOrder(mode: String, expected: [Int?]) throws {
        let directory = try TestProfile.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputs = try RunInputs(profile: try Self.profile(path: "/${users.id}", feederMode: mode, in: directory), environment: [:])
        let random = WorkerRandom(seed: 7)
        let rows = (0..<5).map { _ in Iteration.pickFeederRows([0], inputs: inputs, random: random)?[0] }
        #expect(rows == expected)
    }

    @Test func randomFeederRowsStayInRangeAndVary() throws {
        let directory = try TestProfile.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputs = try RunInputs(profile: try Self.profile(path: "/${users.id}", feederMode: "random", in: directory), environment: [:])
        let random = WorkerRandom(seed: 7)
        let rows = (0..<200).compactMap { _ in Iteration.pickFeederRows([0], inputs: inputs, random: random)?[0] }
        #expect(Set(rows) == [0, 1, 2])
    }

    @Test func generatorsGiveFreshValuesAndSequencesAreSharedByStart() throws {
        let directory = try TestProfile.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let profile = try Self.profile(path: "/${sequence(1000)}/${random(5, 6)}/${pick(a, b)}/${uuid()}", in: directory)
        let inputs = try RunInputs(profile: profile, environment: [:])
        let random = WorkerRandom(seed: 3)
        var sequences: [String] = []
        for _ in 0..<20 {
            let iteration = Iteration(scenario: 0, workerScenario: 0, start: .init(intended: 0, user: nil, delayed: false),
                                      feederRows: [0], inputs: inputs, random: random)
            let parts = try iteration.render(Self.url(of: profile, step: 1)).split(separator: "/").suffix(4).map(String.init)
            sequences.append(parts[0])
            #expect(["5", "6"].contains(parts[1]))
            #expect(["a", "b"].contains(parts[2]))
            #expect(UUID(uuidString: parts[3]) != nil)
        }
        #expect(sequences == (1000..<1020).map(String.init))
    }

    @Test func aTemplateOfOneReferenceRendersToItsValueAlone() throws {
        let profile = try TestProfile.parse("""
        { name: "sole", scenarios: [{ name: "s", postgres: { conninfo: "host=127.0.0.1" },
            load: { model: "closed", connections: 1, iterations: 1 },
            steps: [{ sql: "SELECT $1, $2", params: ["${random(-3, -3)}", "${env.N}"] }] }] }
        """)
        let iteration = try makeIteration(profile, environment: ["N": "42"])
        guard case .sql(let query) = profile.scenarios[0].steps[0].action else {
            Issue.record("expected a sql step")
            return
        }
        #expect(try query.parameters.map { try iteration.render($0) } == ["-3", "42"])
    }

    @Test func jsonBodiesSubstituteReferencesAsStrings() throws {
        let profile = try TestProfile.parse("""
        { name: "json", target: { baseURL: "http://127.0.0.1:1" },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 1 },
            steps: [{ path: "/", method: "POST", body: { user: "${env.USER_ID}", n: 1, tags: ["x"] } }] }] }
        """)
        let iteration = try makeIteration(profile, environment: ["USER_ID": "u\"1"])
        guard case .http(let request) = profile.scenarios[0].steps[0].action, case .json(let json)? = request.body else {
            Issue.record("expected a JSON body")
            return
        }
        #expect(try iteration.render(json) == #"{"user":"u\"1","n":1,"tags":["x"]}"#)
    }
}

import Foundation
import Testing
import StrainContract
@testable import StrainProfile

/// Decoding valid profiles into the model: defaults, merging, resolution of files and references.
struct ProfileLoaderTests {
    /// A folder with the files profiles refer to, removed when the test ends.
    final class Fixture {
        let directory: URL

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("strain-profile-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("data"), withIntermediateDirectories: true)
            try write("data/users.csv", "\u{FEFF}id, email ,\"full name\"\r\n1,ada@example.test,\"Lovelace, Ada\"\r\n")
            try write("data/empty.csv", "")
            try write("data/header-only.csv", "id,email\n")
            try write("data/repeated.csv", "id,id\n1,2\n")
            try write("data/blank-column.csv", "id,,email\n1,2,3\n")
            try write("body.json", #"{"raw": true}"#)
            try write("ca.pem", "-----BEGIN CERTIFICATE-----\n")
        }

        deinit {
            try? FileManager.default.removeItem(at: directory)
        }

        func write(_ path: String, _ text: String) throws {
            try Data(text.utf8).write(to: directory.appendingPathComponent(path))
        }

        func parse(_ text: String) throws(ProfileError) -> Profile {
            try ProfileLoader.parse(text, path: "test.json5", baseDirectory: directory)
        }
    }

    static let checkout = """
    {
      name: "checkout",
      description: "all the features",
      target: { baseURL: "http://127.0.0.1:8080/api/", allow: ["127.0.0.1", "[::1]"], http: "h2c",
                tls: { caFile: "ca.pem", insecure: true }, redirects: 2 },
      defaults: { timeout: "5s", headers: { Accept: "application/json", "X-Trace": "${uuid()}" }, thinkTime: "10ms" },
      feeders: { users: { csv: "data/users.csv", mode: "unique" } },
      scenarios: [
        {
          name: "buy",
          load: { model: "open", start: "10/s", stages: [{ to: "50/s", over: "30s" }, { to: "0/s", over: "10s" }],
                  arrival: "poisson", maxConnections: 32, thinkTime: "1s" },
          steps: [
            { method: "post", path: "/login", body: { user: "${users.email}", nested: [1, "${users.full name}"] },
              extract: { token: "$.data.token", id: { header: "X-Id" }, n: { regex: "n=(\\\\d+)" } },
              check: { status: 200, json: { "$.ok": true }, bodyContains: "${users.id}" }, timeout: "2s" },
            { name: "orders", url: "http://[::1]:8080/orders/${id}?n=${n}", headers: { accept: "text/plain", Authorization: "Bearer ${token}" },
              body: { file: "body.json" } },
            { path: "/ping", body: "n=${sequence(5)}", headers: { "content-type": "text/plain" }, check: null },
          ],
        },
        {
          name: "db",
          postgres: { conninfo: "${env.PG}", protocol: "extended", pipeline: 4 },
          load: { model: "closed", connections: 3, iterations: 300 },
          steps: [
            { sql: "SELECT total FROM orders WHERE id = $1 AND note <> '$9' -- $8", params: ["${random(1, 9)}"],
              extract: { total: "total" }, check: { rows: 1 } },
            { name: "again", sql: "SELECT $1::numeric", params: [42] },
          ],
        },
      ],
      thresholds: { "buy.orders.latency": ["p(99) < 250ms", { threshold: "max < 1s", abortOnFail: true }] },
      diagnose: { postgres: "${env.PG}", pid: 4242, pgbouncer: "host=127.0.0.1 port=6432 dbname=pgbouncer",
                  nodeExporter: "http://127.0.0.1:9100/metrics", dependencies: { payments: "http://127.0.0.1:9000/health" },
                  explainAnalyze: true, idleInTransactionAfter: "2s" },
    }
    """

    @Test func decodesEverySection() throws {
        let fixture = try Fixture()
        let profile = try fixture.parse(Self.checkout)
        #expect(profile.name == "checkout")
        #expect(profile.description == "all the features")
        #expect(profile.source == ProfileSource(path: "test.json5", text: Self.checkout))

        #expect(profile.target.baseURL == URL(string: "http://127.0.0.1:8080/api/"))
        #expect(profile.target.allowedHosts == ["127.0.0.1", "::1"])
        #expect(profile.target.httpVersion == .h2c)
        #expect(profile.target.tls == TLSOptions(caFile: fixture.directory.appendingPathComponent("ca.pem").standardizedFileURL, insecure: true))
        #expect(profile.target.maxRedirects == 2)

        #expect(profile.defaults.timeout == TimeSpan(seconds: 5))
        #expect(profile.defaults.thinkTime == TimeSpan(seconds: 0.01))
        let feeder = try #require(profile.feeders.first)
        #expect(feeder.name == "users")
        #expect(feeder.mode == .unique)
        #expect(feeder.columns == ["id", "email", "full name"])
        #expect(feeder.file.path.hasSuffix("/data/users.csv"))

        #expect(profile.thresholds.map(\.description) == ["buy.orders.latency: p(99) < 250ms", "buy.orders.latency: max < 1s"])
        #expect(profile.thresholds.map(\.abortOnFail) == [false, true])

        let diagnose = try #require(profile.diagnose)
        #expect(diagnose.postgres?.references == [.environment("PG")])
        #expect(diagnose.pid == 4242)
        #expect(diagnose.pgbouncer?.literalText == "host=127.0.0.1 port=6432 dbname=pgbouncer")
        #expect(diagnose.nodeExporter == URL(string: "http://127.0.0.1:9100/metrics"))
        #expect(diagnose.dependencies == [Dependency(name: "payments", url: URL(string: "http://127.0.0.1:9000/health")!)])
        #expect(diagnose.explainAnalyze)
        #expect(diagnose.idleInTransactionAfter == TimeSpan(seconds: 2))
    }

    @Test func resolvesHTTPSteps() throws {
        let fixture = try Fixture()
        let scenario = try #require(try fixture.parse(Self.checkout).scenarios.first)
        #expect(scenario.kind == .http)
        #expect(scenario.thinkTime == TimeSpan(seconds: 1))
        #expect(scenario.load == .open(OpenLoad(
            start: Rate(perSecond: 10),
            stages: [Stage(target: Rate(perSecond: 50), duration: TimeSpan(seconds: 30)), Stage(target: .zero, duration: TimeSpan(seconds: 10))],
            arrival: .poisson, maxConnections: 32)))
        #expect(scenario.steps.map(\.name) == ["POST /login", "orders", "GET /ping"])

        let login = scenario.steps[0]
        guard case .http(let request) = login.action else { Issue.record("not HTTP"); return }
        #expect(request.method == "POST")
        #expect(request.url.description == "http://127.0.0.1:8080/api/login")
        #expect(request.headers.map(\.name) == ["Accept", "X-Trace", "Content-Type"])
        guard case .json(let body)? = request.body else { Issue.record("not a JSON body"); return }
        #expect(body.render { "<\($0)>" } == #"{"user":"<users.email>","nested":[1,"<users.full name>"]}"#)
        #expect(login.timeout == TimeSpan(seconds: 2))
        #expect(login.extract == [
            Extraction(variable: "token", source: .jsonPath(try JSONPath(parsing: "$.data.token"))),
            Extraction(variable: "id", source: .header("X-Id")),
            Extraction(variable: "n", source: .regex("n=(\\d+)")),
        ])
        #expect(login.check.status == [200])
        #expect(login.check.json == [JSONCheck(path: try JSONPath(parsing: "$.ok"), expected: .bool(true))])
        #expect(login.check.bodyContains?.references == [.feeder(name: "users", column: "id")])

        guard case .http(let orders) = scenario.steps[1].action else { Issue.record("not HTTP"); return }
        #expect(orders.url.references == [.variable("id"), .variable("n")])
        // The step's own Accept replaces the default one; names compare case-insensitively.
        #expect(orders.headers.map(\.name) == ["X-Trace", "accept", "Authorization"])
        #expect(orders.body == .file(fixture.directory.appendingPathComponent("body.json").standardizedFileURL))
        #expect(scenario.steps[1].timeout == TimeSpan(seconds: 5))

        guard case .http(let ping) = scenario.steps[2].action else { Issue.record("not HTTP"); return }
        // A text body with an explicit content type gets no JSON content type.
        #expect(ping.headers.map(\.name) == ["Accept", "X-Trace", "content-type"])
        #expect(ping.body == .text(Template(parts: [.literal("n="), .reference(.generator(.sequence(start: 5)))], description: "n=${sequence(5)}")))
        #expect(scenario.steps[2].check == Check(status: nil, bodyContains: nil, json: [], rows: nil))
    }

    @Test func resolvesPostgresSteps() throws {
        let fixture = try Fixture()
        let scenario = try #require(try fixture.parse(Self.checkout).scenarios.last)
        #expect(scenario.kind == .postgres)
        #expect(scenario.postgres == PostgresOptions(conninfo: Template(parts: [.reference(.environment("PG"))], description: "${env.PG}"),
                                                     pool: 3, queryProtocol: .extended, pipelineDepth: 4))
        #expect(scenario.load == .closed(ClosedLoad(connections: 3, bound: .iterations(300))))
        #expect(scenario.thinkTime == TimeSpan(seconds: 0.01))
        #expect(scenario.steps.map(\.name) == ["SELECT total FROM orders", "again"])
        guard case .sql(let query) = scenario.steps[0].action, case .sql(let literal) = scenario.steps[1].action else {
            Issue.record("not SQL")
            return
        }
        #expect(query.parameters.map(\.references) == [[.generator(.random(min: 1, max: 9))]])
        #expect(scenario.steps[0].extract == [Extraction(variable: "total", source: .column("total"))])
        #expect(scenario.steps[0].check.rows == 1)
        #expect(literal.parameters.map(\.literalText) == ["42"])
    }

    /// An international host name is one host however it is spelled: a base URL's reads as its ASCII
    /// form, a step URL's as written, and either may be allowed in either spelling.
    @Test(arguments: ["exämple.com", "xn--exmple-cua.com", "EXÄMPLE.com"])
    func anInternationalHostIsAllowedInEitherSpelling(allowed: String) throws {
        let fixture = try Fixture()
        let profile = try fixture.parse("""
        { name: "idn", target: { baseURL: "http://exämple.com", allow: ["\(allowed)"] },
          scenarios: [{ name: "s", load: { rate: "1/s", duration: "1s" },
                        steps: [{ path: "/a" }, { url: "http://exämple.com/b" }, { url: "http://xn--exmple-cua.com/c" }] }] }
        """)
        #expect(profile.target.allowedHosts == ["xn--exmple-cua.com"])
    }

    @Test func maxBodyBytesComesFromTheDefaultsUnlessAStepSetsIt() throws {
        let profile = try Fixture().parse("""
            { name: "capped", target: { baseURL: "http://localhost:18080" }, defaults: { maxBodyBytes: 4096 },
              scenarios: [{ name: "a", load: { rate: "5/s", duration: "10s" },
                            steps: [{ path: "/" }, { path: "/big", maxBodyBytes: 10485760 }] }] }
            """)
        #expect(profile.scenarios[0].steps.map(\.maxBodyBytes) == [4096, 10 << 20])
        #expect(throws: ProfileError.self) {
            try Fixture().parse("""
                { name: "x", target: { baseURL: "http://localhost:18080" },
                  scenarios: [{ name: "a", load: { rate: "5/s", duration: "10s" }, steps: [{ path: "/", maxBodyBytes: 0 }] }] }
                """)
        }
    }

    @Test func appliesDefaultsWhenSectionsAreLeftOut() throws {
        let profile = try Fixture().parse("""
            { name: "minimal", target: { baseURL: "http://localhost:18080" },
              scenarios: [{ name: "a", load: { rate: "5/s", duration: "10s" }, steps: [{ path: "/" }] }] }
            """)
        #expect(profile.target.allowedHosts == ["localhost"])
        #expect(profile.target.httpVersion == .http1_1)
        #expect(profile.target.maxRedirects == 0)
        #expect(profile.defaults == Defaults(timeout: TimeSpan(seconds: 30), headers: [], thinkTime: .zero, maxBodyBytes: 1 << 20))
        #expect(profile.feeders.isEmpty && profile.thresholds.isEmpty && profile.diagnose == nil && profile.sharedLoad == nil)
        let scenario = try #require(profile.scenarios.first)
        #expect(scenario.weight == 1 && !scenario.sharesProfileLoad)
        #expect(scenario.load == .open(OpenLoad(start: Rate(perSecond: 5), stages: [Stage(target: Rate(perSecond: 5), duration: TimeSpan(seconds: 10))],
                                                arrival: .constant, maxConnections: 256)))
        #expect(scenario.steps.first?.check.accepts(status: 399) == true)
        #expect(scenario.steps.first?.check.accepts(status: 404) == false)
    }

    @Test func splitsTheSharedLoadByWeight() throws {
        let profile = try Fixture().parse("""
            { name: "mix", target: { baseURL: "http://127.0.0.1:18080" },
              load: { rate: "100/s", duration: "1m", maxConnections: 10 },
              scenarios: [
                { name: "a", weight: 3, steps: [{ path: "/a" }] },
                { name: "own", load: { model: "closed", connections: 1, duration: "5s" }, steps: [{ path: "/own" }] },
                { name: "b", steps: [{ path: "/b" }] },
              ] }
            """)
        let loads = profile.scenarios.map(\.load)
        #expect(loads[0] == .open(OpenLoad(start: Rate(perSecond: 75), stages: [Stage(target: Rate(perSecond: 75), duration: TimeSpan(seconds: 60))],
                                           arrival: .constant, maxConnections: 8)))
        #expect(loads[2] == .open(OpenLoad(start: Rate(perSecond: 25), stages: [Stage(target: Rate(perSecond: 25), duration: TimeSpan(seconds: 60))],
                                           arrival: .constant, maxConnections: 3)))
        #expect(profile.scenarios.map(\.sharesProfileLoad) == [true, false, true])
        #expect(profile.sharedLoad == .open(OpenLoad(start: Rate(perSecond: 100), stages: [Stage(target: Rate(perSecond: 100), duration: TimeSpan(seconds: 60))],
                                                     arrival: .constant, maxConnections: 10)))
    }

    @Test func splitsClosedConnectionsAndIterationsSoTheyAddUp() throws {
        let profile = try Fixture().parse("""
            { name: "mix", load: { model: "closed", connections: 10, iterations: 1001, thinkTime: "50ms" },
              scenarios: [
                { name: "a", postgres: { conninfo: "${env.PG}" }, steps: [{ sql: "SELECT 1" }] },
                { name: "b", postgres: { conninfo: "${env.PG}" }, steps: [{ sql: "SELECT 2" }] },
                { name: "c", weight: 2, postgres: { conninfo: "${env.PG}", pool: 2 }, steps: [{ sql: "SELECT 3" }] },
              ] }
            """)
        let loads = profile.scenarios.map(\.load)
        #expect(loads == [
            .closed(ClosedLoad(connections: 3, bound: .iterations(250))),
            .closed(ClosedLoad(connections: 2, bound: .iterations(250))),
            .closed(ClosedLoad(connections: 5, bound: .iterations(501))),
        ])
        #expect(profile.scenarios.map { $0.postgres?.pool } == [3, 2, 2])
        #expect(profile.scenarios.map(\.thinkTime) == Array(repeating: TimeSpan(seconds: 0.05), count: 3))
    }

    @Test(arguments: [(10, [1, 1, 1], [4, 3, 3]), (8, [3, 1], [6, 2]), (7, [1, 2, 4], [1, 2, 4]), (5, [1, 1], [3, 2]), (1, [1, 9], [0, 1])])
    func dividesWholesByLargestRemainder(total: Int, weights: [Int], parts: [Int]) {
        #expect(ScenarioDecoder.divide(total, by: weights) == parts)
    }

    @Test(arguments: [
        ("[1, 2]", "test.json5:1:1: expected an object, found an array"),
        (#"{ name: null, scenarios: [] }"#, #"test.json5:1:1: missing required key "name""#),
        (#"{ name: "x", colour: 1, scenarios: [] }"#, #"test.json5:1:14: colour: unknown key "colour"; expected one of $schema, name, description, target, defaults, feeders, load, scenarios, thresholds, diagnose"#),
        (#"{ name: "x", feeders: { users: { csv: "data/empty.csv" } }, scenarios: [] }"#, "feeders.users.csv: /"),
        (#"{ name: "x", feeders: { users: { csv: "data/header-only.csv" } }, scenarios: [] }"#, "header-only.csv has a header row but no data rows"),
        (#"{ name: "x", feeders: { users: { csv: "data/repeated.csv" } }, scenarios: [] }"#, #"repeated.csv names "id" twice"#),
        (#"{ name: "x", feeders: { users: { csv: "data/blank-column.csv" } }, scenarios: [] }"#, "column 2 of the header row of"),
        (#"{ name: "x", feeders: { "my-users": { csv: "data/users.csv" } }, scenarios: [] }"#, #"feeders["my-users"]: feeder names are letters, digits and _"#),
        (#"{ name: "x", target: { tls: { caFile: "nope.pem" } }, scenarios: [] }"#, "target.tls.caFile: file not found: "),
        (#"{ name: "x", diagnose: { dependencies: { "": "http://127.0.0.1:9/" } }, scenarios: [] }"#,
         #"diagnose.dependencies[""]: a dependency's name must not be empty"#),
        (#"{ name: "x", diagnose: { dependencies: { "pay\u001b[31m": "http://127.0.0.1:9/" } }, scenarios: [] }"#,
         "a dependency's name must not contain control characters (line breaks, tabs, NUL, escapes), found U+001B"),
        (#"{ name: "x", target: { baseURL: "127.0.0.1:8080" }, scenarios: [] }"#, #"target.baseURL: expected an absolute URL like "http://127.0.0.1:8080" (http or https), found "127.0.0.1:8080""#),
        (#"{ name: "x", target: { baseURL: "${env.URL}" }, scenarios: [] }"#, "target.baseURL: must be written out in full"),
        (#"{ name: "x", target: { baseURL: "http://a.test", allow: ["127.0.0.1"] }, scenarios: [] }"#, #"target.baseURL: host "a.test" is not in target.allow (127.0.0.1)"#),
        (#"{ name: "x", defaults: { headers: { Authorization: "Bearer ${token}" } }, scenarios: [] }"#, "defaults.headers.Authorization: defaults apply to every step"),
        (#"{ name: "x", defaults: { headers: { "Bad Header": "1" } }, scenarios: [] }"#, #"defaults.headers["Bad Header"]: "Bad Header" is not a valid header name"#),
        (#"{ name: "x", load: { rate: "1/s", duration: "1s" }, scenarios: [{ name: "a", load: { rate: "1/s", duration: "1s" }, steps: [{ url: "http://127.0.0.1/" }] }] }"#, "load: every scenario has a load of its own"),
        (#"{ name: "x", scenarios: [{ name: "a", steps: [{ url: "http://127.0.0.1/" }] }] }"#, #"scenarios[0]: missing required key "load" (or add a top-level load"#),
        (#"{ name: "x", load: { model: "closed", connections: 1, duration: "1s" }, scenarios: [{ name: "a", steps: [{ sql: "x" }], postgres: { conninfo: "x" } }, { name: "b", weight: 3, steps: [{ sql: "x" }], postgres: { conninfo: "x" } }] }"#, #"load.connections: connections 1 shared by weights 1, 3 leaves scenario "a" none"#),
        (#"{ name: "x", scenarios: [{ name: "http", load: { rate: "1/s", duration: "1s" }, steps: [] }] }"#, #"scenarios[0].name: "http" is reserved for threshold scopes"#),
        (#"{ name: "x", scenarios: [{ name: "a", load: { rate: "1/s", duration: "1s" }, steps: [] }] }"#, "scenarios[0].steps: must list at least one step"),
        (#"{ name: "x", scenarios: [{ name: "a", load: { stages: [] }, steps: [] }] }"#, "scenarios[0].load.stages: must list at least one stage"),
        (#"{ name: "x", scenarios: [{ name: "a", load: { stages: [{ to: "0/s", over: "1s" }] }, steps: [] }] }"#, "scenarios[0].load.stages: every stage goes to 0/s"),
        (#"{ name: "x", scenarios: [{ name: "a", load: { rate: "1/s", stages: [] }, steps: [] }] }"#, "scenarios[0].load.rate: use either rate + duration"),
        (#"{ name: "x", scenarios: [{ name: "a", load: { start: "1/s", rate: "1/s", duration: "1s" }, steps: [] }] }"#, "scenarios[0].load.start: start is the rate a ramp begins at"),
        (#"{ name: "x", scenarios: [{ name: "a", load: { duration: "1s" }, steps: [] }] }"#, "scenarios[0].load: the open model needs rate + duration"),
        (#"{ name: "x", scenarios: [{ name: "a", load: { connections: 2, rate: "1/s", duration: "1s" }, steps: [] }] }"#, "scenarios[0].load.connections: connections belongs to the closed model"),
        (#"{ name: "x", scenarios: [{ name: "a", postgres: { conninfo: "x", pool: 1 }, load: { rate: "1/s", duration: "1s", maxConnections: 3 }, steps: [] }] }"#, "scenarios[0].load.maxConnections: a PostgreSQL scenario's connections are its postgres.pool"),
        (#"{ name: "x", scenarios: [{ name: "a", postgres: { conninfo: "${random(1, 2)}" }, load: { model: "closed", connections: 1, duration: "1s" }, steps: [] }] }"#, "scenarios[0].postgres.conninfo: only ${env.NAME} references can be used here"),
    ])
    func rejectsInvalidProfiles(text: String, message: String) throws {
        let fixture = try Fixture()
        let error = try #require(throws: ProfileError.self) { try fixture.parse(text) }
        #expect(error.description.contains(message), "got: \(error.description)")
    }

    static let oneStep = #"{ name: "x", target: { baseURL: "http://127.0.0.1" }, scenarios: [{ name: "a", load: { rate: "1/s", duration: "1s" }, steps: [STEP] }] }"#
    static let oneQuery = #"{ name: "x", scenarios: [{ name: "a", postgres: { conninfo: "x" }, load: { model: "closed", connections: 1, duration: "1s" }, steps: [STEP] }] }"#

    @Test(arguments: [
        (oneStep, #"{ path: "/", body: { file: "missing.json" } }"#, "scenarios[0].steps[0].body.file: file not found: "),
        (oneStep, #"{ path: "/", body: 42 }"#, #"body: expected a string, a JSON object or array, or { file: "body.json" }, found number 42"#),
        (oneStep, #"{ path: "/", body: { n: Infinity } }"#, "body.n: JSON has no Infinity or NaN"),
        (oneStep, #"{ path: "/", extract: { n: { regex: "(" } } }"#, #"extract.n.regex: not a valid regular expression: "(""#),
        (oneStep, #"{ path: "/", extract: { n: { header: "X", regex: "y" } } }"#, "extract.n: set exactly one of header"),
        (oneStep, #"{ path: "/", extract: { n: { heder: "X" } } }"#, #"extract.n.heder: unknown key "heder"; did you mean "header"?"#),
        (oneStep, #"{ path: "/", extract: { n: "token" } }"#, #"extract.n: expected a JSON path like "$.token" or "$.items[0].id", found "token""#),
        (oneStep, #"{ path: "/", extract: { "2fa": "$.x" } }"#, #"extract["2fa"]: variable names are letters, digits and _"#),
        (oneStep, #"{ path: "/", check: { status: [700] } }"#, "check.status[0]: must be at most 599, found 700"),
        (oneStep, #"{ path: "/", check: { status: [] } }"#, "check.status: must list at least one status"),
        (oneStep, #"{ path: "/", check: { json: { "status": 1 } } }"#, #"check.json.status: expected a JSON path like "$.token""#),
        (oneStep, #"{ path: "/", check: { rows: 1 } }"#, "check.rows: rows checks the result of a sql step"),
        (oneStep, #"{ path: "/", params: [1] }"#, "steps[0].params: params belong to sql steps"),
        (oneStep, #"{ path: "x" }"#, #"steps[0].path: must start with "/", found "x""#),
        (oneStep, #"{ method: "GET /", path: "/" }"#, #"steps[0].method: expected an HTTP method like "GET" or "POST", found "GET /""#),
        (oneStep, #"{ url: "/relative" }"#, #"steps[0].url: expected an absolute URL like "http://127.0.0.1:8080/path""#),
        (oneStep, #"{ url: "ftp://127.0.0.1/x" }"#, "steps[0].url: expected an absolute http:// or https:// URL"),
        (oneStep, #"{ url: "http://${env.HOST}/x" }"#, "steps[0].url: the scheme and host of url must be written out"),
        (oneStep, #"{ name: "s" }"#, "steps[0]: missing url or path"),
        (oneStep, #"{ path: "/" }, { path: "/" }"#, #"steps[1]: duplicate step name "GET /" in scenario "a" (also steps[0])"#),
        (oneQuery, #"{ sql: "SELECT ${env.X}" }"#, "steps[0].sql: sql is sent as written, so it cannot contain ${…}"),
        (oneQuery, #"{ sql: "SELECT 1", params: [1] }"#, "steps[0].params: the SQL has no placeholders, so params needs 0 values; found 1"),
        (oneQuery, #"{ sql: "SELECT $1" }"#, "steps[0].sql: the SQL uses $1, so params needs 1 value; found 0"),
        (oneQuery, #"{ sql: "INSERT INTO t VALUES (1); copy t from stdin" }"#, "steps[0].sql: COPY … FROM STDIN / TO STDOUT streams data"),
        // The lexer knows E'…' escapes: the quote after a backslash does not end the literal.
        (oneQuery, #"{ sql: "SELECT E'\\''; COPY t TO STDOUT; SELECT ''" }"#, "steps[0].sql: COPY … FROM STDIN / TO STDOUT streams data"),
        (oneQuery, #"{ sql: "SELECT 1; SELECT 2" }"#,
         #"steps[0].sql: the SQL holds 2 statements, and protocol "prepared" sends one"#),
        // Strain follows a transaction step by step: a BEGIN among other statements would hide from it.
        (oneQuery.replacingOccurrences(of: #"conninfo: "x""#, with: #"conninfo: "x", protocol: "simple""#),
         #"{ sql: "SELECT 1; BEGIN; SELECT 1/0" }"#, "steps[0].sql: transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT …) must be a step of its own"),
        (oneQuery, #"{ sql: "SELECT $1", params: [null] }"#, "steps[0].params[0]: expected a string or a number, found null"),
        (oneQuery, #"{ sql: "SELECT 1", check: { status: 200 } }"#, "check.status: status checks HTTP responses; a sql step can check rows"),
        (oneQuery, #"{ sql: "SELECT 1", extract: { n: { header: "X" } } }"#, #"extract.n: expected a column name of the first row, like "amount", found an object"#),
    ])
    func rejectsInvalidSteps(profile: String, step: String, message: String) throws {
        let fixture = try Fixture()
        let error = try #require(throws: ProfileError.self) { try fixture.parse(profile.replacingOccurrences(of: "STEP", with: step)) }
        #expect(error.description.contains(message), "got: \(error.description)")
    }

    @Test(arguments: [
        ("SELECT 1", 0), ("SELECT $1, $2", 2), ("SELECT $10 + $2", 10), ("SELECT '$3', \"$4\" -- $5\n, $1", 1),
        ("SELECT /* $7 */ $1", 1), ("SELECT $$ $9 $$, $tag$ $8 $tag$, $2", 2),
    ])
    func findsTheHighestPlaceholderOutsideQuotesAndComments(sql: String, highest: Int) {
        #expect(SQLText.highestPlaceholder(in: sql) == highest)
    }

    @Test(arguments: [
        ("SELECT 1", ["SELECT 1"]), ("SELECT 1;", ["SELECT 1"]), ("INSERT INTO t VALUES (1); SELECT 2", ["INSERT INTO t VALUES (1)", " SELECT 2"]),
        ("SELECT ';', \"a;b\" -- ;\n; /* ; */ ;SELECT $$;$$, $q$;$q$, $1", ["SELECT ';', \"a;b\" -- ;\n", "SELECT $$;$$, $q$;$q$, $1"]),
        ("SELECT E'\\';', e'a\\\\'; SELECT 'b\\'; SELECT 2", ["SELECT E'\\';', e'a\\\\'", " SELECT 'b\\'", " SELECT 2"]),
        (" ; -- nothing\n;", []), ("SELECT 'unterminated;", ["SELECT 'unterminated;"]),
    ] as [(String, [String])])
    func splitsStatementsAtTheirSemicolonsOnly(sql: String, statements: [String]) {
        #expect(SQLText.statements(in: sql) == statements)
    }

    @Test(arguments: [
        ("COPY orders FROM STDIN", true), ("SELECT 1; COPY orders TO stdout", true), ("INSERT INTO t VALUES (1); copy t from stdin", true),
        ("SELECT 'COPY t FROM STDIN'", false), ("COPY orders TO '/tmp/orders.csv'", false), ("SELECT 1 /* ; COPY t FROM STDIN */", false),
    ])
    func aCopyThroughTheConnectionIsFoundInAnyStatement(sql: String, copies: Bool) {
        #expect(SQLText.copiesThroughTheConnection(sql) == copies)
    }

    @Test func reportsUnreadableFiles() {
        #expect(throws: ProfileError(file: "/no/such/profile.json5", message: "no such file")) {
            try ProfileLoader.load(path: "/no/such/profile.json5")
        }
    }

    @Test func loadKeepsTheSourceAndResolvesFilesNextToTheProfile() throws {
        let fixture = try Fixture()
        let text = #"{ name: "near", feeders: { u: { csv: "data/users.csv" } }, target: { baseURL: "http://127.0.0.1" }, scenarios: [{ name: "a", load: { rate: "1/s", duration: "1s" }, steps: [{ path: "/${u.id}" }] }] }"#
        try fixture.write("near.json5", text)
        let path = fixture.directory.appendingPathComponent("near.json5").path
        let profile = try ProfileLoader.load(path: path)
        #expect(profile.source == ProfileSource(path: path, text: text, absolutePath: URL(fileURLWithPath: path).standardizedFileURL.path))
        #expect(profile.feeders.first?.columns == ["id", "email", "full name"])
    }

    @Test func aRelativePathIsRecordedAbsoluteAndErrorsKeepItAsGiven() throws {
        let fixture = try Fixture()
        let text = #"{ name: "far", target: { baseURL: "http://127.0.0.1" }, scenarios: [{ name: "a", load: { rate: "1/s", duration: "1s" }, steps: [{ path: "/" }] }] }"#
        try fixture.write("far.json5", text)
        let absolute = fixture.directory.appendingPathComponent("far.json5").standardizedFileURL.path
        // The same file named from the current directory: up to the root, then down.
        let depth = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.pathComponents.count - 1
        let relative = String(repeating: "../", count: depth) + absolute.dropFirst()
        let profile = try ProfileLoader.load(path: relative)
        #expect(profile.source.path == relative)
        #expect(profile.source.absolutePath == absolute)
        #expect(profile.info.path == absolute)
        #expect(profile.info.sha256 == SHA256.hexDigest(Array(text.utf8)))
    }

    @Test func reportsNonUTF8Files() throws {
        let fixture = try Fixture()
        let path = fixture.directory.appendingPathComponent("latin1.json5").path
        try Data([0x7B, 0xE9, 0x7D]).write(to: URL(fileURLWithPath: path))
        #expect(throws: ProfileError(file: path, message: "the file is not UTF-8 text")) { try ProfileLoader.load(path: path) }
    }

    /// A coding key as JSONDecoder reports it: array elements carry an integer value.
    struct Key: CodingKey {
        let stringValue: String
        let intValue: Int?

        init(stringValue: String) {
            self.stringValue = stringValue
            intValue = nil
        }

        init(intValue: Int) {
            stringValue = "Index \(intValue)"
            self.intValue = intValue
        }
    }

    /// Foundation's reader refuses a few values JSON5 allows and says neither which nor where: the
    /// locator names the value, its key and its place.
    @Test(arguments: [
        (#"description: "a\u0000b""#, "description", "a string with the escape \\u0000"),
        (#"description: 'x\uD800'"#, "description", "a string with the escape \\uD800"),
        ("seed: 1e400", "seed", "the number 1e400"),
        ("seed: -1e309", "seed", "the number -1e309"),
        // A Double cannot hold it exactly: Foundation refuses it, and the message blamed the document.
        ("seed: 0x7fffffffffffffff", "seed", "the number 0x7fffffffffffffff"),
    ])
    func namesTheValueFoundationCannotRead(member: String, key: String, what: String) throws {
        let text = "{\n  name: \"p\",\n  \(member),\n  scenarios: [],\n}\n"
        let error = #expect(throws: ProfileError.self) { try ProfileLoader.document(text, path: "p.json5") }
        #expect(error?.line == 3)
        #expect(error?.keyPath.description == key)
        #expect(error?.message.hasPrefix("\(what): Foundation's JSON5 reader cannot read it") == true, "\(error?.message ?? "")")
    }

    @Test(arguments: ["0", "-1", "18446744073709551615", "123456789012345678901", "1.5e300", "0x1F", "+4", "-Infinity",
                      "0x20000000000000", "0x8000000000000000"])
    func numbersFoundationReadsAreNotFlagged(literal: String) {
        #expect(ProfileLoader.foundationReadsNumber(literal))
    }

    @Test func pointsAtValuesFoundationCannotRead() {
        let error = DecodingError.dataCorrupted(.init(codingPath: [Key(stringValue: "scenarios"), Key(intValue: 2), Key(stringValue: "weight")],
                                                      debugDescription: "unreadable number"))
        let reported = ProfileLoader.unreadable(error)
        #expect(reported.keyPath.description == "scenarios[2].weight")
        #expect(reported.message.hasPrefix("Foundation's JSON5 reader cannot read a value in here: expected numbers within ±1.7e308"))
    }
}

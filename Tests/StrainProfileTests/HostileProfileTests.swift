import Foundation
import Testing
@testable import StrainProfile

/// Profiles written to break things: names that try to leave the report folder, numbers too large to
/// hold, nesting and sizes that would exhaust the stack or the clock.
struct HostileProfileTests {
    static func parse(_ text: String) throws(ProfileError) -> Profile {
        try ProfileLoader.parse(text, path: "hostile.json5", baseDirectory: FileManager.default.temporaryDirectory)
    }

    static func named(_ name: String) -> String {
        """
        { name: \(JSONTemplate.quoted(name)), target: { baseURL: "http://127.0.0.1:1" },
          scenarios: [{ name: "s", load: { rate: "1/s", duration: "1s" }, steps: [{ path: "/" }] }] }
        """
    }

    @Test(arguments: [
        ("../x", "x"), ("../../etc/passwd", "etc-passwd"), ("/abs", "abs"), ("..", "profile"),
        ("checkout v2/eu", "checkout-v2-eu"), (".hidden", "hidden"), ("-rf", "rf"), ("ünï", "n-"),
        (String(repeating: "a", count: 200), String(repeating: "a", count: 64)),
    ])
    func reportFolderNamesStayOneSafeComponent(name: String, folder: String) throws {
        #expect(try Self.parse(Self.named(name)).folderName == folder)
    }

    @Test(arguments: ["a\u{0}b", "a\nb", "\u{1B}[31mred", "tab\there", "c1\u{9B}31m", "line\u{2028}separator", "para\u{2029}graph"])
    func namesWithControlCharactersAreRejected(name: String) {
        #expect(throws: ProfileError.self) { try Self.parse(Self.named(name)) }
    }

    /// Scenario and step names too: run.json's readers refuse them, so a run that took them would send
    /// its load and then be unable to write its reports.
    @Test(arguments: [
        (#"{ name: "s\u001b[31m", load: { rate: "1/s", duration: "1s" }, steps: [{ path: "/" }] }"#, "scenarios[0].name"),
        (#"{ name: "s", load: { rate: "1/s", duration: "1s" }, steps: [{ name: "a\nb", path: "/" }] }"#, "scenarios[0].steps[0].name"),
        (#"{ name: "s", load: { rate: "1/s", duration: "1s" }, steps: [{ name: "bell\u0007", path: "/" }] }"#, "scenarios[0].steps[0].name"),
    ])
    func scenarioAndStepNamesWithControlCharactersAreRejected(scenario: String, key: String) {
        let text = #"{ name: "p", target: { baseURL: "http://127.0.0.1:1" }, scenarios: ["# + scenario + "] }"
        let error = #expect(throws: ProfileError.self) { try Self.parse(text) }
        #expect(error?.description.contains(key) == true, "\(String(describing: error))")
        #expect(error?.description.contains("must not contain control characters") == true, "\(String(describing: error))")
    }

    /// Every report repeats a name (a 1 MB step name took 11 s of reporting for a 1 s run): a name is
    /// at most 200 characters, and a default one, made from a long URL or query, is cut to 80.
    @Test func longNamesAreRefusedAndLongDefaultNamesCut() throws {
        let long = String(repeating: "n", count: 201)
        let scenario = #"{ name: "s", load: { rate: "1/s", duration: "1s" }, steps: [{ name: "\#(long)", path: "/" }] }"#
        let error = #expect(throws: ProfileError.self) {
            try Self.parse(#"{ name: "p", target: { baseURL: "http://127.0.0.1:1" }, scenarios: ["# + scenario + "] }")
        }
        #expect(error?.description.contains("scenarios[0].steps[0].name: expected a name of at most 200 characters, found one of 201") == true,
                "\(String(describing: error))")
        #expect(throws: ProfileError.self) { try Self.parse(Self.named(long)) }
        let unnamed = #"{ name: "s", load: { rate: "1/s", duration: "1s" }, steps: [{ path: "/\#(String(repeating: "x", count: 300))" }] }"#
        let profile = try Self.parse(#"{ name: "p", target: { baseURL: "http://127.0.0.1:1" }, scenarios: ["# + unnamed + "] }")
        let name = profile.scenarios[0].steps[0].name
        #expect(name.count == 80 && name.hasPrefix("GET ") && name.hasSuffix("xxx…"), "\(name)")
    }
}

extension HostileProfileTests {
    static func load(_ load: String, step: String = #"{ path: "/" }"#) -> String {
        """
        { name: "limits", target: { baseURL: "http://127.0.0.1:1" },
          scenarios: [{ name: "s", load: \(load), steps: [\(step)] }] }
        """
    }

    @Test(arguments: [
        (load(#"{ rate: "1e12/s", duration: "1s" }"#), "expected a rate like"),
        (load(#"{ rate: "1\#(String(repeating: "0", count: 400))/s", duration: "1s" }"#), "above the highest rate allowed, 10,000,000/s"),
        (load(#"{ rate: "10000001/s", duration: "1s" }"#), "above the highest rate allowed"),
        (load(#"{ rate: "1/s", duration: "999999999999h" }"#), "longer than the longest duration allowed, 31 days"),
        (load(#"{ rate: "1/s", duration: "745h" }"#), "longer than the longest duration allowed"),
        (load(#"{ rate: "1/s", duration: "1\#(String(repeating: "9", count: 400))s" }"#), "longer than the longest duration allowed"),
        (load(#"{ stages: [{ to: "1/s", over: "744h" }, { to: "1/s", over: "1s" }] }"#), "the stages last"),
        (load(#"{ model: "closed", connections: 1e14, duration: "1s" }"#), "must be at most 1,000,000, found 100000000000000"),
        (load(#"{ model: "closed", connections: 1e300, duration: "1s" }"#), "must be at most 1,000,000, found 1e+300"),
        (load(#"{ model: "closed", connections: 1, iterations: 9223372036854775807 }"#), "must be at most 1,000,000,000,000, found 9.22e+18"),
        (load(#"{ model: "closed", connections: 1, iterations: 1e13 }"#), "must be at most 1,000,000,000,000"),
        (load(#"{ model: "closed", connections: 1, duration: "1s", thinkTime: "1e300s" }"#), "unknown unit \"e\""),
        (load(#"{ rate: "1/s", duration: "1s" }"#, step: #"{ path: "/${sequence(9223372036854775807)}" }"#), "sequence's start must lie within"),
        (load(#"{ rate: "1/s", duration: "1s" }"#, step: #"{ path: "/${random(-9223372036854775808, 1)}" }"#), "random's bounds must lie within"),
        (load(#"{ rate: "1/s", duration: "1s" }"#, step: #"{ path: "/", timeout: "99999999h" }"#), "longest duration allowed"),
        // Fewer than one arrival: the run would send nothing.
        (load(#"{ rate: "0.0000001/s", duration: "1s" }"#), "for 1s asks for fewer than one arrival, so nothing would be sent"),
        (load(#"{ stages: [{ to: "1/s", over: "1s" }] }"#), "the stages ask for fewer than one arrival (0.5), so nothing would be sent"),
    ])
    func numbersBeyondTheLimitsAreClearErrors(profile: String, message: String) {
        let error = #expect(throws: ProfileError.self) { try Self.parse(profile) }
        #expect(error?.description.contains(message) == true, "got: \(error?.description ?? "no error")")
    }

    /// Duplicate header names are found by a lookup, not a scan of the headers before: 40,000 headers
    /// took 100 s to validate. A repeat in another case, at the end, is still named.
    @Test func aStepWithManyHeadersIsReadInOnePass() throws {
        let headers = (0..<20_000).map { #""X-\#($0)": "v""# }
        let profile = try Self.parse(Self.load(#"{ rate: "1/s", duration: "1s" }"#, step: "{ path: \"/\", headers: { \(headers.joined(separator: ", ")) } }"))
        guard case .http(let request) = profile.scenarios[0].steps[0].action else { Issue.record("not an HTTP step"); return }
        #expect(request.headers.count == 20_000)
        let repeated = #expect(throws: ProfileError.self) {
            try Self.parse(Self.load(#"{ rate: "1/s", duration: "1s" }"#,
                                     step: "{ path: \"/\", headers: { \(headers.joined(separator: ", ")), \"x-7\": \"w\" } }"))
        }
        #expect(repeated?.description.contains(#""x-7" repeats "X-7""#) == true, "\(String(describing: repeated))")
    }

    @Test func theLimitsThemselvesAreAccepted() throws {
        _ = try Self.parse(Self.load(#"{ rate: "10000000/s", duration: "744h" }"#))
        _ = try Self.parse(Self.load(#"{ model: "closed", connections: 1000000, iterations: 1000000000000 }"#))
    }

    @Test(arguments: [20_000, 100_000])
    func deepNestingIsAnErrorWithAPosition(depth: Int) {
        let text = #"{ name: "deep", scenarios: "# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        let error = #expect(throws: ProfileError.self) { try Self.parse(text) }
        #expect(error?.description == "hostile.json5:1:91: arrays and objects are nested more than 64 deep")
    }

    @Test func bracketsInStringsAndCommentsDoNotCount() throws {
        let brackets = String(repeating: "[", count: 100)
        _ = try Self.parse("""
        // \(brackets)
        /* \(brackets) */
        { name: "\(brackets)", description: '\(brackets)', target: { baseURL: "http://127.0.0.1:1" },
          scenarios: [{ name: "s", load: { rate: "1/s", duration: "1s" }, steps: [{ path: "/" }] }] }
        """)
    }
}

extension HostileProfileTests {
    /// 100,000 steps on one line once took minutes (positions were counted from the line start each time).
    @Test(arguments: [
        ("steps", load(#"{ rate: "1/s", duration: "1s" }"#, step: Array(repeating: #"{ path: "/" }"#, count: 100_000).joined(separator: ","))),
        ("stages", load("{ stages: [" + Array(repeating: #"{ to: "1/s", over: "1s" }"#, count: 100_000).joined(separator: ",") + "] }")),
    ])
    func hugeListsAreRefusedWithTheirLimit(what: String, profile: String) {
        let error = #expect(throws: ProfileError.self) { try Self.parse(profile) }
        #expect(error?.message == "has 100,000 elements; at most 1,000 \(what) are allowed")
    }

    /// A run file holds at most 1,000 steps, so a profile does too, in all its scenarios.
    @Test func stepsAreCountedAcrossScenarios() {
        let steps = (0..<400).map { #"{ name: "step\#($0)", path: "/" }"# }.joined(separator: ",")
        let scenarios = (0..<3).map { #"{ name: "s\#($0)", load: { rate: "1/s", duration: "1s" }, steps: ["# + steps + "] }" }
        let profile = #"{ name: "x", target: { baseURL: "http://127.0.0.1:1" }, scenarios: ["# + scenarios.joined(separator: ",") + "] }"
        let error = #expect(throws: ProfileError.self) { try Self.parse(profile) }
        #expect(error?.message == "the scenarios so far have 1,200 steps; a profile has at most 1,000 in all")
        #expect(error?.keyPath.description == "scenarios[2].steps")
    }
}

extension HostileProfileTests {
    /// What a profile writes into a URL goes on the wire as is: a CR LF there would be a header line of
    /// the profile's making, a space would end the request line, and a port above 65535 cannot be
    /// connected to (it crashed the engine once).
    @Test(arguments: [
        (#"target: { baseURL: "http://127.0.0.1:65536" }"#, #"{ path: "/" }"#, "target.baseURL", "port 65536 is outside 1–65535"),
        (#"target: { baseURL: "http://127.0.0.1:1" }"#, #"{ url: "http://127.0.0.1:70000/" }"#, "url", "port 70000 is outside 1–65535"),
        // Past Int's range URLComponents reads no port at all: the load went to port 80.
        (#"target: { baseURL: "http://127.0.0.1:99999999999999999999" }"#, #"{ path: "/" }"#, "target.baseURL",
         "port 99999999999999999999 is outside 1–65535"),
        (#"target: { baseURL: "http://[::1]:1" }"#, #"{ url: "http://u:p@[::1]:18446744073709569393/" }"#, "url",
         "port 18446744073709569393 is outside 1–65535"),
        (#"target: { baseURL: "http://127.0.0.1:1" }"#, #"{ path: "/p1\r\nX-Injected: 1" }"#, "path", "(found U+000D)"),
        (#"target: { baseURL: "http://127.0.0.1:1" }"#, #"{ url: "http://127.0.0.1:1/p2\r\nX-Injected: 2" }"#, "url", "(found U+000D)"),
        (#"target: { baseURL: "http://127.0.0.1:1" }"#, #"{ path: "/p3 with space" }"#, "path", "(found U+0020)"),
        (#"target: { baseURL: "http://127.0.0.1:1" }"#, #"{ path: "/p\u001b[31m" }"#, "path", "(found U+001B)"),
    ])
    func urlsThatCannotGoOnTheWireAsWrittenAreRefused(target: String, step: String, key: String, message: String) {
        let text = """
            { name: "urls", \(target), scenarios: [{ name: "s", load: { rate: "1/s", duration: "1s" }, steps: [\(step)] }] }
            """
        #expect {
            try Self.parse(text)
        } throws: { error in
            guard let error = error as? ProfileError else { return false }
            return error.description.contains(key) && error.message.contains(message) && !error.description.contains("\r")
        }
    }

    /// A key or value quoted in an error may hold a line feed (or a line separator): each problem stays
    /// one line, so a profile cannot forge lines of Strain's output.
    @Test(arguments: [#"{ "x\ny": 1, path: "/" }"#, #"{ method: "GET\u2028X", path: "/" }"#])
    func errorsQuotingTheProfileStayOneLine(step: String) {
        let error = #expect(throws: ProfileError.self) { try Self.parse(Self.load(#"{ rate: "1/s", duration: "1s" }"#, step: step)) }
        let description = error?.description ?? ""
        #expect(!description.isEmpty && !description.unicodeScalars.contains { $0 == "\n" || $0 == "\u{2028}" }, "got: \(description)")
    }
}

extension HostileProfileTests {
    /// A body file or feeder that is a device or a folder would be read without end, or not at all.
    @Test(arguments: ["/dev/zero", "/tmp"])
    func filesThatAreNotRegularAreRefused(path: String) {
        let profile = Self.load(#"{ rate: "1/s", duration: "1s" }"#, step: #"{ path: "/", method: "POST", body: { file: "\#(path)" } }"#)
        let error = #expect(throws: ProfileError.self) { try Self.parse(profile) }
        #expect(error?.description.contains("cannot read \(path): not a regular file") == true, "got: \(error?.description ?? "no error")")
    }
}

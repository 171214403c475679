import CCurl
@testable import StrainCurl
import StrainProfile
import Testing
@testable import StrainLoad

@Suite("checks and extraction on HTTP responses")
struct ResponseExpectationsTests {
    static let body = Array(#"{"id": 42, "token": "t-1", "ok": true, "items": [{"sku": "tea"}], "note": "order 77 placed"}"#.utf8)
    static let headers = [HTTPHeader(name: "X-Request-Id", value: "req-9"), HTTPHeader(name: "Content-Type", value: "application/json")]

    /// The first step of a profile whose step has `check` and `extract` (JSON5 object members).
    static func step(check: String = "", extract: String = "") throws -> (ResponseExpectations, Iteration) {
        let profile = try TestProfile.parse("""
        { name: "checks", target: { baseURL: "http://127.0.0.1:1" },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 1 },
            steps: [{ path: "/", check: { \(check) }, extract: { \(extract) } }] }] }
        """)
        return (ResponseExpectations(profile.scenarios[0].steps[0]), try makeIteration(profile, environment: ["SKU": "tea"]))
    }

    @Test(arguments: [
        (check: "status: [200]", status: 200, checks: 1, failure: nil as ErrorLabel?),
        (check: "status: [201]", status: 200, checks: 1, failure: .checkFailed),
        (check: "status: [200]", status: 503, checks: 1, failure: .status5xx),
        (check: "", status: 404, checks: 0, failure: .status4xx),
        (check: "", status: 500, checks: 0, failure: .status5xx),
        (check: "status: [404]", status: 404, checks: 1, failure: nil),
        (check: #"bodyContains: "order 77""#, status: 200, checks: 1, failure: nil),
        (check: #"bodyContains: "order 78""#, status: 200, checks: 1, failure: .checkFailed),
        (check: #"json: { "$.id": 42, "$.items[0].sku": "${env.SKU}", "$.ok": true }"#, status: 200, checks: 3, failure: nil),
        (check: #"json: { "$.id": "42" }"#, status: 200, checks: 1, failure: nil),
        (check: #"json: { "$.id": 43, "$.missing": 1 }"#, status: 200, checks: 2, failure: .checkFailed),
    ])
    func checks(check: String, status: Int, checks: Int, failure: ErrorLabel?) throws {
        let (expectations, iteration) = try Self.step(check: check)
        let verdict = expectations.apply(status: status, body: Self.body, headers: Self.headers, to: iteration)
        #expect(verdict.checks == UInt64(checks))
        #expect(verdict.failure?.label == failure)
    }

    @Test func everyFailingCheckIsCountedAndTheFirstIsReported() throws {
        let (expectations, iteration) = try Self.step(check: #"status: [201], bodyContains: "nope", json: { "$.id": 1 }"#)
        let verdict = expectations.apply(status: 200, body: Self.body, headers: Self.headers, to: iteration)
        #expect(verdict.checks == 3)
        #expect(verdict.checkFailures == 3)
        #expect(verdict.failure == StepFailure(.checkFailed, "status 200, expected 201"))
    }

    @Test func extractsFromJSONHeadersAndRegexes() throws {
        let (expectations, iteration) = try Self.step(extract: #"""
            token: "$.token", id: "$.id", items: "$.items", request: { header: "x-request-id" },
            order: { regex: "order (\\d+)" }, whole: { regex: "placed" }
            """#)
        #expect(expectations.needsResponse)
        let verdict = expectations.apply(status: 200, body: Self.body, headers: Self.headers, to: iteration)
        #expect(verdict.failure == nil)
        #expect(iteration.variable("token") == "t-1")
        #expect(iteration.variable("id") == "42")
        #expect(iteration.variable("items") == #"[{"sku":"tea"}]"#)
        #expect(iteration.variable("request") == "req-9")
        #expect(iteration.variable("order") == "77")
        #expect(iteration.variable("whole") == "placed")
    }

    @Test(arguments: [#"gone: "$.nothing""#, #"gone: { header: "X-Absent" }"#, #"gone: { regex: "absent (\\d+)" }"#])
    func aValueNotInTheResponseFailsTheStep(extract: String) throws {
        let (expectations, iteration) = try Self.step(extract: extract)
        let verdict = expectations.apply(status: 200, body: Self.body, headers: Self.headers, to: iteration)
        #expect(verdict.failure?.label == .extractionFailed)
        #expect(iteration.variable("gone") == nil)
    }

    /// `(a+)+$` backtracks exponentially on a run of a's it cannot end: the match is stopped at its
    /// time limit and the step fails saying why, rather than holding the worker for good.
    @Test func aRegexThatBacktracksWithoutEndIsStopped() throws {
        let (expectations, iteration) = try Self.step(extract: #"v: { regex: "(a+)+$" }"#)
        let body = Array(String(repeating: "a", count: 5_000).utf8) + Array("!".utf8)
        // Unbounded, this call did not return (2^5000 ways to split the a's).
        let verdict = expectations.apply(status: 200, body: body, headers: Self.headers, to: iteration)
        #expect(verdict.failure?.label == .extractionFailed)
        #expect(verdict.failure?.message.contains("v: regex (a+)+$ was stopped after 100ms on a 5001-byte body") == true,
                "\(verdict.failure?.message ?? "no failure")")
        #expect(iteration.variable("v") == nil)
    }

    /// A JSON path on a body that cannot be decoded says why, not that the value is missing.
    @Test(arguments: [
        (body: "<html>oops</html>", why: "the response body is not JSON"),
        (body: String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
         why: "the response body nests arrays and objects more than 64 deep (line 1, column 65)"),
    ])
    func aJSONPathOnABodyThatIsNotDecodedSaysWhy(body: String, why: String) throws {
        let (expectations, iteration) = try Self.step(check: #"json: { "$.a": 1 }"#)
        let verdict = expectations.apply(status: 200, body: Array(body.utf8), headers: Self.headers, to: iteration)
        #expect(verdict.failure?.message.hasPrefix("json $.a: \(why)") == true,
                "\(verdict.failure?.message ?? "no failure")")
        let (extraction, extracting) = try Self.step(extract: #"v: "$.a""#)
        let extracted = extraction.apply(status: 200, body: Array(body.utf8), headers: Self.headers, to: extracting)
        #expect(extracted.failure?.message.hasPrefix("v: JSON path $.a found nothing: \(why)") == true,
                "\(extracted.failure?.message ?? "no failure")")
    }

    @Test func stepsWithoutChecksOnTheBodyDiscardIt() throws {
        let (expectations, _) = try Self.step(check: "status: [200]")
        #expect(!expectations.needsResponse)
    }

    @Test(arguments: [
        (code: CURLE_COULDNT_CONNECT, detail: "Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server", label: ErrorLabel.connectRefused),
        (code: CURLE_COULDNT_CONNECT, detail: "Failed to connect: No route to host", label: .connectFailed),
        (code: CURLE_OPERATION_TIMEDOUT, detail: "Operation timed out after 200 milliseconds", label: .timeout),
        (code: CURLE_PEER_FAILED_VERIFICATION, detail: "SSL certificate problem: self-signed certificate", label: .tls),
        (code: CURLE_GOT_NOTHING, detail: "Empty reply from server", label: .connectionClosed),
        (code: CURLE_HTTP2, detail: "Error in the HTTP2 framing layer", label: .http2),
        (code: CURLE_COULDNT_RESOLVE_HOST, detail: "Could not resolve host: nowhere", label: .dns),
        (code: CURLE_WRITE_ERROR, detail: "", label: .transport),
    ])
    func curlFailuresGetFixedLabels(code: CURLcode, detail: String, label: ErrorLabel) {
        #expect(ErrorLabel.forTransfer(CurlError(code: code, detail: detail)) == label)
    }
}

import Foundation
import StrainCurl
import StrainProfile

/// Makes one HTTP engine per worker: the lean engine when every scenario the worker runs is plain
/// `http://` HTTP/1.1 without redirects (`LeanHTTPEngine.canDrive`), libcurl otherwise.
public struct HTTPEngineFactory: EngineFactory {
    public init() {}

    public var kind: ScenarioKind { .http }

    public func makeEngine(_ setup: WorkerSetup, unless stopRequested: () -> Bool) throws(LoadError) -> any StepEngine {
        if LeanHTTPEngine.canDrive(setup.profile, scenarios: setup.shares.map(\.scenario)) {
            return try LeanHTTPEngine(setup)
        }
        return try HTTPEngine(setup)
    }
}

/// Sends a worker's HTTP steps through one curl multi handle. Each step keeps a pool of easy handles
/// configured for it, so a request without `${…}` is re-sent without setting a single option again;
/// all of them share the multi handle's connection cache (keep-alive, HTTP/2 multiplexing).
final class HTTPEngine: StepEngine {
    private let multi: CurlMulti
    private let target: Target
    /// By scenario index, then step; empty for scenarios this worker does not run.
    private var requests: [[PreparedRequest]]
    private var idle: [[[CurlEasy]]]
    private var inFlight: [ObjectIdentifier: Transfer] = [:]
    /// `start` added transfers that no `perform` has sent yet.
    private var hasUnsentTransfers = false

    private struct Transfer {
        let iteration: Iteration
        let easy: CurlEasy
        let sentAt: UInt64
        /// Where the request went, for the cookies its response sets (nil when cookies are off).
        let cookieURL: URLParts?
    }

    init(_ setup: WorkerSetup) throws(LoadError) {
        target = setup.profile.target
        requests = Array(repeating: [], count: setup.profile.scenarios.count)
        idle = Array(repeating: [], count: setup.profile.scenarios.count)
        do {
            multi = try CurlMulti()
            try multi.setMultiplexing(target.httpVersion != .http1_1)
            try multi.setMaxTotalConnections(setup.shares.reduce(0) { $0 + $1.concurrency })
        } catch {
            throw LoadError(.infrastructure, "setting up libcurl: \(error)")
        }
        for share in setup.shares {
            let steps = setup.profile.scenarios[share.scenario].steps
            var prepared: [PreparedRequest] = []
            for step in steps {
                prepared.append(try PreparedRequest(step))
            }
            requests[share.scenario] = prepared
            idle[share.scenario] = Array(repeating: [], count: steps.count)
        }
    }

    func start(_ iteration: Iteration, now: UInt64) throws(StepFailure) {
        let request = requests[iteration.scenario][iteration.step]
        let easy: CurlEasy
        var cookieURL: URLParts?
        do {
            var renderedURL: String?
            if let reused = idle[iteration.scenario][iteration.step].popLast() {
                easy = reused
                if !request.isStatic { renderedURL = try request.configureRendered(easy, for: iteration) }
            } else {
                easy = try CurlEasy()
                try request.configure(easy, target: target)
                renderedURL = try request.configureRendered(easy, for: iteration)
            }
            if target.cookies {
                cookieURL = renderedURL.flatMap(URLParts.init(url:)) ?? request.staticCookieURL
                // Set or cleared on every request: the handle may have carried another iteration's cookies.
                try easy.setCookie(iteration.cookies.isEmpty ? nil
                    : cookieURL.flatMap { iteration.cookies.header(for: $0, now: Date().timeIntervalSince1970) })
            }
            try multi.add(easy)
        } catch let failure as StepFailure {
            throw failure
        } catch {
            throw StepFailure(.invalidRequest, "\(error)")
        }
        inFlight[ObjectIdentifier(easy)] = Transfer(iteration: iteration, easy: easy, sentAt: now, cookieURL: cookieURL)
        hasUnsentTransfers = true
    }

    func waitForCompletions(until deadline: UInt64, clock: RunClock, into outcomes: inout [Completion]) throws(LoadError) {
        var finished: [(CurlEasy, Result<Void, CurlError>)] = []
        do {
            // Transfers added since the last call are sent right away, without a poll that curl's own
            // timer would end at once anyway.
            if hasUnsentTransfers {
                hasUnsentTransfers = false
                try multi.perform()
                finished = try multi.completed()
            }
            // Watch the sockets up to the exact deadline: a response that arrives while waiting for the
            // next send is taken at once, not when the wait ends (that delay would be in its latency).
            if finished.isEmpty {
                let now = clock.now()
                try multi.poll(timeoutMicroseconds: deadline > now ? deadline - now : 0)
                try multi.perform()
                finished = try multi.completed()
            }
        } catch {
            throw LoadError(.infrastructure, "driving HTTP transfers: \(error)")
        }
        guard !finished.isEmpty else { return }
        let finishedAt = clock.now()
        for (easy, result) in finished {
            guard let transfer = inFlight.removeValue(forKey: ObjectIdentifier(easy)) else { continue }
            let iteration = transfer.iteration
            let request = requests[iteration.scenario][iteration.step]
            // Only a response read whole sets cookies, as in the lean engine: not one refused as malformed.
            if let url = transfer.cookieURL, case .success = result, !easy.setCookies.isEmpty {
                let now = Date().timeIntervalSince1970
                for value in easy.setCookies { iteration.cookies.store(setCookie: value, from: url, now: now) }
            }
            outcomes.append(Completion(iteration, request.outcome(of: easy, result: result, for: iteration,
                                                                  sentAt: transfer.sentAt, finishedAt: finishedAt)))
            idle[iteration.scenario][iteration.step].append(easy)
        }
    }

    func abandonInFlight() -> [Iteration] {
        let abandoned = inFlight.values.map(\.iteration)
        for transfer in inFlight.values {
            try? multi.remove(transfer.easy)
        }
        inFlight.removeAll()
        return abandoned
    }
}

/// One HTTP step, ready to configure easy handles: what never changes is set once per handle, and
/// only templates with `${…}` are rendered per request. A class, so looking it up per request costs
/// one reference count rather than a copy of the whole step.
private final class PreparedRequest {
    let step: Step
    let request: HTTPRequest
    /// Nothing to render: a configured handle is re-sent as it is.
    let isStatic: Bool
    /// The URL's host and path when it has no `${…}`, for cookie matching.
    let staticCookieURL: URLParts?
    /// A `{ file: … }` body, read once.
    private let fileBody: [UInt8]?
    let expectations: ResponseExpectations

    init(_ step: Step) throws(LoadError) {
        guard case .http(let request) = step.action else {
            throw LoadError(.badInput, "step \"\(step.name)\" is not an HTTP step")
        }
        self.step = step
        self.request = request
        if case .file(let url)? = request.body {
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw LoadError(.badInput, "step \"\(step.name)\": cannot read the body file \(url.path)")
            }
            fileBody = Array(data)
        } else {
            fileBody = nil
        }
        let bodyIsStatic = switch request.body {
        case .text(let template)?: template.literalText != nil
        case .json(let json)?: json.references.isEmpty
        case .file?, nil: true
        }
        staticCookieURL = request.url.literalText.flatMap(URLParts.init(url:))
        isStatic = request.url.literalText != nil && request.headers.allSatisfy { $0.value.literalText != nil } && bodyIsStatic
        expectations = ResponseExpectations(step)
    }

    /// The options that stay for the handle's life.
    func configure(_ easy: CurlEasy, target: Target) throws {
        let version: CurlHTTPVersion = switch target.httpVersion {
        case .http1_1: .http1_1
        case .http2: .http2OverTLS
        case .h2c: .http2PriorKnowledge
        }
        try easy.setHTTPVersion(version)
        // Load goes straight to the target, never through a proxy the environment names.
        try easy.disableProxy()
        let timeout = Int((step.timeout.seconds * 1000).rounded(.up))
        try easy.setTimeouts(totalMilliseconds: timeout, connectMilliseconds: timeout)
        if let caFile = target.tls.caFile { try easy.setCAFile(caFile.path) }
        if target.tls.insecure { try easy.setInsecure(true) }
        try easy.setFollowRedirects(maximum: target.maxRedirects > 0 ? target.maxRedirects : nil)
        if target.maxRedirects > 0 {
            // Step URLs were checked at validation; a redirect can point anywhere.
            try easy.setHostCheck { [target] host in target.allows(host: host) }
        }
        easy.setResponseSink(expectations.needsResponse ? .collect(limit: step.maxBodyBytes) : .discard)
        easy.collectsSetCookies = target.cookies
        if let compression = target.compression {
            try easy.setAcceptEncoding(compression == .all ? "" : compression.rawValue)
        }
    }

    /// URL, headers, body and method: once for a static request, per request otherwise. The body goes
    /// before the method, because setting a body makes curl switch to POST. Returns the URL.
    @discardableResult
    func configureRendered(_ easy: CurlEasy, for iteration: Iteration) throws -> String {
        let url = try iteration.render(request.url)
        try easy.setURL(url)
        var headers: [HTTPHeader] = []
        for header in request.headers {
            let rendered = HTTPHeader(name: header.name, value: try iteration.render(header.value))
            guard rendered.isSafeToSend else { throw StepFailure.unsafeHeader(header.name) }
            headers.append(rendered)
        }
        try easy.setHeaders(headers)
        switch request.body {
        case .text(let template)?: try easy.setBody(Array(try iteration.render(template).utf8))
        case .json(let json)?: try easy.setBody(Array(try iteration.render(json).utf8))
        case .file?: try easy.setBody(fileBody ?? [])
        case nil: break
        }
        try easy.setMethod(request.method)
        return url
    }

    func outcome(of easy: CurlEasy, result: Result<Void, CurlError>, for iteration: Iteration,
                 sentAt: UInt64, finishedAt: UInt64) -> StepOutcome {
        var outcome = StepOutcome(sentAt: sentAt, finishedAt: finishedAt)
        if case .failure(let error) = result {
            if let refused = easy.refusedURL {
                outcome.failure = StepFailure(.redirectNotAllowed,
                                              "redirect to \(URLText.redacted(refused)) refused: its host is not in target.allow; the request was not sent")
            } else if error.kind == .unsupportedProtocol, let hop = easy.effectiveURL,
                      let scheme = hop.split(separator: ":").first?.lowercased(), scheme != "http", scheme != "https" {
                // curl follows redirects to http and https only (setHostCheck): another scheme is where one pointed.
                outcome.failure = StepFailure(.redirectNotAllowed,
                                              "redirect to \(URLText.redacted(hop)) refused: only http and https are followed; the request was not sent")
            } else if error.kind == .malformedURL, let info = try? easy.transferInfo(), (300..<400).contains(info.responseCode) {
                // The request's own URL was sent: the one curl could not read is a redirect's Location, the server's.
                outcome.failure = StepFailure(.malformedResponse, "a \(info.responseCode) response's Location cannot be followed: \(error.description)")
            } else {
                outcome.failure = StepFailure(.forTransfer(error), error.description)
            }
            // A target that accepts connections and then fails (times out, resets) did establish them.
            if let info = try? easy.transferInfo(), info.timings.connect > 0 {
                outcome.newConnections = UInt64(max(0, info.newConnections))
            }
            return outcome
        }
        guard let info = try? easy.transferInfo() else {
            outcome.failure = StepFailure(.transport, "the transfer finished but curl could not report on it")
            return outcome
        }
        outcome.status = .http(info.responseCode)
        outcome.bytesIn = UInt64(max(0, info.bytesDownloaded))
        outcome.bytesOut = UInt64(max(0, info.bytesUploaded))
        outcome.newConnections = UInt64(max(0, info.newConnections))
        let timings = info.timings
        if info.newConnections > 0 {
            outcome.phases[.dns] = UInt64(max(0, timings.nameLookup))
            outcome.phases[.connect] = UInt64(max(0, timings.connect - timings.nameLookup))
            if timings.appConnect > 0 { outcome.phases[.tls] = UInt64(max(0, timings.appConnect - timings.connect)) }
        }
        outcome.phases[.ttfb] = UInt64(max(0, timings.startTransfer - timings.preTransfer))
        outcome.phases[.download] = UInt64(max(0, timings.total - timings.startTransfer))
        outcome.phases[.total] = UInt64(max(0, timings.total))
        let truncated = easy.responseBodyTruncated
        outcome.truncatedBodies = truncated ? 1 : 0
        let verdict = expectations.apply(status: info.responseCode, body: easy.responseBody, bodyTruncated: truncated,
                                         headers: easy.responseHeaders, to: iteration)
        outcome.checks = verdict.checks
        outcome.checkFailures = verdict.checkFailures
        outcome.failure = verdict.failure
        return outcome
    }
}

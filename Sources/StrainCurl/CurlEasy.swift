internal import CCurl

/// One libcurl easy handle: a reusable HTTP(S) request plus what came back.
///
/// Configure a fresh (or `reset()`) handle with the setters, then either `perform()` it on the
/// calling thread or add it to a `CurlMulti`. Options persist across transfers until `reset()`,
/// so a handle can repeat the same request cheaply. The handle keeps its connection cache across
/// `reset()`, which is what makes keep-alive work when a single thread reuses it.
///
/// Not `Sendable`: libcurl handles must not be used from two threads at once, so exactly one
/// thread owns each `CurlEasy` (and the `CurlMulti` it is in).
public final class CurlEasy {
    /// What to do with the response. Whatever is kept is capped: a server can send a 2 GB or an
    /// endless body, and buffering all of it would end the process.
    public enum ResponseSink: Sendable, Equatable {
        /// Keep the headers and the body's first `limit` bytes (for checks and value extraction); the
        /// rest is still read to the end, counted and dropped (`responseBodyTruncated`).
        case collect(limit: Int)
        /// Keep the headers and the whole body; a body over `limit` bytes ends the transfer with an
        /// error saying so (for pages read whole, like a node exporter's metrics).
        case collectWhole(limit: Int)
        /// Count the body bytes and drop them, allocating nothing (for load).
        case discard

        /// What a new or reset handle keeps.
        public static let `default` = ResponseSink.collectWhole(limit: 16 << 20)
    }

    /// The `CURL *`; `CurlMulti` passes it to libcurl.
    let handle: UnsafeMutableRawPointer
    /// libcurl writes a failed transfer's detail here (`CURLOPT_ERRORBUFFER`).
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// libcurl keeps pointers to the header list and body instead of copying them,
    /// so both live here until replaced, `reset()` or deinit.
    private var requestHeaderList: UnsafeMutablePointer<curl_slist>?
    private var requestBody: UnsafeMutableRawBufferPointer?

    public private(set) var responseSink = ResponseSink.default
    /// The last response's body, or as much of it as the sink keeps; stays empty with `.discard`.
    public private(set) var responseBody: [UInt8] = []
    /// The last response's headers (of the final response when redirects were followed);
    /// stays empty with `.discard`.
    public private(set) var responseHeaders: [HTTPHeader] = []
    /// Body bytes delivered by the last transfer, with any sink.
    public private(set) var bodyBytesReceived = 0
    /// The last body was longer than what `.collect(limit:)` kept.
    public var responseBodyTruncated: Bool {
        responseSink != .discard && bodyBytesReceived > responseBody.count
    }
    /// The last transfer was ended because its body outgrew `.collectWhole(limit:)`.
    private var bodyOverLimit = false
    /// Status line and headers of the current response so far, and whether its blank line came.
    private var responseHeadBytes = 0
    private var responseHeadEnded = false
    /// The last transfer was ended because its response head outgrew `HTTPHeader.maxResponseHeadBytes`.
    private var headOverLimit = false
    /// Keep the final response's `Set-Cookie` values in `setCookies`, whatever the sink (for a jar of
    /// cookies kept outside curl); headers are otherwise not kept when the body is discarded.
    public var collectsSetCookies = false
    public private(set) var setCookies: [String] = []
    /// The URL the last transfer refused to send a request to (see `setHostCheck`), nil if none.
    public private(set) var refusedURL: String?
    private var hostCheck: ((String) -> Bool)?

    public init() throws {
        try ensureCurlGlobalInit()
        guard let handle = curl_easy_init() else {
            throw CurlError(code: CURLE_FAILED_INIT, context: "creating a curl easy handle")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        try applyBaseOptions()
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(requestHeaderList)
        requestBody?.deallocate()
        errorBuffer.deallocate()
    }

    // MARK: Request

    public func setURL(_ url: String) throws {
        // The URL may hold a password, so the error context does not repeat it.
        try setString(CURLOPT_URL, url, "setting the URL")
    }

    /// GET, HEAD and POST use curl's own modes (so redirects and HEAD's missing body are
    /// handled properly); any other method is sent as a custom request line.
    public func setMethod(_ method: String) throws {
        let context = "setting the method to \(method)"
        switch method {
        case "GET": try setLong(CURLOPT_HTTPGET, 1, context)
        case "HEAD": try setLong(CURLOPT_NOBODY, 1, context)
        case "POST":
            // Without a body curl would read one from stdin; send an empty one instead.
            if requestBody == nil { try setBody([]) }
            try setLong(CURLOPT_POST, 1, context)
        default: try setString(CURLOPT_CUSTOMREQUEST, method, context)
        }
    }

    /// Replaces the request headers. An empty value sends the header with no value.
    /// A header with a control character but tab is refused (CR or LF would put extra headers or requests on the wire).
    public func setHeaders(_ headers: [HTTPHeader]) throws {
        if let unsafe = headers.first(where: { !$0.isSafeToSend }) {
            throw CurlError(code: CURLE_BAD_FUNCTION_ARGUMENT,
                            context: "request header \"\(unsafe.name)\" contains a control character other than tab")
        }
        var list: UnsafeMutablePointer<curl_slist>?
        for header in headers {
            // curl drops "Name:" (it means "remove this header"); "Name;" sends it empty.
            let line = header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
            guard let extended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw CurlError(code: CURLE_OUT_OF_MEMORY, context: "adding request header \(header.name)")
            }
            list = extended
        }
        do {
            try setSlist(CURLOPT_HTTPHEADER, list, "setting the request headers")
        } catch {
            curl_slist_free_all(list)
            throw error
        }
        curl_slist_free_all(requestHeaderList)
        requestHeaderList = list
    }

    /// Sends `body` (copied) with the request; with no method set this makes it a POST.
    public func setBody(_ body: [UInt8]) throws {
        // At least one byte, so curl always gets a valid pointer, even for an empty body.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(body.count, 1), alignment: 1)
        buffer.copyBytes(from: body)
        do {
            try setOffT(CURLOPT_POSTFIELDSIZE_LARGE, Int64(body.count), "setting the request body size")
            try setPointer(CURLOPT_POSTFIELDS, buffer.baseAddress, "setting the request body")
        } catch {
            buffer.deallocate()
            throw error
        }
        requestBody?.deallocate()
        requestBody = buffer
    }

    /// Limits the whole transfer and the connection phase; 0 means no limit.
    public func setTimeouts(totalMilliseconds: Int, connectMilliseconds: Int) throws {
        try setLong(CURLOPT_TIMEOUT_MS, totalMilliseconds, "setting the total timeout to \(totalMilliseconds) ms")
        try setLong(CURLOPT_CONNECTTIMEOUT_MS, connectMilliseconds,
                    "setting the connect timeout to \(connectMilliseconds) ms")
    }

    /// For HTTP/2 this also makes the transfer wait for a connection it can multiplex on
    /// (CURLOPT_PIPEWAIT) rather than open one more connection.
    public func setHTTPVersion(_ version: CurlHTTPVersion) throws {
        let context = "setting the HTTP version to \(version)"
        switch version {
        case .http1_1:
            try setLong(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1, context)
            try setLong(CURLOPT_PIPEWAIT, 0, context)
        case .http2OverTLS:
            try setLong(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS, context)
            try setLong(CURLOPT_PIPEWAIT, 1, context)
        case .http2PriorKnowledge:
            try setLong(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE, context)
            try setLong(CURLOPT_PIPEWAIT, 1, context)
        }
    }

    /// Connects directly, ignoring proxy variables in the environment (http_proxy, no_proxy, …).
    /// Also spares curl reading those variables again for every transfer.
    public func disableProxy() throws {
        try setString(CURLOPT_PROXY, "", "turning the proxy off")
        try setString(CURLOPT_NOPROXY, "", "turning the proxy off")
    }

    /// Sends this `Cookie` header value with the request (`CURLOPT_COOKIE`); nil sends none. Curl's
    /// own cookie engine stays off: its jar would be the handle's, not a virtual user's.
    public func setCookie(_ value: String?) throws {
        if let value {
            try setString(CURLOPT_COOKIE, value, "setting the Cookie header")
        } else {
            try setPointer(CURLOPT_COOKIE, nil, "clearing the Cookie header")
        }
    }

    /// Asks for compressed responses with this `Accept-Encoding` and decodes them; "" asks for every
    /// coding this libcurl decodes.
    public func setAcceptEncoding(_ codings: String) throws {
        try setString(CURLOPT_ACCEPT_ENCODING, codings, "setting Accept-Encoding to \"\(codings)\"")
    }

    /// Trusts the certificates in this PEM file instead of the system's CA bundle.
    public func setCAFile(_ path: String) throws {
        try setString(CURLOPT_CAINFO, path, "setting the CA file to \(path)")
    }

    /// `true` skips certificate and host name verification (self-signed staging servers).
    public func setInsecure(_ insecure: Bool) throws {
        let verify = insecure ? 0 : 1
        try setLong(CURLOPT_SSL_VERIFYPEER, verify, "setting TLS peer verification")
        // VERIFYHOST takes 2 for "check the name"; 1 is an error in modern libcurl.
        try setLong(CURLOPT_SSL_VERIFYHOST, verify * 2, "setting TLS host name verification")
    }

    /// Follows up to `maximum` redirects; `nil` returns redirect responses as they are.
    public func setFollowRedirects(maximum: Int?) throws {
        try setLong(CURLOPT_FOLLOWLOCATION, maximum == nil ? 0 : 1, "setting redirect following")
        if let maximum {
            try setLong(CURLOPT_MAXREDIRS, maximum, "setting the redirect limit to \(maximum)")
        }
    }

    /// Checks the host of every request, the first and each redirect hop, with curl's own URL parser:
    /// before its name is resolved, so a host outside the allow list is neither looked up nor
    /// connected to, and again just before the request is sent (a host found in curl's DNS cache is
    /// not resolved again). A request whose host fails `isAllowed` is not sent, the transfer fails
    /// and `refusedURL` names it. Hosts come as curl writes them: IPv6 addresses in brackets.
    /// Redirects may only go to http and https.
    public func setHostCheck(_ isAllowed: @escaping (String) -> Bool) throws {
        let context = "setting the host check"
        hostCheck = isAllowed
        let me = Unmanaged.passUnretained(self).toOpaque()
        try setString(CURLOPT_REDIR_PROTOCOLS_STR, "http,https", context)
        try setPointer(CURLOPT_RESOLVER_START_DATA, me, context)
        try check(strain_curl_easy_setopt_resolver_start_callback(handle) { _, _, userdata in
            Unmanaged<CurlEasy>.fromOpaque(userdata!).takeUnretainedValue().mayRequestCurrentURL() ? 0 : 1
        }) { context }
        try setPointer(CURLOPT_PREREQDATA, me, context)
        try check(strain_curl_easy_setopt_prereq_callback(handle) { userdata, _, _, _, _ in
            Unmanaged<CurlEasy>.fromOpaque(userdata!).takeUnretainedValue().mayRequestCurrentURL()
                ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT
        }) { context }
    }

    public func setResponseSink(_ sink: ResponseSink) {
        responseSink = sink
    }

    // MARK: Transfer

    /// Runs the transfer on the calling thread until it completes or fails. An HTTP error
    /// status is not a failure here: read it from `transferInfo().responseCode`.
    public func perform() throws {
        prepareForTransfer()
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else { throw transferError(code) }
    }

    /// What libcurl measured for the last transfer.
    public func transferInfo() throws -> CurlTransferInfo {
        CurlTransferInfo(
            responseCode: try infoLong(CURLINFO_RESPONSE_CODE),
            httpVersion: negotiatedVersion(try infoLong(CURLINFO_HTTP_VERSION)),
            timings: CurlTimings(
                nameLookup: try infoOffT(CURLINFO_NAMELOOKUP_TIME_T),
                connect: try infoOffT(CURLINFO_CONNECT_TIME_T),
                appConnect: try infoOffT(CURLINFO_APPCONNECT_TIME_T),
                preTransfer: try infoOffT(CURLINFO_PRETRANSFER_TIME_T),
                startTransfer: try infoOffT(CURLINFO_STARTTRANSFER_TIME_T),
                total: try infoOffT(CURLINFO_TOTAL_TIME_T)),
            bytesDownloaded: try infoOffT(CURLINFO_SIZE_DOWNLOAD_T),
            bytesUploaded: try infoOffT(CURLINFO_SIZE_UPLOAD_T),
            newConnections: try infoLong(CURLINFO_NUM_CONNECTS))
    }

    /// Clears every option (back to a fresh handle, sink `.default`) but keeps the open
    /// connections, DNS and TLS session caches, so the next request can reuse them.
    public func reset() throws {
        curl_easy_reset(handle)
        curl_slist_free_all(requestHeaderList)
        requestHeaderList = nil
        requestBody?.deallocate()
        requestBody = nil
        hostCheck = nil
        responseSink = .default
        clearResponse()
        try applyBaseOptions()
    }

    /// Forgets the previous response and error text; `CurlMulti.add` calls this too.
    func prepareForTransfer() {
        clearResponse()
        refusedURL = nil
        errorBuffer[0] = 0
    }

    /// The error for a transfer that ended with `code`, with curl's detail for it.
    func transferError(_ code: CURLcode) -> CurlError {
        if bodyOverLimit, case .collectWhole(let limit) = responseSink {
            return CurlError(code: code, detail: "the response body is over \(limit) bytes, the most read whole")
        }
        if headOverLimit {
            return CurlError(code: code, detail: "the response headers are larger than \(HTTPHeader.maxResponseHeadBytes / 1024) KiB",
                             kind: .weirdServerReply)
        }
        // libcurl buffers a header line whole, up to 100 KiB, and reports a longer one as out of memory.
        if code == CURLE_OUT_OF_MEMORY, !responseHeadEnded {
            return CurlError(code: code, detail: "a response header line over libcurl's 100 KiB limit (libcurl reports it as out of memory)",
                             kind: .weirdServerReply)
        }
        return CurlError(code: code, detail: String(cString: errorBuffer))
    }

    // MARK: Callbacks

    private func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        bodyBytesReceived += bytes.count
        switch responseSink {
        case .collect(let limit):
            responseBody.append(contentsOf: bytes.prefix(max(0, limit - responseBody.count)))
        case .collectWhole(let limit):
            guard bodyBytesReceived <= limit else {
                bodyOverLimit = true
                return 0 // curl ends the transfer with CURLE_WRITE_ERROR
            }
            responseBody.append(contentsOf: bytes)
        case .discard:
            break
        }
        return bytes.count
    }

    private func receiveHeaderLine(_ line: UnsafeRawBufferPointer) -> Int {
        if HTTPHeader.isStatusLine(line) {
            responseHeadBytes = 0
            responseHeadEnded = false
        }
        responseHeadBytes += line.count
        if line.count <= 2 { responseHeadEnded = true } // the blank line, "\r\n" or "\n"
        // The lean engine's bound too: one reading of a response, whichever engine sends the request.
        guard responseHeadBytes <= HTTPHeader.maxResponseHeadBytes else {
            headOverLimit = true
            return 0 // curl ends the transfer with CURLE_WRITE_ERROR
        }
        if collectsSetCookies {
            if HTTPHeader.isStatusLine(line) {
                setCookies.removeAll(keepingCapacity: true)
            } else if line.count > 11, HTTPHeader.hasName("set-cookie", line), let header = HTTPHeader(rawLine: line) {
                setCookies.append(header.value)
            }
        }
        guard responseSink != .discard else { return line.count }
        if HTTPHeader.isStatusLine(line) {
            // A new response begins (after a redirect or 100-continue): keep only its headers.
            responseHeaders.removeAll(keepingCapacity: true)
        } else if let header = HTTPHeader(rawLine: line) {
            responseHeaders.append(header)
        }
        return line.count
    }

    /// The URL of the transfer's latest hop: the first, or where the last redirect pointed.
    public var effectiveURL: String? {
        var urlPointer: UnsafeMutablePointer<CChar>?
        guard strain_curl_easy_getinfo_string(handle, CURLINFO_EFFECTIVE_URL, &urlPointer) == CURLE_OK, let urlPointer else { return nil }
        return String(cString: urlPointer)
    }

    /// The resolver-start and prerequest callbacks: is the URL curl is about to look up or send to (the
    /// effective URL, which curl updates on each redirect hop) on an allowed host? Anything curl's
    /// parser rejects is refused.
    private func mayRequestCurrentURL() -> Bool {
        guard let hostCheck else { return true }
        guard let url = effectiveURL else { return false }
        guard let host = Self.host(of: url), hostCheck(host) else {
            refusedURL = url
            return false
        }
        return true
    }

    /// The host part of `url` as libcurl parses it, nil when it cannot.
    static func host(of url: String) -> String? {
        guard let parsed = curl_url() else { return nil }
        defer { curl_url_cleanup(parsed) }
        let flags = UInt32(CURLU_NON_SUPPORT_SCHEME | CURLU_ALLOW_SPACE)
        guard curl_url_set(parsed, CURLUPART_URL, url, flags) == CURLUE_OK else { return nil }
        var hostPointer: UnsafeMutablePointer<CChar>?
        guard curl_url_get(parsed, CURLUPART_HOST, &hostPointer, 0) == CURLUE_OK, let hostPointer else { return nil }
        defer { curl_free(hostPointer) }
        return String(cString: hostPointer)
    }

    private func clearResponse() {
        responseBody.removeAll(keepingCapacity: true)
        responseHeaders.removeAll(keepingCapacity: true)
        setCookies.removeAll(keepingCapacity: true)
        bodyBytesReceived = 0
        bodyOverLimit = false
        responseHeadBytes = 0
        responseHeadEnded = false
        headOverLimit = false
    }

    /// Options every transfer needs; `curl_easy_reset` clears them, so they are set again.
    private func applyBaseOptions() throws {
        let context = "configuring a curl easy handle"
        try setPointer(CURLOPT_ERRORBUFFER, errorBuffer, context)
        // Timeouts must not use signals: several threads run transfers at once.
        try setLong(CURLOPT_NOSIGNAL, 1, context)
        // The callbacks find this object through the userdata pointer. Unretained is safe:
        // curl calls them only during a transfer, which this object outlives.
        let this = Unmanaged.passUnretained(self).toOpaque()
        try setPointer(CURLOPT_WRITEDATA, this, context)
        try setPointer(CURLOPT_HEADERDATA, this, context)
        try setDataCallback(CURLOPT_WRITEFUNCTION, { data, size, count, userdata in
            Unmanaged<CurlEasy>.fromOpaque(userdata!).takeUnretainedValue()
                .receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
        }, context)
        try setDataCallback(CURLOPT_HEADERFUNCTION, { data, size, count, userdata in
            Unmanaged<CurlEasy>.fromOpaque(userdata!).takeUnretainedValue()
                .receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
        }, context)
    }

    // MARK: Typed setopt / getinfo

    private func check(_ code: CURLcode, _ context: () -> String) throws {
        guard code == CURLE_OK else { throw CurlError(code: code, context: context()) }
    }

    private func setLong(_ option: CURLoption, _ value: Int, _ context: @autoclosure () -> String) throws {
        try check(strain_curl_easy_setopt_long(handle, option, value), context)
    }

    private func setOffT(_ option: CURLoption, _ value: Int64, _ context: @autoclosure () -> String) throws {
        try check(strain_curl_easy_setopt_off_t(handle, option, curl_off_t(value)), context)
    }

    private func setString(_ option: CURLoption, _ value: String, _ context: @autoclosure () -> String) throws {
        try check(strain_curl_easy_setopt_string(handle, option, value), context)
    }

    private func setPointer(_ option: CURLoption, _ value: UnsafeMutableRawPointer?,
                            _ context: @autoclosure () -> String) throws {
        try check(strain_curl_easy_setopt_pointer(handle, option, value), context)
    }

    private func setSlist(_ option: CURLoption, _ value: UnsafeMutablePointer<curl_slist>?,
                          _ context: @autoclosure () -> String) throws {
        try check(strain_curl_easy_setopt_slist(handle, option, value), context)
    }

    private func setDataCallback(_ option: CURLoption, _ callback: strain_curl_data_callback,
                                 _ context: @autoclosure () -> String) throws {
        try check(strain_curl_easy_setopt_data_callback(handle, option, callback), context)
    }

    private func infoLong(_ info: CURLINFO) throws -> Int {
        var value = 0
        try check(strain_curl_easy_getinfo_long(handle, info, &value)) { "reading transfer info \(info.rawValue)" }
        return value
    }

    private func infoOffT(_ info: CURLINFO) throws -> Int64 {
        var value: curl_off_t = 0
        try check(strain_curl_easy_getinfo_off_t(handle, info, &value)) { "reading transfer info \(info.rawValue)" }
        return Int64(value)
    }

    private func negotiatedVersion(_ curlValue: Int) -> NegotiatedHTTPVersion {
        switch curlValue {
        case CURL_HTTP_VERSION_1_0: .http1_0
        case CURL_HTTP_VERSION_1_1: .http1_1
        case CURL_HTTP_VERSION_2_0: .http2
        case CURL_HTTP_VERSION_3: .http3
        default: .none
        }
    }
}

@available(*, unavailable, message: "a CurlEasy belongs to the one thread that uses it")
extension CurlEasy: Sendable {}

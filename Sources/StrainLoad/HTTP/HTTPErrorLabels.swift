import StrainCurl

extension ErrorLabel {
    /// Nothing accepted the connection (curl's "Couldn't connect to server").
    public static let connectRefused = ErrorLabel("connect refused")
    /// Connecting failed because the network said so (no route to host, network unreachable).
    public static let connectFailed = ErrorLabel("connect failed")
    public static let dns = ErrorLabel("dns")
    public static let tls = ErrorLabel("tls")
    /// The server closed the connection mid-exchange, or without sending anything.
    public static let connectionClosed = ErrorLabel("connection closed")
    /// The server reset the connection (TCP RST, ECONNRESET).
    public static let connectionReset = ErrorLabel("connection reset")
    /// Something answered, but not with HTTP curl could parse.
    public static let malformedResponse = ErrorLabel("malformed response")
    /// This process could not open another socket (EMFILE/ENFILE): the generator's limit, not the target.
    public static let outOfFileDescriptors = ErrorLabel("out of file descriptors")
    public static let http2 = ErrorLabel("http2")
    public static let tooManyRedirects = ErrorLabel("too many redirects")
    /// A redirect pointed at a host outside target.allow; that request was not sent.
    public static let redirectNotAllowed = ErrorLabel("redirect not allowed")
    /// A rendered header value held a control character other than tab (from a feeder, env or extracted value);
    /// the request was not sent.
    public static let invalidHeaderValue = ErrorLabel("invalid header value")
    /// The request itself could not be built or sent (malformed URL, unsupported scheme).
    public static let invalidRequest = ErrorLabel("invalid request")
    /// Any other transfer failure; the example message has curl's detail.
    public static let transport = ErrorLabel("transport")

    /// The label for a failed curl transfer: one fixed label per cause. Several causes share a curl
    /// code, so the system's reason in curl's detail decides where it names one: running out of file
    /// descriptors (curl reports it as a failed connect, like a refusal), a reset (a receive or send error).
    /// "Connection refused" and "No route to host" share that code, and libcurl 7.88's message for it
    /// says only "Couldn't connect to server" in the usual case (the refusal): routing failures are
    /// told apart when the message names them.
    static func forTransfer(_ error: CurlError) -> ErrorLabel {
        let names = { (reason: String) in error.detail.localizedCaseInsensitiveContains(reason) }
        if names("Too many open files") { return .outOfFileDescriptors }
        if names("Connection reset") { return .connectionReset }
        return switch error.kind {
        case .couldNotConnect:
            ["No route", "unreachable"].contains(where: error.detail.localizedCaseInsensitiveContains) ? .connectFailed : .connectRefused
        case .timedOut: .timeout
        case .couldNotResolve: .dns
        case .tls: .tls
        case .connectionLost: .connectionClosed
        case .weirdServerReply: .malformedResponse
        // libcurl 7.88 says "Received HTTP/0.9 when not allowed" for a reply without a status line,
        // and "Unsupported response code in HTTP response" for a status line like "HTTP/1.1 2x0".
        case .unsupportedProtocol where names("HTTP/0.9") || names("Unsupported response code"): .malformedResponse
        case .http2: .http2
        case .tooManyRedirects: .tooManyRedirects
        case .unsupportedProtocol, .malformedURL: .invalidRequest
        case .other: .transport
        }
    }
}

internal import CCurl
import StrainCurl

extension ErrorLabel {
    /// Nothing accepted the connection (curl error 7).
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
    /// A rendered header name or value held CR, LF or NUL (from a feeder, env or extracted value);
    /// the request was not sent.
    public static let invalidHeaderValue = ErrorLabel("invalid header value")
    /// The request itself could not be built or sent (malformed URL, unsupported scheme).
    public static let invalidRequest = ErrorLabel("invalid request")
    /// Any other transfer failure; the example message has curl's detail.
    public static let transport = ErrorLabel("transport")

    /// The label for a failed curl transfer: one fixed label per cause. Several causes share a curl
    /// code, so the system's reason in curl's detail decides where it names one: running out of file
    /// descriptors (curl reports it as error 7, like a refusal), a reset (a receive or send error).
    /// "Connection refused" and "No route to host" share error 7, and libcurl 7.88's message for it
    /// says only "Couldn't connect to server" in the usual case (the refusal): routing failures are
    /// told apart when the message names them.
    static func forTransfer(_ error: CurlError) -> ErrorLabel {
        let names = { (reason: String) in error.detail.localizedCaseInsensitiveContains(reason) }
        if names("Too many open files") { return .outOfFileDescriptors }
        if names("Connection reset") { return .connectionReset }
        return switch error.code {
        case CURLE_COULDNT_CONNECT:
            ["No route", "unreachable"].contains(where: error.detail.localizedCaseInsensitiveContains) ? .connectFailed : .connectRefused
        case CURLE_OPERATION_TIMEDOUT:
            .timeout
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            .dns
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_ENGINE_NOTFOUND,
             CURLE_SSL_ENGINE_SETFAILED, CURLE_USE_SSL_FAILED:
            .tls
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE:
            .connectionClosed
        case CURLE_WEIRD_SERVER_REPLY:
            .malformedResponse
        // libcurl 7.88 says "Received HTTP/0.9 when not allowed" for a reply without a status line.
        case CURLE_UNSUPPORTED_PROTOCOL where names("HTTP/0.9"):
            .malformedResponse
        case CURLE_HTTP2, CURLE_HTTP2_STREAM:
            .http2
        case CURLE_TOO_MANY_REDIRECTS:
            .tooManyRedirects
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            .invalidRequest
        default:
            .transport
        }
    }
}

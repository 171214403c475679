import CCurl
import StrainCurl

extension ErrorLabel {
    /// Nothing accepted the connection (curl error 7).
    public static let connectRefused = ErrorLabel("connect refused")
    /// Connecting failed because the network said so (no route to host, network unreachable).
    public static let connectFailed = ErrorLabel("connect failed")
    public static let dns = ErrorLabel("dns")
    public static let tls = ErrorLabel("tls")
    /// The server closed or reset the connection mid-exchange, or sent nothing.
    public static let connectionClosed = ErrorLabel("connection closed")
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

    /// The label for a failed curl transfer. "Connection refused" and "No route to host" share curl
    /// error 7, and libcurl 7.88's message for it says only "Couldn't connect to server" in the usual
    /// case (the refusal): routing failures are told apart when the message names them.
    static func forTransfer(_ error: CurlError) -> ErrorLabel {
        switch error.code {
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

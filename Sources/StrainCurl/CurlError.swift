internal import CCurl

/// A failed libcurl easy call or transfer: what kind of failure, curl's text for it, and the
/// transfer's own detail from `CURLOPT_ERRORBUFFER` (e.g. which host and port refused). libcurl's
/// `CURLcode` stays inside this module: callers decide on `kind`.
public struct CurlError: Error, CustomStringConvertible, Sendable {
    /// The failures callers tell apart; every other code is `other` (its message says which).
    public enum Kind: Sendable, Equatable {
        case couldNotConnect
        case timedOut
        /// The host's or the proxy's name.
        case couldNotResolve
        /// The handshake, the peer's certificate, or the local TLS setup.
        case tls
        /// Nothing came back, or the connection broke while sending or receiving.
        case connectionLost
        /// The server answered with something curl could not read as HTTP.
        case weirdServerReply
        /// A scheme curl does not speak (libcurl 7.88 also says this of an HTTP/0.9 reply).
        case unsupportedProtocol
        case malformedURL
        case http2
        case tooManyRedirects
        case other
    }

    public let kind: Kind
    /// `curl_easy_strerror`'s text, e.g. "Couldn't connect to server".
    public let message: String
    /// The error buffer's text for this transfer, empty when curl wrote none.
    public let detail: String
    /// What Strain was doing, for failures outside a transfer (e.g. "setting the HTTP version").
    public let context: String?
    let code: CURLcode

    /// `kind` is the code's unless Strain knows better (a limit of its own ended the transfer).
    init(code: CURLcode, detail: String = "", context: String? = nil, kind: Kind? = nil) {
        self.code = code
        self.kind = kind ?? Self.kind(of: code)
        self.message = String(cString: curl_easy_strerror(code))
        self.detail = detail
        self.context = context
    }

    public var description: String {
        var text = context.map { "\($0): " } ?? ""
        text += "curl error \(code.rawValue) (\(message))"
        if !detail.isEmpty { text += ": \(detail)" }
        return text
    }

    static func kind(of code: CURLcode) -> Kind {
        switch code {
        case CURLE_COULDNT_CONNECT: .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT: .timedOut
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: .couldNotResolve
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_ENGINE_NOTFOUND,
             CURLE_SSL_ENGINE_SETFAILED, CURLE_USE_SSL_FAILED:
            .tls
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE: .connectionLost
        case CURLE_WEIRD_SERVER_REPLY: .weirdServerReply
        case CURLE_UNSUPPORTED_PROTOCOL: .unsupportedProtocol
        case CURLE_URL_MALFORMAT: .malformedURL
        case CURLE_HTTP2, CURLE_HTTP2_STREAM: .http2
        case CURLE_TOO_MANY_REDIRECTS: .tooManyRedirects
        default: .other
        }
    }
}

/// A failed libcurl multi call: `curl_multi_strerror`'s text for its `CURLMcode` (kept inside this module).
public struct CurlMultiError: Error, CustomStringConvertible, Sendable {
    let code: CURLMcode
    public let message: String
    /// What Strain was doing, e.g. "adding a transfer".
    public let context: String

    init(code: CURLMcode, context: String) {
        self.code = code
        self.message = String(cString: curl_multi_strerror(code))
        self.context = context
    }

    public var description: String {
        "\(context): curl multi error \(code.rawValue) (\(message))"
    }
}

/// `curl_global_init` must run once before any other curl call and is not thread-safe in
/// every libcurl build; a global `let` is initialised exactly once, on first use, under a lock.
private let globalInitResult: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// Runs `curl_global_init` on first call; every handle initialiser calls this first.
func ensureCurlGlobalInit() throws {
    guard globalInitResult == CURLE_OK else {
        throw CurlError(code: globalInitResult, context: "initialising libcurl (curl_global_init)")
    }
}

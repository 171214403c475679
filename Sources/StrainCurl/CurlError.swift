import CCurl

/// A failed libcurl easy call or transfer: the `CURLcode`, curl's text for it, and the
/// transfer's own detail from `CURLOPT_ERRORBUFFER` (e.g. which host and port refused).
public struct CurlError: Error, CustomStringConvertible, Sendable {
    public let code: CURLcode
    /// `curl_easy_strerror(code)`, e.g. "Couldn't connect to server".
    public let message: String
    /// The error buffer's text for this transfer, empty when curl wrote none.
    public let detail: String
    /// What Strain was doing, for failures outside a transfer (e.g. "setting the HTTP version").
    public let context: String?

    public init(code: CURLcode, detail: String = "", context: String? = nil) {
        self.code = code
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
}

/// A failed libcurl multi call: the `CURLMcode` and `curl_multi_strerror`'s text for it.
public struct CurlMultiError: Error, CustomStringConvertible, Sendable {
    public let code: CURLMcode
    public let message: String
    /// What Strain was doing, e.g. "adding a transfer".
    public let context: String

    public init(code: CURLMcode, context: String) {
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

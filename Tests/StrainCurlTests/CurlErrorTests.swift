import CCurl
@testable import StrainCurl
import Testing

/// libcurl's codes stay inside StrainCurl: callers see a kind and libcurl's own words.
struct CurlErrorTests {
    @Test(arguments: [
        (CURLE_COULDNT_CONNECT, CurlError.Kind.couldNotConnect, "Couldn't connect to server"),
        (CURLE_OPERATION_TIMEDOUT, .timedOut, "Timeout was reached"),
        (CURLE_COULDNT_RESOLVE_HOST, .couldNotResolve, "Couldn't resolve host name"),
        (CURLE_COULDNT_RESOLVE_PROXY, .couldNotResolve, "Couldn't resolve proxy name"),
        (CURLE_PEER_FAILED_VERIFICATION, .tls, "SSL peer certificate or SSH remote key was not OK"),
        (CURLE_SSL_CONNECT_ERROR, .tls, "SSL connect error"),
        (CURLE_GOT_NOTHING, .connectionLost, "Server returned nothing (no headers, no data)"),
        (CURLE_RECV_ERROR, .connectionLost, "Failure when receiving data from the peer"),
        (CURLE_WEIRD_SERVER_REPLY, .weirdServerReply, "Weird server reply"),
        (CURLE_UNSUPPORTED_PROTOCOL, .unsupportedProtocol, "Unsupported protocol"),
        (CURLE_URL_MALFORMAT, .malformedURL, "URL using bad/illegal format or missing URL"),
        (CURLE_HTTP2, .http2, "Error in the HTTP2 framing layer"),
        (CURLE_TOO_MANY_REDIRECTS, .tooManyRedirects, "Number of redirects hit maximum amount"),
        (CURLE_WRITE_ERROR, .other, "Failed writing received data to disk/application"),
    ])
    func aKindAndLibcurlsMessage(code: CURLcode, kind: CurlError.Kind, message: String) {
        let error = CurlError(code: code, detail: "the detail", context: "doing something")
        #expect(error.kind == kind)
        #expect(error.message == message)
        #expect(error.description == "doing something: curl error \(code.rawValue) (\(message)): the detail")
    }
}

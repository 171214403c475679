import CCurl
@testable import StrainCurl
import Testing
@testable import StrainLoad

/// Causes curl reports under a shared code get their own label from the system's reason.
struct FailureLabelTests {
    @Test(arguments: [
        (CURLE_COULDNT_CONNECT, "Failed to connect to 127.0.0.1 port 80 after 0 ms: Couldn't connect to server", "connect refused"),
        (CURLE_COULDNT_CONNECT, "Failed to connect to 10.0.0.1 port 80 after 3 ms: No route to host", "connect failed"),
        (CURLE_COULDNT_CONNECT, "socket failure: Too many open files", "out of file descriptors"),
        (CURLE_RECV_ERROR, "Recv failure: Connection reset by peer", "connection reset"),
        (CURLE_SEND_ERROR, "Send failure: Connection reset by peer", "connection reset"),
        (CURLE_GOT_NOTHING, "Empty reply from server", "connection closed"),
        (CURLE_WEIRD_SERVER_REPLY, "Unsupported HTTP version in response", "malformed response"),
        (CURLE_UNSUPPORTED_PROTOCOL, "Received HTTP/0.9 when not allowed", "malformed response"),
        (CURLE_UNSUPPORTED_PROTOCOL, "Unsupported response code in HTTP response", "malformed response"),
        (CURLE_UNSUPPORTED_PROTOCOL, "Protocol \"gopher\" not supported", "invalid request"),
        (CURLE_OPERATION_TIMEDOUT, "Operation timed out after 300 milliseconds with 0 bytes received", "timeout"),
    ])
    func oneLabelPerCause(code: CURLcode, detail: String, label: String) {
        #expect(ErrorLabel.forTransfer(CurlError(code: code, detail: detail)).name == label)
    }

    @Test(arguments: [(connections: 100, limit: UInt64(1_024), fits: true),
                      (connections: 1_000, limit: 1_024, fits: false),
                      (connections: 1_000, limit: 1_048_576, fits: true)])
    func connectionsMustFitTheOpenFileLimit(connections: Int, limit: UInt64, fits: Bool) {
        let problem = FileDescriptorLimit.problem(connections: connections, workers: 2, limit: limit)
        #expect((problem == nil) == fits)
        if !fits { #expect(problem?.contains("this process may open only \(limit)") == true) }
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the throwaway servers started by `scripts/test` (scripts/lib/servers.sh) listen.
///
/// Each location comes from an environment variable the script exports; the defaults are the
/// script's default ports. Tests only ever talk to this machine: a location that names
/// another host stops the test run.
public enum TestServers {
    /// libpq conninfo of the test database (STRAIN_TEST_PG).
    public static var postgresConninfo: String {
        let conninfo = setting("STRAIN_TEST_PG", default: "host=127.0.0.1 port=15432 dbname=strain_test user=postgres")
        requireLoopback(conninfoHosts(conninfo), variable: "STRAIN_TEST_PG", value: conninfo)
        return conninfo
    }

    /// nginx over plain HTTP/1.1 (STRAIN_TEST_HTTP).
    public static var httpURL: String {
        loopbackURL("STRAIN_TEST_HTTP", default: "http://127.0.0.1:18080")
    }

    /// A server with a known cost (STRAIN_TEST_DELAY): `delayURL + "/200"` answers after 200 ms.
    public static var delayURL: String {
        loopbackURL("STRAIN_TEST_DELAY", default: "http://127.0.0.1:18082/delay")
    }

    /// nginx over TLS, HTTP/2 via ALPN (STRAIN_TEST_HTTPS); trust `caFile` to verify it.
    public static var httpsURL: String {
        loopbackURL("STRAIN_TEST_HTTPS", default: "https://127.0.0.1:18443")
    }

    /// Prometheus with its remote-write receiver on (STRAIN_TEST_PROMETHEUS): push to
    /// `prometheusURL + "/api/v1/write"`, query `prometheusURL + "/api/v1/query"`.
    public static var prometheusURL: String {
        loopbackURL("STRAIN_TEST_PROMETHEUS", default: "http://127.0.0.1:19090")
    }

    /// nginx speaking HTTP/2 over plain TCP, prior knowledge only (STRAIN_TEST_H2C).
    public static var h2cURL: String {
        loopbackURL("STRAIN_TEST_H2C", default: "http://127.0.0.1:18081")
    }

    /// The self-signed certificate the HTTPS server presents (STRAIN_TEST_CA). It has no
    /// default: the script creates it in a fresh temporary directory on every run.
    public static var caFile: String {
        get throws {
            guard let path = ProcessInfo.processInfo.environment["STRAIN_TEST_CA"], !path.isEmpty else {
                throw SetupError(description: "STRAIN_TEST_CA is not set: run the tests through scripts/test, "
                                 + "which creates the test certificate and exports its path")
            }
            return path
        }
    }

    /// An http:// URL on 127.0.0.1 where nothing listens, for connection-failure tests.
    public static func closedPortURL() throws -> String {
        "http://127.0.0.1:\(try closedPort())/"
    }

    /// A loopback TCP port nothing listens on: the kernel picks a free one for a socket that
    /// is then closed without listening. Another process could take it in between, which is
    /// unlikely enough for tests.
    public static func closedPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError(call: "socket") }
        defer { close(descriptor) }

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else { throw SocketError(call: "bind/getsockname on 127.0.0.1:0") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A failed socket call, with the system's reason.
    public struct SocketError: Error, CustomStringConvertible {
        public let description: String

        public init(call: String) {
            description = "\(call) failed: \(String(cString: strerror(errno)))"
        }
    }

    /// The test environment is incomplete.
    public struct SetupError: Error, CustomStringConvertible {
        public let description: String
    }

    /// True for names and addresses that stay on this machine: 127.0.0.0/8, ::1, localhost.
    public static func isLoopback(host: String) -> Bool {
        let host = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    private static func setting(_ name: String, default defaultValue: String) -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return defaultValue }
        return value
    }

    private static func loopbackURL(_ name: String, default defaultValue: String) -> String {
        let url = setting(name, default: defaultValue)
        requireLoopback([URL(string: url)?.host ?? url], variable: name, value: url)
        return url
    }

    /// The hosts a key=value or URI conninfo names; a Unix socket directory (starting with
    /// "/") is local and not listed.
    private static func conninfoHosts(_ conninfo: String) -> [String] {
        if conninfo.hasPrefix("postgres://") || conninfo.hasPrefix("postgresql://") {
            return [URL(string: conninfo)?.host ?? conninfo]
        }
        return conninfo.split(whereSeparator: \.isWhitespace)
            .filter { $0.hasPrefix("host=") || $0.hasPrefix("hostaddr=") }
            .flatMap { $0.drop(while: { $0 != "=" }).dropFirst().split(separator: ",").map(String.init) }
            .filter { !$0.hasPrefix("/") }
    }

    private static func requireLoopback(_ hosts: [String], variable: String, value: String) {
        for host in hosts where !isLoopback(host: host) {
            fatalError("\(variable)=\(value) names host \"\(host)\"; tests only send load to 127.0.0.0/8 or ::1")
        }
    }
}

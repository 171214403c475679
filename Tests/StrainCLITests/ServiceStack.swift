import Foundation
import StrainDiagnose
import StrainPQ
import StrainTestSupport

/// What a fixture service and its database backends cost the machine: the healthy-control tests
/// excuse a CPU-saturation finding only when the stack itself used little of the host.
enum ServiceStack {
    /// CPU time used so far by process `service` and by the backends serving `database`.
    static func cpuSeconds(service: Int32, database: String) throws -> Double {
        let backends = try PGConnection(conninfo: TestServers.postgresConninfo)
            .execute("SELECT pid FROM pg_stat_activity WHERE datname = $1", parameters: [database])
        let pids = [service] + (0..<backends.rowCount).compactMap { backends.value(row: $0, column: 0).flatMap { Int32($0) } }
        return pids.reduce(0) { $0 + cpuSeconds(pid: $1) }
    }

    /// The share of the host's CPU capacity the stack used in `window` seconds.
    static func share(ofCPUSeconds seconds: Double, window: Double) -> Double {
        seconds / (window * Double(ProcessInfo.processInfo.activeProcessorCount))
    }

    /// Findings above info on a healthy service. The test machine is shared: CPU saturation is
    /// excused only when the stack used less than a quarter of the host, so that at least three
    /// times as much came from others (the hog of a CI check alone takes half). pyshop's healthy
    /// stack, with ten endpoints, uses about a tenth.
    static func problems(_ findings: [Finding], stackShare: Double) -> [Finding] {
        findings.filter { finding in finding.severity > .info && !(finding.check == .cpuSaturation && stackShare < othersShare) }
    }

    /// Below this share of the host's CPU, a saturated host's CPU is mostly others'.
    static let othersShare = 0.25

    /// utime + stime of a process from /proc/PID/stat (fields 14 and 15, after the command in parentheses).
    private static func cpuSeconds(pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// A database of a test's own on the test server, with the extensions the diagnoser reads;
/// dropped (with whatever is still connected) when the value goes away.
final class FixtureDatabase {
    let name: String
    let conninfo: String

    init(prefix: String) throws {
        name = "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
        _ = try PGConnection(conninfo: TestServers.postgresConninfo).execute("CREATE DATABASE \(name)")
        conninfo = TestServers.postgresConninfo.replacing(/dbname=\S+/, with: "") + " dbname=\(name)"
        let connection = try PGConnection(conninfo: conninfo)
        _ = try connection.execute("CREATE EXTENSION pg_stat_statements")
        _ = try connection.execute("CREATE EXTENSION hypopg")
    }

    deinit {
        if let admin = try? PGConnection(conninfo: TestServers.postgresConninfo) {
            _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
    }
}

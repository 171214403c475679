import Foundation
import StrainPQ

/// A fixed-size pool of PostgreSQL connections; callers wait for a free one, as in most web apps.
/// The pool is what the "pool leak" fault starves.
///
/// `@unchecked Sendable`: the connections are only touched by the thread that checked them out,
/// and the idle list only under `condition`.
final class ConnectionPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var idle: [PGConnection]
    /// Time callers spent waiting for a free connection: what a leak costs the requests.
    private var waitedNanoseconds: UInt64 = 0

    init(conninfo: String, size: Int) throws {
        idle = try (0..<size).map { _ in
            let connection = try PGConnection(conninfo: conninfo)
            _ = try connection.execute("SET application_name = 'demo-shop'")
            return connection
        }
    }

    func checkOut() -> PGConnection {
        condition.lock()
        defer { condition.unlock() }
        if idle.isEmpty {
            let start = DispatchTime.now().uptimeNanoseconds
            while idle.isEmpty { condition.wait() }
            waitedNanoseconds += DispatchTime.now().uptimeNanoseconds - start
        }
        return idle.removeLast()
    }

    /// Seconds callers have waited for a connection since the pool opened.
    var waitedSeconds: Double {
        condition.lock()
        defer { condition.unlock() }
        return Double(waitedNanoseconds) / 1e9
    }

    func checkIn(_ connection: PGConnection) {
        condition.lock()
        idle.append(connection)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` with a connection and always returns it (the healthy path).
    func withConnection<T>(_ body: (PGConnection) throws -> T) rethrows -> T {
        let connection = checkOut()
        defer { checkIn(connection) }
        return try body(connection)
    }
}

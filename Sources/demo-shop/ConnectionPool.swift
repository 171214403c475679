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
        while idle.isEmpty { condition.wait() }
        return idle.removeLast()
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

import StrainPQ
import Synchronization

/// A cancel request for every open PostgreSQL connection of the process, for the second stop signal
/// to send before the process exits at once: closing a connection alone leaves its statement running
/// on the server to its end. Registered once per connection (not per statement), so the hot path pays
/// nothing; a cancel on an idle connection does nothing.
enum PostgresCancels {
    private static let byConnection = Mutex<[ObjectIdentifier: PGCancel]>([:])

    static func register(_ connection: PGConnection) {
        guard let cancel = try? connection.cancelRequest() else { return }
        byConnection.withLock { $0[ObjectIdentifier(connection)] = cancel }
    }

    static func unregister(_ connection: PGConnection) {
        _ = byConnection.withLock { $0.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    /// Asks the server to stop whatever each open connection is running (best effort).
    static func sendAll() {
        for cancel in byConnection.withLock({ Array($0.values) }) { try? cancel.send() }
    }
}

internal import CLibPQ

/// A request to cancel the statement a connection is running (`PQgetCancel` / `PQcancel`).
///
/// Closing a connection does not stop its statement: the server notices a vanished client only
/// when it next writes to it, so a `pg_sleep(25)` or a long scan runs on to its end. A cancel
/// request goes over a separate, short-lived connection and stops it at once.
///
/// Sendable: libpq makes `PQcancel` safe to call from another thread (even a signal handler) while
/// the connection is in use, as long as the object is not freed meanwhile.
public final class PGCancel: @unchecked Sendable {
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQfreeCancel(handle)
    }

    /// Asks the server to cancel the statement in progress; returns once the server has taken the
    /// request, not when the statement has stopped. Does nothing when no statement is running.
    public func send() throws {
        // libpq's documented size for this buffer.
        var reason = [CChar](repeating: 0, count: 256)
        guard PQcancel(handle, &reason, Int32(reason.count)) == 1 else {
            throw PostgresError(message: reason.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
    }
}

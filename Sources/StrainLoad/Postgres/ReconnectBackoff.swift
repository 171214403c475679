/// How long a session waits before each attempt to replace a broken connection: 10 ms, then
/// twice as long after every failed attempt, at most 1 s, so a restarting server is retried
/// promptly without being hammered by every session at once.
struct ReconnectBackoff: Sendable, Equatable {
    static let firstDelay: UInt64 = 10_000
    static let longestDelay: UInt64 = 1_000_000

    private var nextDelay = firstDelay

    /// The wait (µs) before the next attempt; each call doubles the one after it.
    mutating func delay() -> UInt64 {
        defer { nextDelay = min(nextDelay * 2, Self.longestDelay) }
        return nextDelay
    }

    /// After a successful connection: the next loss starts from the shortest wait again.
    mutating func reset() {
        nextDelay = Self.firstDelay
    }
}

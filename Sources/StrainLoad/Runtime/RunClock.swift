import Foundation
import StrainProfile
#if canImport(Glibc)
import Glibc
#endif

/// Microseconds since the run started, on the monotonic clock (immune to wall-clock changes).
/// Every time the runtime handles — intended send times, completions, interval boundaries — is on
/// this scale, so workers on different threads agree on "now".
public struct RunClock: Sendable {
    private let origin: UInt64

    /// A clock whose zero is now.
    public init() {
        origin = Self.monotonicMicros()
    }

    public func now() -> UInt64 {
        Self.monotonicMicros() &- origin
    }

    static func monotonicMicros() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1_000
    }

    /// CPU time (user + system) the calling thread has used, in microseconds.
    static func threadCPUMicros() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1_000
    }
}

extension TimeSpan {
    /// The span in whole microseconds (the runtime's unit of time).
    var micros: UInt64 { microseconds(fromSeconds: seconds) }
}

/// Seconds (as `Pacer` and `TimeSpan` give them) to microseconds, never negative.
func microseconds(fromSeconds seconds: Double) -> UInt64 {
    seconds <= 0 ? 0 : UInt64((seconds * 1_000_000).rounded())
}

import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT, SIGTERM and SIGHUP (a closed terminal or SSH session) into a graceful stop: the first
/// one calls each watcher's `onStop` with the signal's name (a run stops issuing, drains briefly and
/// writes its results); a second one calls `beforeQuitting` and exits at once with status 130, for a
/// user who does not want to wait.
///
/// A command that measures takes the signals over first thing (`takeOverStopSignals`) and keeps them
/// to its end: a signal while it loads its profile, starts the diagnosis or writes its reports asks
/// for a stop too, rather than ending the process with the default status (143 for SIGTERM). A stop,
/// once asked for, stands: a watcher created after it is told at once.
public final class SignalWatcher: Sendable {
    /// The signals that ask for a graceful stop.
    public static let stopSignals = [SIGINT, SIGTERM, SIGHUP]

    private struct Watcher {
        let onStop: @Sendable (String) -> Void
        let beforeQuitting: @Sendable () -> Void
    }

    private struct Shared {
        var sources: [any DispatchSourceSignal] = []
        var signalsReceived = 0
        /// The first stop signal's name.
        var stopRequested: String?
        var watchers: [ObjectIdentifier: Watcher] = [:]
    }

    private static let shared = Mutex(Shared())

    /// From now on, to the end of the process, a stop signal asks for a stop instead of ending it.
    public static func takeOverStopSignals() {
        shared.withLock { shared in
            guard shared.sources.isEmpty else { return }
            for signalNumber in stopSignals {
                // Ignored at the process level so that only the dispatch source sees it.
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                let name = signalNumber == SIGINT ? "SIGINT" : signalNumber == SIGTERM ? "SIGTERM" : "SIGHUP"
                source.setEventHandler { received(name) }
                source.resume()
                shared.sources.append(source)
            }
        }
    }

    /// The first stop signal's name, once one came.
    public static var stopRequested: String? {
        shared.withLock { $0.stopRequested }
    }

    private static func received(_ name: String) {
        let (count, watchers) = shared.withLock { shared in
            shared.signalsReceived += 1
            shared.stopRequested = shared.stopRequested ?? name
            return (shared.signalsReceived, Array(shared.watchers.values))
        }
        if count > 1 {
            for watcher in watchers { watcher.beforeQuitting() }
            _exit(130)
        }
        for watcher in watchers { watcher.onStop(name) }
    }

    /// Watches until `cancel`; `onStop` is called at once when a stop was asked for already.
    public init(onStop: @escaping @Sendable (String) -> Void, beforeQuitting: @escaping @Sendable () -> Void = {}) {
        Self.takeOverStopSignals()
        let watcher = Watcher(onStop: onStop, beforeQuitting: beforeQuitting)
        let earlier = Self.shared.withLock { shared in
            shared.watchers[ObjectIdentifier(self)] = watcher
            return shared.stopRequested
        }
        if let earlier { onStop(earlier) }
    }

    /// Stops watching; the signals stay taken over.
    public func cancel() {
        _ = Self.shared.withLock { $0.watchers.removeValue(forKey: ObjectIdentifier(self)) }
    }
}

import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT, SIGTERM and SIGHUP (a closed terminal or SSH session) into a graceful stop: the first
/// one calls `onStop` with the signal's name (a run stops issuing, drains briefly and writes its
/// results); a second one calls `beforeQuitting` and exits at once with status 130, for a user who
/// does not want to wait.
public final class SignalWatcher {
    /// The signals that ask for a graceful stop.
    public static let stopSignals = [SIGINT, SIGTERM, SIGHUP]

    private var sources: [any DispatchSourceSignal] = []

    public init(onStop: @escaping @Sendable (String) -> Void, beforeQuitting: @escaping @Sendable () -> Void = {}) {
        let received = SignalCount()
        for signalNumber in Self.stopSignals {
            // Ignored at the process level so that only the dispatch source sees it.
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            let name = signalNumber == SIGINT ? "SIGINT" : signalNumber == SIGTERM ? "SIGTERM" : "SIGHUP"
            source.setEventHandler {
                if received.increment() > 1 {
                    beforeQuitting()
                    _exit(130)
                }
                onStop(name)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Restores the default handling.
    public func cancel() {
        for source in sources { source.cancel() }
        sources.removeAll()
        for signalNumber in Self.stopSignals { signal(signalNumber, SIG_DFL) }
    }
}

private final class SignalCount: Sendable {
    private let count = Atomic<Int>(0)

    /// The count after this signal.
    func increment() -> Int {
        count.add(1, ordering: .relaxed).newValue
    }
}

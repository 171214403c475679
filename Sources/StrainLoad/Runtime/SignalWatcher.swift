import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT and SIGTERM into a graceful stop while a run goes on: the first one calls `onStop`
/// (the run stops issuing, drains briefly and writes its results); a second one exits at once with
/// status 130, for a user who does not want to wait.
final class SignalWatcher {
    private var sources: [any DispatchSourceSignal] = []

    init(onStop: @escaping @Sendable () -> Void) {
        let received = SignalCount()
        for signalNumber in [SIGINT, SIGTERM] {
            // Ignored at the process level so that only the dispatch source sees it.
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if received.increment() > 1 { _exit(130) }
                onStop()
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Restores the default handling.
    func cancel() {
        for source in sources { source.cancel() }
        sources.removeAll()
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

private final class SignalCount: Sendable {
    private let count = Atomic<Int>(0)

    /// The count after this signal.
    func increment() -> Int {
        count.add(1, ordering: .relaxed).newValue
    }
}

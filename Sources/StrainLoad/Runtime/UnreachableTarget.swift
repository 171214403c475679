/// Tells a target that could not be reached at all — every attempt failed before a connection was made
/// — from one that answers badly. Going on against such a target would only measure refusals, so the
/// run stops and says so (exit 5) instead of reporting pages of "connect refused". Pure.
enum UnreachableTarget {
    /// How long a run tries before it gives up on a target that has never accepted a connection.
    static let patience: UInt64 = 2_000_000

    /// Failures that mean no connection was made: nothing of the target was reached.
    static let connectionFailures: Set<ErrorLabel> = [.connectRefused, .connectFailed, .dns]

    /// Why the run should stop, or nil while the target may yet be reached (or was reached). Before the
    /// run's end it waits `patience` µs, so a target still starting up gets its chance.
    static func reason(_ totals: [StepTally], elapsed: UInt64, runEnded: Bool) -> String? {
        guard runEnded || elapsed >= patience else { return nil }
        let attempts = totals.reduce(UInt64(0)) { $0 + $1.requests }
        let responses = totals.reduce(UInt64(0)) { $0 + $1.responses }
        let errors = totals.flatMap(\.errors)
        guard attempts > 0, responses == 0, let example = errors.first?.value.example,
              errors.allSatisfy({ connectionFailures.contains($0.key) }) else { return nil }
        let labels = Set(errors.map(\.key.name)).sorted().joined(separator: ", ")
        let within = runEnded ? "" : " in the first \(Milliseconds.text(elapsed))"
        return "the target is unreachable: all \(attempts) attempts\(within) failed to connect (\(labels)), e.g. \(example)"
    }
}

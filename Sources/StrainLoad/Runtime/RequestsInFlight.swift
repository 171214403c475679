import StrainProfile
import Synchronization

/// How many requests of each step are in flight at this moment, over all workers, for a sampler on
/// another thread: the diagnosis sets them against the service's runnable threads to tell which
/// endpoint's time is spent computing and which waiting. Counted only when a run is given one.
public final class RequestsInFlight: @unchecked Sendable {
    // @unchecked: the counters' memory is only ever touched through their atomic operations.
    /// "scenario/step" of each run-wide step number, as the diagnosis names endpoints.
    public let stepNames: [String]
    private let counts: UnsafeMutablePointer<Atomic<Int>>

    public init(_ profile: Profile) {
        stepNames = profile.scenarios.flatMap { scenario in scenario.steps.map { "\(scenario.name)/\($0.name)" } }
        counts = .allocate(capacity: max(1, stepNames.count))
        for index in stepNames.indices { (counts + index).initialize(to: Atomic(0)) }
    }

    deinit {
        counts.deinitialize(count: stepNames.count)
        counts.deallocate()
    }

    func started(step: Int) {
        counts[step].add(1, ordering: .relaxed)
    }

    func ended(step: Int) {
        counts[step].subtract(1, ordering: .relaxed)
    }

    /// Requests in flight per run-wide step number, now.
    public func now() -> [Int] {
        stepNames.indices.map { counts[$0].load(ordering: .relaxed) }
    }
}

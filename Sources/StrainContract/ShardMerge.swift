import Foundation

/// Shards' run folders that cannot be merged, and why (`strain merge` exits 2 with it).
public struct ShardMergeError: Error, CustomStringConvertible, Equatable {
    public let description: String
}

/// Combines the artifacts and timelines of a scaled-out run's shards into one run, exactly: histograms
/// merge bucket by bucket, counts add up. Pure: `strain merge` reads and writes the folders.
public enum ShardMerge {
    /// One shard's run.json as read: `name` (its folder's path) only names it in errors. Its timeline
    /// is read as it is merged (`mergeTimelines`).
    public struct Input: Sendable {
        public var name: String
        public var artifact: RunArtifact

        public init(name: String, artifact: RunArtifact) {
            self.name = name
            self.artifact = artifact
        }
    }

    /// The shards, ordered by index, once they are shown to belong together: all shards of one run of the
    /// same profile file, each index from 0 to N−1 exactly once.
    public static func ordered(_ inputs: [Input]) throws(ShardMergeError) -> [Input] {
        guard let first = inputs.first else { throw ShardMergeError(description: "no shard folders given") }
        if let unsharded = inputs.first(where: { $0.artifact.shard == nil }) {
            throw ShardMergeError(description: "\(unsharded.name) is not a shard (it was not run with --shard or --shards)")
        }
        let count = first.artifact.shard!.count
        if let other = inputs.first(where: { $0.artifact.shard!.count != count }) {
            throw ShardMergeError(description: "\(first.name) is a shard of \(count) but \(other.name) of \(other.artifact.shard!.count)")
        }
        let profile = first.artifact.profile?.sha256
        if let other = inputs.first(where: { $0.artifact.profile?.sha256 != profile }) {
            throw ShardMergeError(description: "\(first.name) and \(other.name) ran different profiles (SHA-256 \(profile ?? "none") and \(other.artifact.profile?.sha256 ?? "none"))")
        }
        var byIndex: [Int: Input] = [:]
        for input in inputs {
            let index = input.artifact.shard!.index
            if let earlier = byIndex[index] {
                throw ShardMergeError(description: "shard \(index) of \(count) is given twice: \(earlier.name) and \(input.name)")
            }
            byIndex[index] = input
        }
        let missing = (0..<count).filter { byIndex[$0] == nil }
        guard missing.isEmpty else {
            // A hostile count (100,000 shards claimed) would list most of them: the first ten say enough.
            let shown = missing.prefix(10).map(String.init).joined(separator: ", ")
            let list = missing.count > 10 ? "\(shown) and \(missing.count - 10) more" : shown
            throw ShardMergeError(description: "missing shard\(missing.count == 1 ? "" : "s") \(list) of \(count): every shard's folder is needed")
        }
        let shards = (0..<count).map { byIndex[$0]! }
        // The same profile gives every shard the same scenarios and steps; a folder edited by hand may not.
        let layout = shards[0].artifact.stepLayout
        if let other = shards.first(where: { $0.artifact.stepLayout != layout }) {
            throw ShardMergeError(description: "\(shards[0].name) and \(other.name) hold different scenarios or steps: the shards of one run hold the same")
        }
        let starts = shards.map(\.artifact.startedAt)
        let spread = starts.max()!.timeIntervalSince(starts.min()!)
        guard RunArtifact.plausibleSeconds.contains(spread) else {
            throw ShardMergeError(description: "the shards started \(Int(spread)) s apart: the shards of one run start together")
        }
        return shards
    }

    /// The run the shards make together. Validity holds when every shard's does (reasons are prefixed
    /// by their shard); the status is the worst shard's; thresholds are the (shared) recorded ones.
    public static func artifact(of shards: [Input]) -> RunArtifact {
        let artifacts = shards.map(\.artifact)
        let first = artifacts[0]
        let seeds = Set(artifacts.map(\.seed))
        let earlyStop = artifacts.compactMap { artifact in
            artifact.earlyStop.map { EarlyStop(cause: $0.cause, reason: "shard \(artifact.shard!.index): \($0.reason)", at: $0.at) }
        }.min { $0.at < $1.at }
        return RunArtifact(
            tool: first.tool, profile: first.profile, host: first.host, gitSHA: first.gitSHA,
            startedAt: artifacts.map(\.startedAt).min()!, endedAt: artifacts.map(\.endedAt).max()!,
            status: artifacts.map(\.status).max { $0.severity < $1.severity }!, earlyStop: earlyStop,
            seed: seeds.count == 1 ? first.seed : nil, validity: validity(of: artifacts),
            scenarios: first.scenarios.indices.map { index in merged(artifacts.map { $0.scenarios[index] }) },
            thresholds: first.thresholds, startAt: first.startAt, overrides: first.overrides)
    }

    /// A shard's timeline whose intervals do not follow each other in time (a run writes them in order).
    public struct OutOfOrder: Error, Equatable {
        /// Index of the shard in the list given.
        public var shard: Int
        /// The interval's start, in seconds after its shard's.
        public var start: Double
    }

    /// The shards' timelines on one wall clock: each shard's intervals are shifted by how much later
    /// than the earliest shard it started (rounded to whole intervals), and those that fall on the same
    /// second are merged. Shard `i` hands its intervals over in order from `next(i)`, and each merged
    /// one goes to `write` as soon as every shard is past it, so that only one interval per shard is
    /// held (a day's run holds tens of thousands, each with its histograms).
    public static func mergeTimelines(startedAt: [Date], next: (Int) throws -> TimelineInterval?,
                                      write: (TimelineInterval) throws -> Void) throws {
        guard let start = startedAt.min() else { return }
        let shifts = startedAt.map { $0.timeIntervalSince(start).rounded() }
        func shifted(_ interval: TimelineInterval?, _ shard: Int) -> TimelineInterval? {
            guard var interval else { return nil }
            interval.start += shifts[shard]
            return interval
        }
        var heads: [TimelineInterval?] = []
        for shard in startedAt.indices { heads.append(shifted(try next(shard), shard)) }
        while let at = heads.compactMap({ $0?.start }).min() {
            var into: TimelineInterval?
            for shard in heads.indices {
                while let head = heads[shard], head.start <= at {
                    if var merged = into {
                        merged.duration = max(merged.duration, head.duration)
                        merged.partial = merged.partial || head.partial
                        merged.steps = mergedSteps(merged.steps + head.steps)
                        into = merged
                    } else {
                        into = head
                    }
                    heads[shard] = shifted(try next(shard), shard)
                    if let following = heads[shard], following.start < at {
                        throw OutOfOrder(shard: shard, start: following.start - shifts[shard])
                    }
                }
            }
            if let into { try write(into) }
        }
    }

    private static func validity(of artifacts: [RunArtifact]) -> Validity {
        func prefixed(_ artifact: RunArtifact, _ text: String) -> String { "shard \(artifact.shard!.index): \(text)" }
        return Validity(
            valid: artifacts.allSatisfy(\.validity.valid),
            reasons: artifacts.flatMap { artifact in artifact.validity.reasons.map { prefixed(artifact, $0) } },
            generatorBound: artifacts.compactMap { artifact in artifact.validity.generatorBound.map { prefixed(artifact, $0) } }.first)
    }

    /// One scenario over all shards (same profile, so the same scenarios and steps in the same order).
    static func merged(_ parts: [ScenarioResult]) -> ScenarioResult {
        let rates = parts.compactMap(\.askedRate)
        return ScenarioResult(
            name: parts[0].name, kind: parts[0].kind, iterations: parts.reduce(0) { $0.addingSaturated($1.iterations) },
            askedRate: rates.isEmpty ? nil : rates.reduce(0, +),
            // The shards ran the same schedule side by side: their requests add up over one schedule.
            rateSeconds: parts.compactMap(\.rateSeconds).max(),
            steps: parts[0].steps.indices.map { index in merged(parts.map { $0.steps[index] }) })
    }

    /// One step over all shards: histograms merged, counters, statuses and errors summed (an error keeps
    /// the first shard's example).
    static func merged(_ parts: [StepResult]) -> StepResult {
        var step = StepResult(name: parts[0].name)
        var errors: [String: ErrorTally] = [:]
        for part in parts {
            // Saturating: a run.json can claim any count.
            step.requests = step.requests.addingSaturated(part.requests)
            step.failures = step.failures.addingSaturated(part.failures)
            step.latency.merge(part.latency)
            step.service.merge(part.service)
            step.phases.merge(part.phases) { var sum = $0; sum.merge($1); return sum }
            step.counters.merge(part.counters) { $0.addingSaturated($1) }
            step.statuses.merge(part.statuses) { $0.addingSaturated($1) }
            for error in part.errors {
                var tally = errors[error.label] ?? ErrorTally(label: error.label, count: 0, example: error.example)
                tally.count = tally.count.addingSaturated(error.count)
                errors[error.label] = tally
            }
        }
        // Most frequent first, as a run lists them.
        step.errors = errors.values.sorted { ($0.count, $1.label) > ($1.count, $0.label) }
        return step
    }

    /// Steps of one interval from several shards, merged per scenario and step, in first-seen order.
    private static func mergedSteps(_ steps: [IntervalStep]) -> [IntervalStep] {
        var order: [String] = []
        var byKey: [String: IntervalStep] = [:]
        for step in steps {
            let key = step.scenario + "\u{0}" + step.step
            guard var into = byKey[key] else {
                order.append(key)
                byKey[key] = step
                continue
            }
            into.requests = into.requests.addingSaturated(step.requests)
            into.failures = into.failures.addingSaturated(step.failures)
            into.latency.merge(step.latency)
            if let service = step.service {
                into.service = into.service.map { var sum = $0; sum.merge(service); return sum } ?? service
            }
            if let asked = step.asked { into.asked = (into.asked ?? 0) + asked }
            byKey[key] = into
        }
        return order.map { byKey[$0]! }
    }
}

private extension RunArtifact {
    /// Each scenario's name with its steps' names, in order.
    var stepLayout: [[String]] {
        scenarios.map { [$0.name] + $0.steps.map(\.name) }
    }
}

extension RunStatus {
    /// Which shard's status a merged run takes: the one that ran least of its plan.
    var severity: Int {
        switch self {
        case .completed: 0
        case .stoppedEarly: 1
        case .interrupted: 2
        // A shard killed after a checkpoint: its figures stop there.
        case .running: 3
        case .failed: 4
        }
    }
}

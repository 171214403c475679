import StrainContract

/// The generator's check of its own measurements: a run it cannot trust is marked invalid, with the
/// reasons, rather than reported with confident wrong numbers. Pure: the coordinator gathers the inputs.
struct SelfCheck {
    /// A worker thread busy this share of the wall time was saturated: requests waited for it.
    static let saturatedBusyShare = 0.95
    /// In a closed loop without think time a worker waits for the target or works for itself: busy this
    /// share of the time, the loop turns at the generator's pace, not the target's.
    static let generatorBoundBusyShare = 0.7
    /// 99% of iterations must start within this of their schedule (when a connection was free)…
    static let lagBound: UInt64 = 10_000
    /// …unless fewer than this many were later: a few hiccups of a busy machine in a short run do not
    /// mean the generator could not keep up (their latency still includes the lag).
    static let lateIterationsTolerated: UInt64 = 10
    /// Runs shorter than this have no busy share judged: in a few milliseconds a worker's start (its
    /// first connections, its first page faults) is most of its time, saturated or not.
    static let shortestRunJudgedBusy = 1.0

    /// Per worker, its thread's CPU time over the run's wall time; none for a run too short to judge.
    static func busyShares(cpuMicros: [Int: UInt64], wallSeconds: Double) -> [Int: Double] {
        wallSeconds < shortestRunJudgedBusy ? [:] : cpuMicros.mapValues { Double($0) / 1e6 / wallSeconds }
    }

    /// What a closed-model scenario asked for and got.
    struct Connections {
        let scenario: String
        let asked: UInt64
        let established: UInt64
    }

    /// - Parameters:
    ///   - busyShares: per worker, CPU time of its thread divided by the run's wall time.
    ///   - schedulerLag: how late iterations started versus their schedule, all scenarios together.
    ///   - connections: scenarios where every connection should have been opened.
    ///   - closedLoop: a closed-model scenario without think time ran, whose throughput is set by how fast
    ///     both sides turn requests around.
    static func validity(busyShares: [Int: Double], schedulerLag: Histogram, connections: [Connections],
                         closedLoop: Bool = false) -> Validity {
        var reasons: [String] = []
        for (worker, share) in busyShares.sorted(by: { $0.key < $1.key }) where share >= saturatedBusyShare {
            reasons.append("worker \(worker) was busy \(Int((share * 100).rounded()))% of the time: the generator's CPU was saturated, so requests waited for it")
        }
        let lag = schedulerLag.percentile(99)
        let count = schedulerLag.count
        // The value `lateIterationsTolerated` from the top: above the bound means more were late.
        let tolerated = count > lateIterationsTolerated
            ? schedulerLag.percentile(100 * Double(count - lateIterationsTolerated) / Double(count)) : 0
        if lag > lagBound, tolerated > lagBound {
            reasons.append("the scheduler started iterations late: 99th percentile \(Milliseconds.text(lag)) behind schedule (bound \(Milliseconds.text(lagBound)))")
        }
        for scenario in connections where scenario.established < scenario.asked {
            reasons.append("scenario \"\(scenario.scenario)\": only \(scenario.established) of \(scenario.asked) connections were established")
        }
        var generatorBound: String?
        if closedLoop, let (worker, share) = busyShares.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }),
           share >= generatorBoundBusyShare, share < saturatedBusyShare {
            generatorBound = "generator-bound: worker \(worker) was busy \(Int((share * 100).rounded()))% of the time in a "
                + "closed-model run, so the throughput is what this generator could drive, not what the target can serve "
                + "(add workers or generator machines, or ask for a rate with the open model)"
        }
        return Validity(valid: reasons.isEmpty, reasons: reasons, generatorBound: generatorBound)
    }
}

/// Durations in µs as short readable text: "850µs", "12.4ms", "1.82s".
enum Milliseconds {
    static func text(_ micros: UInt64) -> String {
        switch micros {
        case ..<1_000: return "\(micros)µs"
        case ..<10_000: return String(format: "%.2fms", Double(micros) / 1_000)
        case ..<1_000_000: return String(format: "%.1fms", Double(micros) / 1_000)
        default: return String(format: "%.2fs", Double(micros) / 1_000_000)
        }
    }
}

/// One worker's measurements over one interval of the run, handed over at each 1 s boundary.
public struct WorkerReport: Sendable {
    public let worker: Int
    /// The interval covers seconds [interval, interval + 1) of the run; a final one may end earlier.
    public let interval: Int
    /// Where the span covered ends (µs on the run clock).
    public let end: UInt64
    /// The worker sends nothing after this report.
    public let isFinal: Bool
    /// CPU time the worker's thread used during the span.
    public let cpuMicros: UInt64
    /// Tallies by run-wide step number (`LoadLayout.stepNumber`).
    public let steps: [Int: StepTally]
    /// Iterations that ran all their steps, by scenario index.
    public let iterations: [Int: UInt64]
}

/// One interval with every worker's report merged.
struct MergedInterval: Sendable {
    let index: Int
    var end: UInt64 = 0
    var steps: [Int: StepTally] = [:]
    var iterations: [Int: UInt64] = [:]
    /// CPU time per worker during the interval.
    var cpuMicros: [Int: UInt64] = [:]
    /// Requests sent per worker and step number (not those refused before sending).
    var sentByWorker: [Int: [Int: UInt64]] = [:]

    init(index: Int, reports: [WorkerReport] = []) {
        self.index = index
        for report in reports { add(report) }
    }

    /// Where the interval begins, µs on the run clock.
    var start: UInt64 { UInt64(index) * intervalMicros }

    /// Seconds the interval covers.
    var duration: Double {
        Double(end &- min(end, start)) / 1_000_000
    }

    /// The run ended inside the interval, so it covers less than a whole one.
    var isPartial: Bool {
        end < UInt64(index + 1) * intervalMicros
    }

    mutating func add(_ report: WorkerReport) {
        end = max(end, report.end)
        for (step, tally) in report.steps {
            if steps[step] == nil { steps[step] = tally } else { steps[step]!.merge(tally) }
            sentByWorker[report.worker, default: [:]][step, default: 0] += tally.requests - tally.count(of: .notSent)
        }
        iterations.merge(report.iterations, uniquingKeysWith: +)
        cpuMicros[report.worker, default: 0] += report.cpuMicros
    }
}

/// Interval length: the timeline's resolution and how often workers hand over their tallies.
let intervalMicros: UInt64 = 1_000_000

/// Gathers workers' reports and releases each interval once every worker still running has reported
/// it, in order. Pure bookkeeping; `RunControl` guards it with a lock. Reports are kept as they came
/// and merged only when taken: merging histograms under the lock, on a worker's thread, kept that
/// worker from reading responses at every second's boundary — where constant-rate arrivals fall —
/// and added the merge's time to what it measured.
struct IntervalMerger: Sendable {
    private let workers: Int
    private var pending: [Int: [WorkerReport]] = [:]
    private var reported: [Int: Set<Int>] = [:]
    /// The interval of each worker's final report, once sent.
    private var finalInterval: [Int: Int] = [:]
    /// The latest interval each worker reported.
    private var latestInterval: [Int: Int] = [:]
    private var nextToRelease = 0

    init(workers: Int) {
        self.workers = workers
    }

    mutating func add(_ report: WorkerReport) {
        pending[report.interval, default: []].append(report)
        reported[report.interval, default: []].insert(report.worker)
        latestInterval[report.worker] = max(latestInterval[report.worker] ?? 0, report.interval)
        if report.isFinal { finalInterval[report.worker] = report.interval }
    }

    /// Ends a worker that stopped without its final report (it failed before it could run): an empty
    /// final report right after its last one.
    mutating func finish(worker: Int) {
        guard finalInterval[worker] == nil else { return }
        let interval = latestInterval[worker].map { $0 + 1 } ?? 0
        add(WorkerReport(worker: worker, interval: interval, end: UInt64(interval) * intervalMicros, isFinal: true,
                         cpuMicros: 0, steps: [:], iterations: [:]))
    }

    /// Every worker has sent its final report.
    var allFinished: Bool {
        finalInterval.count == workers
    }

    /// The intervals now complete, oldest first, with their reports unmerged; each is returned once.
    mutating func takeCompleteReports() -> [(index: Int, reports: [WorkerReport])] {
        var complete: [(index: Int, reports: [WorkerReport])] = []
        while isComplete(nextToRelease) {
            complete.append((nextToRelease, pending.removeValue(forKey: nextToRelease) ?? []))
            reported[nextToRelease] = nil
            nextToRelease += 1
        }
        return complete
    }

    /// The intervals now complete, oldest first, merged; each is returned once.
    mutating func takeComplete() -> [MergedInterval] {
        takeCompleteReports().map { MergedInterval(index: $0.index, reports: $0.reports) }
    }

    private func isComplete(_ interval: Int) -> Bool {
        let reporters = reported[interval] ?? []
        // Nothing left to release once every worker finished before this interval.
        if allFinished, finalInterval.values.allSatisfy({ $0 < interval }) { return false }
        return (0..<workers).allSatisfy { worker in
            reporters.contains(worker) || (finalInterval[worker].map { $0 < interval } ?? false)
        }
    }
}

import Foundation

/// Bounds the checks apply that a user may want to change.
public struct CheckOptions: Codable, Sendable, Equatable {
    /// Sessions idle in a transaction for longer than this are reported as likely leaks.
    public var idleInTransactionAfterSeconds: Double

    public init(idleInTransactionAfterSeconds: Double = 5) {
        self.idleInTransactionAfterSeconds = idleInTransactionAfterSeconds
    }
}

/// What every check reads: the evidence, the load (when the diagnosis ran alongside one), the
/// options, and figures derived once for all checks.
struct CheckInput {
    let evidence: Evidence
    let load: LoadContext?
    let options: CheckOptions
    /// pg_stat_statements from the first snapshot to the last; nil without two snapshots.
    let statements: StatementWindow?
    /// Statement calls and endpoint requests second by second, or between consecutive snapshots in
    /// evidence without per-second reads (empty without the load's per-interval counts).
    let activityIntervals: [ActivityInterval]
    /// The statements run many times per request (N+1s and repeated lookups) in the window.
    let repeatedStatements: [NPlusOne]
    /// Where each HTTP endpoint's request time went (`RequestBreakdown.all`). Derived once: it sets
    /// every statement's calls against every endpoint's requests second by second, which several
    /// checks read.
    private(set) var requestBreakdowns: [RequestBreakdown] = []
    /// Sessions left idle in a transaction, by the code path that leaves them, and the endpoints
    /// that waited for the connections they took (step 3 counts that wait, step 5 leaves it).
    private(set) var transactionLeaks: [TransactionLeak] = []

    init(evidence: Evidence, load: LoadContext?, options: CheckOptions) {
        self.evidence = evidence
        self.load = load.flatMap { $0.requests > 0 ? $0 : nil }
        self.options = options
        if let snapshots = evidence.postgres?.statementSnapshots, let first = snapshots.first, let last = snapshots.last,
           snapshots.count >= 2 {
            statements = StatementWindow(from: first, to: last)
        } else {
            statements = nil
        }
        if let postgres = evidence.postgres, let requests = self.load?.requestIntervals {
            if let calls = postgres.statementCalls, !calls.isEmpty {
                activityIntervals = EndpointAttribution.intervals(calls: calls, requests: requests)
            } else {
                activityIntervals = EndpointAttribution.intervals(snapshots: postgres.statementSnapshots, requests: requests)
            }
        } else {
            activityIntervals = []
        }
        if let window = statements {
            repeatedStatements = NPlusOneDetector.detect(in: window.statements, load: self.load, intervals: activityIntervals,
                                                         activity: evidence.postgres?.activity ?? [],
                                                         occupancy: evidence.postgres?.statementOccupancy ?? [])
        } else {
            repeatedStatements = []
        }
        requestBreakdowns = RequestBreakdown.all(self)
        if let postgres = evidence.postgres {
            transactionLeaks = TransactionLeak.all(postgres, bound: options.idleInTransactionAfterSeconds,
                                                   statements: statements?.statements.filter(\.toplevel) ?? [], load: self.load,
                                                   intervals: activityIntervals)
            TransactionLeak.charge(&transactionLeaks, to: &requestBreakdowns)
        }
    }

    /// The impact of `seconds` attributable over the window, per request and as a share of the
    /// measured request time when the load is known. Per request means per request of the endpoints
    /// concerned (`endpoints`, by name); when the check cannot name them, of every endpoint if the
    /// load was of one kind, and not stated if it mixed HTTP and SQL: an HTTP request and a SQL
    /// statement are not units of one average.
    func impact(seconds: Double, endpoints names: [String]? = nil) -> Finding.Impact {
        guard let load else { return Finding.Impact(totalSeconds: seconds) }
        let concerned = names.map { names in load.endpoints.filter { names.contains($0.name) } }
            ?? (Set(load.endpoints.map(\.kind)).count == 1 ? load.endpoints : [])
        let requests = concerned.reduce(0) { $0 + $1.requests }
        return Finding.Impact(totalSeconds: seconds, perRequestSeconds: requests > 0 ? seconds / Double(requests) : nil,
                              share: load.requestSeconds > 0 ? min(1, seconds / load.requestSeconds) : nil)
    }

    /// Request time spent on this host's own resources (CPU, memory, disks): all of it but what a
    /// stall here does not lengthen — waits for a slow dependency elsewhere, and waits inside the
    /// service off the CPU (its own pool, a lock, a sleep: step 5's waiting endpoints, whose time
    /// the service's CPU clock says is not spent running; connections a leak took). Nil without a load.
    var hostBoundRequestSeconds: Double? {
        guard let load else { return nil }
        let offHost = requestBreakdowns.reduce(0) { total, breakdown in
            let waitingInside = breakdown.computing == false && !breakdown.hostBound ? breakdown.unexplained : 0
            return total + (breakdown.dependencySeconds + breakdown.leakWait + waitingInside) * Double(breakdown.requests)
        }
        return max(0, load.totalSeconds - offHost)
    }

    /// Request time spent in this service and its database, waits inside the service included: all
    /// of it but the time requests waited for a slow dependency elsewhere. What a leaked connection
    /// can cost, since requests wait for it in the service's own pool. Nil without a load.
    var requestSecondsOutsideDependencies: Double? {
        guard let load else { return nil }
        let dependencyWaits = requestBreakdowns.reduce(0) { $0 + $1.dependencySeconds * Double($1.requests) }
        return max(0, load.requestSeconds - dependencyWaits)
    }

    /// Severity from the share of measured request time a problem takes, for problems that are
    /// real whatever their size (a missing index, an N+1): critical from a quarter.
    func severity(forProblemTaking share: Double?) -> Finding.Severity {
        (share ?? 0) >= 0.25 ? .critical : .warning
    }
}

/// One check's output: its findings and a sentence on what it looked at.
struct CheckResult {
    var findings: [Finding]
    var summary: String
}

/// Numbers as the report prints them.
enum Format {
    /// "340 µs", "12.3 ms", "1.52 s", "2 min 5 s".
    static func duration(_ seconds: Double) -> String {
        switch seconds {
        case ..<0.001: "\(significant(seconds * 1_000_000)) µs"
        case ..<1: "\(significant(seconds * 1000)) ms"
        case ..<120: "\(significant(seconds)) s"
        // Beyond a century (only a hostile or corrupt evidence file says so), and NaN: no Int can overflow.
        case ..<3.2e9: "\(Int(seconds) / 60) min \(Int(seconds) % 60) s"
        default: String(format: "%.3g s", seconds)
        }
    }

    /// "12.3%", and "<0.1%" for a share too small to show.
    static func percent(_ share: Double) -> String {
        share > 0 && share < 0.001 ? "<0.1%" : "\(significant(share * 100))%"
    }

    /// Three significant digits at most, without trailing zeros: 1234 → "1234", 12.345 → "12.3".
    static func significant(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        let magnitude = abs(value)
        let decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// "12,345,678" for a count read from a plan or evidence as a number: rounded, and past what an
    /// Int64 holds (only a hostile or corrupt file says so) in exponent notation.
    static func count(_ value: Double) -> String {
        abs(value) < 9.2e18 ? count(Int64(value.rounded())) : String(format: "%.3g", value)
    }

    /// "12,345,678".
    static func count<Number: BinaryInteger>(_ value: Number) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    /// "1.5 GiB", "320 MiB", "12 KiB".
    static func bytes(_ value: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var scaled = value
        var unit = 0
        while scaled >= 1024 && unit < units.count - 1 {
            scaled /= 1024
            unit += 1
        }
        return "\(significant(scaled)) \(units[unit])"
    }
}

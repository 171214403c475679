import Foundation

/// The rule that produced a finding: one case per rule of the diagnoser, its raw value the stable
/// identifier written as `check` in `diagnosis.json` and shown in every report. The ids are the
/// contract with files already written and with CI reading them, so a raw value never changes.
public enum CheckID: String, Codable, CaseIterable, Sendable, Comparable, CustomStringConvertible {
    // Step 1: metrics.
    case cpuSaturation = "cpu-saturation"
    case memoryPressure = "memory-pressure"
    case diskSaturation = "disk-saturation"
    case tcpRetransmits = "tcp-retransmits"
    case listenOverflows = "listen-overflows"
    case interfaceErrors = "interface-errors"
    // Step 2: slow queries.
    case nPlusOne = "n-plus-one"
    case repeatedLookup = "repeated-lookup"
    case missingIndex = "missing-index"
    case seqScan = "seq-scan"
    case diskSpill = "disk-spill"
    case rowMisestimate = "row-misestimate"
    case lockBoundStatement = "lock-bound-statement"
    case topStatement = "top-statement"
    // Step 3: connection pools and locks.
    case connectionsNearLimit = "connections-near-limit"
    case idleInTransaction = "idle-in-transaction"
    case deadlocks
    case lockContention = "lock-contention"
    case pgbouncerWait = "pgbouncer-wait"
    case poolWait = "pool-wait"
    // Step 4: dependencies and the network between client and service.
    case dependencyErrors = "dependency-errors"
    case slowDependency = "slow-dependency"
    case smallWriteStall = "small-write-stall"
    // Step 5: the code.
    case hotFrames = "hot-frames"
    case waitingInsideService = "waiting-inside-service"
    case profileTheCode = "profile-the-code"

    /// The id as written and shown, so that interpolating a check prints "seq-scan", never the case name.
    public var description: String { rawValue }

    /// By id, as the ranking breaks ties: the order stays that of the names, whatever the cases' order.
    public static func < (lhs: CheckID, rhs: CheckID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// A file naming a check this build does not know (a newer Strain's, or written by hand) is
    /// refused with an error naming the id — escaped and cut short, the file is anyone's — and the
    /// ids this build knows.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let id = try container.decode(String.self)
        guard let check = CheckID(rawValue: id) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "unknown check \(String(id.prefix(80)).debugDescription); this build knows "
                    + CheckID.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = check
    }
}

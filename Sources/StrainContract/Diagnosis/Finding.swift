import Foundation

/// One thing the diagnoser found: what, where, the numbers behind it, what it costs and the fix.
/// Findings are the diagnoser's output and the renderers' input (StrainReport), so this type is the
/// contract between the two; `Diagnosis` is written as `diagnosis.json` next to the run artifact.
public struct Finding: Codable, Sendable, Equatable {
    /// The five-step latency checklist, in the order it is walked.
    public enum Step: Int, Codable, Sendable, Comparable, CaseIterable {
        case metrics = 1, slowQueries, connectionPools, dependencies, profile

        public var title: String {
            switch self {
            case .metrics: "Metrics: CPU, memory, I/O, network"
            case .slowQueries: "Slow queries"
            case .connectionPools: "Connection pools"
            case .dependencies: "External dependencies"
            case .profile: "Profile the code"
            }
        }

        public static func < (lhs: Step, rhs: Step) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public enum Severity: String, Codable, Sendable, Comparable, CaseIterable {
        case info, warning, critical

        private var order: Int { Severity.allCases.firstIndex(of: self)! }
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.order < rhs.order }
    }

    /// What the finding costs. Ranking uses `totalSeconds`: time attributable over the observed
    /// window, so a 10 ms query called 1000 times outranks a 500 ms query called once.
    public struct Impact: Codable, Sendable, Equatable {
        /// Time attributable to this finding during the window, in seconds (summed over calls).
        public var totalSeconds: Double
        /// Time it adds to an average request, in seconds, when requests are known.
        public var perRequestSeconds: Double?
        /// Share (0…1) of the total measured request time, when known.
        public var share: Double?

        public init(totalSeconds: Double, perRequestSeconds: Double? = nil, share: Double? = nil) {
            self.totalSeconds = totalSeconds
            self.perRequestSeconds = perRequestSeconds
            self.share = share
        }

        private enum CodingKeys: String, CodingKey {
            case totalSeconds, perRequestSeconds, share
        }

        /// 31,700 years: a file claiming more is corrupt or hostile, and no renderer has to cope with it.
        static let maxSeconds = 1e12

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func value(_ key: CodingKeys, upTo maximum: Double) throws -> Double? {
                guard let number = try container.decodeIfPresent(Double.self, forKey: key) else { return nil }
                guard number.isFinite, (0...maximum).contains(number) else {
                    throw DecodingError.dataCorruptedError(forKey: key, in: container,
                                                           debugDescription: "expected 0 to \(maximum), found \(number)")
                }
                return number
            }
            guard let total = try value(.totalSeconds, upTo: Self.maxSeconds) else {
                throw DecodingError.keyNotFound(CodingKeys.totalSeconds, .init(codingPath: container.codingPath,
                                                                               debugDescription: "missing totalSeconds"))
            }
            self.init(totalSeconds: total, perRequestSeconds: try value(.perRequestSeconds, upTo: Self.maxSeconds),
                      share: try value(.share, upTo: .greatestFiniteMagnitude))
        }
    }

    public var step: Step
    /// The rule that produced it; written as its stable id, e.g. "seq-scan", "n-plus-one".
    public var check: CheckID
    public var title: String
    /// The object: `orders(customer_email)`, a statement, an endpoint, a dependency, a resource.
    public var object: String
    /// The numbers behind it, one fact per line.
    public var evidence: [String]
    public var impact: Impact
    public var severity: Severity
    /// A concrete fix (for a missing index, the exact statement).
    public var fix: String

    public init(step: Step, check: CheckID, title: String, object: String, evidence: [String],
                impact: Impact, severity: Severity, fix: String) {
        self.step = step
        self.check = check
        self.title = title
        self.object = object
        self.evidence = evidence
        self.impact = impact
        self.severity = severity
        self.fix = fix
    }
}

/// The diagnoser's report: ranked findings plus what each checklist step looked at.
public struct Diagnosis: Codable, Sendable, Equatable {
    public static let formatVersion = 1

    /// What a checklist step did: which evidence it had, and why it was skipped if it was.
    public struct StepNote: Codable, Sendable, Equatable {
        public var step: Finding.Step
        public var summary: String

        public init(step: Finding.Step, summary: String) {
            self.step = step
            self.summary = summary
        }
    }

    public var format: Int
    public var startedAt: Date
    public var endedAt: Date
    /// Requests the load made during the window, when the diagnosis ran alongside `strain run`.
    public var requests: UInt64?
    /// What the ranking's request time comes from (the load driver, an access log), or why there
    /// was none and what the findings were ranked on instead. Absent in diagnoses written before it.
    public var rankingBasis: String?
    /// Ranked, most impactful first.
    public var findings: [Finding]
    public var notes: [StepNote]

    public init(format: Int = Diagnosis.formatVersion, startedAt: Date, endedAt: Date, requests: UInt64?,
                rankingBasis: String? = nil, findings: [Finding], notes: [StepNote]) {
        self.format = format
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.requests = requests
        self.rankingBasis = rankingBasis
        self.findings = findings
        self.notes = notes
    }
}

extension Diagnosis {
    /// Decodes one refusing a window that ends before it starts (a hand-edited file): its rates
    /// and durations would be negative, as `Evidence.problem` refuses for an evidence file.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decode(Int.self, forKey: .format)
        startedAt = try container.decode(Date.self, forKey: .startedAt)
        endedAt = try container.decode(Date.self, forKey: .endedAt)
        guard endedAt >= startedAt else {
            throw DecodingError.dataCorruptedError(forKey: .endedAt, in: container, debugDescription:
                "\(JSONFormat.text(of: endedAt)) is before startedAt (\(JSONFormat.text(of: startedAt)))")
        }
        requests = try container.decodeIfPresent(UInt64.self, forKey: .requests)
        rankingBasis = try container.decodeIfPresent(String.self, forKey: .rankingBasis)
        findings = try container.decode([Finding].self, forKey: .findings)
        notes = try container.decode([StepNote].self, forKey: .notes)
    }
}

import Foundation
import StrainContract

/// A validated profile: everything a run needs, with defaults applied, files checked and every `${…}`
/// resolved to a known name. Built only by `ProfileLoader`; see `profiles/strain.schema.json` for the format.
public struct Profile: Sendable, Equatable {
    public let name: String
    public let description: String?
    public let target: Target
    public let defaults: Defaults
    public let feeders: [Feeder]
    /// The top-level `load`, shared by weight among the scenarios that have none of their own.
    public let sharedLoad: Load?
    public let scenarios: [Scenario]
    public let thresholds: [Threshold]
    public let diagnose: DiagnoseOptions?
    public let source: ProfileSource
}

extension Profile {
    /// The name as one safe path component, for the report folder: ASCII letters, digits, `-`, `_` and `.`
    /// kept, anything else (`/`, spaces, other characters) written as `-`, no leading `.` or `-` (so never
    /// `..` or a hidden folder), at most 64 characters; "profile" if nothing is left.
    public var folderName: String {
        let safe = String(String.UnicodeScalarView(name.unicodeScalars.map { scalar in
            scalar.isASCIILetterOrDigit || "-_.".unicodeScalars.contains(scalar) ? scalar : "-"
        }))
        let trimmed = safe.drop { $0 == "." || $0 == "-" }.prefix(64)
        return trimmed.isEmpty ? "profile" : String(trimmed)
    }
}

/// Where HTTP load may go.
public struct Target: Sendable, Equatable {
    /// Prefix for steps written with `path`; nil when every step has an absolute `url` (or none is HTTP).
    public let baseURL: URL?
    /// Hosts load may be sent to, lowercased, IPv6 without brackets. Defaults to the base URL's host;
    /// every step URL's host was checked against it.
    public let allowedHosts: [String]
    public let httpVersion: HTTPVersion
    public let tls: TLSOptions
    /// How many redirects a request follows; 0 reports the 3xx response itself.
    public let maxRedirects: Int
    /// Each iteration keeps the cookies responses set and sends them back on its later requests (k6's
    /// per-virtual-user jar, emptied when an iteration starts). On by default, as in k6.
    public let cookies: Bool
    /// Ask for compressed responses (`Accept-Encoding`) and decode them; nil asks for none.
    public let compression: Compression?

    public init(baseURL: URL?, allowedHosts: [String], httpVersion: HTTPVersion, tls: TLSOptions, maxRedirects: Int,
                cookies: Bool = true, compression: Compression? = nil) {
        self.baseURL = baseURL
        self.allowedHosts = allowedHosts
        self.httpVersion = httpVersion
        self.tls = tls
        self.maxRedirects = maxRedirects
        self.cookies = cookies
        self.compression = compression
    }

    /// Whether load may go to `host` (any case; IPv6 with or without brackets).
    public func allows(host: String) -> Bool {
        allowedHosts.contains(ProfileDecoder.normalizedHost(host))
    }
}

/// `target.compression`: the content codings asked for; `all` is every one libcurl decodes.
public enum Compression: String, Sendable, CaseIterable {
    case gzip, deflate, br, zstd, all
}

public enum HTTPVersion: String, Sendable, CaseIterable {
    case http1_1 = "1.1"
    /// HTTP/2 over TLS, negotiated with ALPN.
    case http2 = "2"
    /// HTTP/2 over cleartext TCP ("prior knowledge").
    case h2c
}

public struct TLSOptions: Sendable, Equatable {
    /// A PEM file of CA certificates to trust instead of the system store.
    public let caFile: URL?
    /// Skip certificate verification (self-signed staging certificates).
    public let insecure: Bool
}

public struct Defaults: Sendable, Equatable {
    /// Per-request timeout unless a step sets its own.
    public let timeout: TimeSpan
    /// Sent with every HTTP request unless a step sets a header of the same name (already merged into steps).
    public let headers: [Header]
    /// Pause after each step unless the scenario's load sets `thinkTime` (already resolved into scenarios).
    public let thinkTime: TimeSpan
    /// The most of an HTTP response body kept for checks and extraction, unless a step sets its own.
    public let maxBodyBytes: Int
}

public struct Header: Sendable, Equatable {
    public let name: String
    public let value: Template
}

/// A CSV file whose rows feed `${feeder.column}` references.
public struct Feeder: Sendable, Equatable {
    public let name: String
    /// Absolute; the profile names it relative to its own folder.
    public let file: URL
    public let mode: FeederMode
    /// The header row.
    public let columns: [String]
}

public enum FeederMode: String, Sendable, CaseIterable {
    /// Rows in file order, starting over at the end.
    case sequential
    /// A uniformly random row per iteration.
    case random
    /// Each row at most once; the scenario stops when the rows run out.
    case unique
}

public struct Scenario: Sendable, Equatable {
    public let name: String
    /// Relative share of the profile's shared load; 1 for scenarios with a load of their own.
    public let weight: Int
    /// Whether `load` is this scenario's share of `Profile.sharedLoad` rather than its own.
    public let sharesProfileLoad: Bool
    /// Present for PostgreSQL scenarios.
    public let postgres: PostgresOptions?
    public let load: Load
    /// Pause after each step (and, in the closed model, before a connection's next iteration).
    public let thinkTime: TimeSpan
    public let steps: [Step]

    public var kind: ScenarioKind {
        postgres == nil ? .http : .postgres
    }
}

public struct PostgresOptions: Sendable, Equatable {
    /// A libpq connection string or URI; typically `${env.NAME}` so credentials stay out of the profile.
    public let conninfo: Template
    /// Database connections the scenario's iterations share.
    public let pool: Int
    public let queryProtocol: QueryProtocol
    /// Queries in flight per connection in libpq pipeline mode; nil runs one query at a time.
    public let pipelineDepth: Int?
}

public enum QueryProtocol: String, Sendable, CaseIterable {
    /// Prepare each statement once per connection, then execute it with parameters.
    case prepared
    /// Parse, bind and execute unnamed statements every time.
    case extended
    /// Plain query strings, parameters substituted as literals (like pgbench -M simple).
    case simple
}

/// How iterations of a scenario arrive.
public enum Load: Sendable, Equatable {
    /// New iterations start on a schedule, whether or not earlier ones have finished.
    case open(OpenLoad)
    /// A fixed number of connections each run iterations back to back.
    case closed(ClosedLoad)
}

/// The `model` a load is written with.
public enum LoadModel: String, Sendable, CaseIterable {
    case open
    case closed
}

public struct OpenLoad: Sendable, Equatable {
    /// The rate at time zero; a constant rate is `start == stages[0].target` over one stage.
    public let start: Rate
    /// Linear ramps, each from the previous stage's target (or `start`) to its own.
    public let stages: [Stage]
    public let arrival: Arrival
    /// At most this many requests in flight; arrivals beyond it are counted as not sent, never dropped silently.
    public let maxConnections: Int

    public var duration: TimeSpan {
        stages.reduce(.zero) { $0 + $1.duration }
    }

    /// The arrivals the schedule asks for: the area under its rate, each stage a linear ramp.
    public var arrivals: Double {
        var total = 0.0
        var from = start
        for stage in stages {
            total += (from.perSecond + stage.target.perSecond) / 2 * stage.duration.seconds
            from = stage.target
        }
        return total
    }
}

public struct Stage: Sendable, Equatable {
    public let target: Rate
    public let duration: TimeSpan
}

public enum Arrival: String, Sendable, CaseIterable {
    /// Evenly spaced arrivals.
    case constant
    /// Exponentially distributed gaps with the same mean rate.
    case poisson
}

public struct ClosedLoad: Sendable, Equatable {
    public let connections: Int
    public let bound: ClosedBound
}

public enum ClosedBound: Sendable, Equatable {
    case duration(TimeSpan)
    /// Iterations across all connections together.
    case iterations(Int)
}

public struct Step: Sendable, Equatable {
    /// Unique within the scenario; defaults to "METHOD path" or the first words of the SQL.
    public let name: String
    public let action: Action
    public let timeout: TimeSpan
    /// HTTP: the most of the response body kept for checks and extraction; a longer body is still
    /// read to its end, and checked on its first `maxBodyBytes` (the outcome says it was cut).
    public let maxBodyBytes: Int
    public let extract: [Extraction]
    public let check: Check

    public enum Action: Sendable, Equatable {
        case http(HTTPRequest)
        case sql(SQLQuery)
    }
}

public struct HTTPRequest: Sendable, Equatable {
    public let method: String
    /// Absolute, with the base URL already applied to `path` steps.
    public let url: Template
    /// The defaults' headers merged with the step's (the step wins, names compared case-insensitively);
    /// includes `Content-Type: application/json` for JSON bodies unless set.
    public let headers: [Header]
    public let body: Body?
}

public enum Body: Sendable, Equatable {
    case text(Template)
    /// Sent as JSON text.
    case json(JSONTemplate)
    /// Sent as is; the path was resolved against the profile's folder and exists.
    case file(URL)
}

public struct SQLQuery: Sendable, Equatable {
    /// Text with `$1`, `$2` … placeholders; never templated, so values cannot be spliced into SQL.
    public let sql: String
    /// One per placeholder.
    public let parameters: [Template]
}

/// A value a step stores in a variable for later steps of the same iteration.
public struct Extraction: Sendable, Equatable {
    public let variable: String
    public let source: Source

    public enum Source: Sendable, Equatable {
        /// From the JSON response body.
        case jsonPath(JSONPath)
        /// A response header, matched case-insensitively.
        case header(String)
        /// The first capture group (or the whole match) of a regular expression over the response body.
        case regex(String)
        /// A column of the first row a SQL step returns.
        case column(String)
    }
}

/// What a response must satisfy to count as a passed check.
public struct Check: Sendable, Equatable {
    /// Accepted HTTP statuses; nil accepts any status below 400.
    public let status: [Int]?
    public let bodyContains: Template?
    public let json: [JSONCheck]
    /// Exact number of rows a SQL step must return.
    public let rows: Int?
    /// Values the first row of a SQL step's result must hold, column by column.
    public let values: [ValueCheck]

    init(status: [Int]?, bodyContains: Template?, json: [JSONCheck], rows: Int?, values: [ValueCheck] = []) {
        self.status = status
        self.bodyContains = bodyContains
        self.json = json
        self.rows = rows
        self.values = values
    }

    public func accepts(status code: Int) -> Bool {
        status?.contains(code) ?? (code < 400)
    }
}

/// Column `column` of the first row a SQL step returns must read `expected` (after substituting its
/// references), compared as text the way PostgreSQL prints the value.
public struct ValueCheck: Sendable, Equatable {
    public let column: String
    public let expected: Template
}

/// The value at `path` in the JSON response must equal `expected` (after substituting its references).
public struct JSONCheck: Sendable, Equatable {
    public let path: JSONPath
    public let expected: JSONTemplate
}

/// What `strain diagnose` inspects besides the load's own measurements.
public struct DiagnoseOptions: Sendable, Equatable {
    /// Connection string for the database's statistics views.
    public let postgres: Template?
    /// A local process to profile once infrastructure causes are ruled out.
    public let pid: Int?
    /// Connection string for PgBouncer's admin console (`SHOW POOLS`).
    public let pgbouncer: Template?
    /// A Prometheus node-exporter endpoint, for host metrics of a remote machine.
    public let nodeExporter: URL?
    /// Downstream health endpoints to probe with the same per-phase timings.
    public let dependencies: [Dependency]
    /// Run `EXPLAIN ANALYZE` (SELECTs only, in a rolled-back transaction) instead of plain `EXPLAIN`.
    public let explainAnalyze: Bool
    /// Sessions idle in a transaction for longer than this are reported as likely leaks.
    public let idleInTransactionAfter: TimeSpan
}

public struct Dependency: Sendable, Equatable {
    public let name: String
    public let url: URL
}

/// The text a profile was read from, so a run artifact can record (and hash) exactly what ran.
public struct ProfileSource: Sendable, Equatable {
    /// The path as the user gave it (what errors name).
    public let path: String
    public let text: String
    /// The file's absolute path when it was read from one, so that a run records where its profile is
    /// from any folder (`verify` reruns it); nil for text made in memory (an ad-hoc run's).
    public let absolutePath: String?

    public init(path: String, text: String, absolutePath: String? = nil) {
        self.path = path
        self.text = text
        self.absolutePath = absolutePath
    }
}

extension Profile {
    /// What a run records of its profile: where it is and the hash of exactly what ran.
    public var info: ProfileInfo {
        ProfileInfo(name: name, path: source.absolutePath ?? source.path, sha256: SHA256.hexDigest(Array(source.text.utf8)))
    }
}

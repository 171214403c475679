import Foundation
import StrainProfile

/// What a `DiagnosisSession` observes, with every `${env.…}` already resolved.
public struct DiagnoseSettings: Sendable, Equatable {
    /// A downstream endpoint to probe.
    public struct DependencyTarget: Sendable, Equatable {
        public var name: String
        public var url: URL

        public init(name: String, url: URL) {
            self.name = name
            self.url = url
        }
    }

    /// libpq conninfo of the database to observe (its statistics views), or nil for none.
    public var postgres: String?
    /// libpq conninfo of PgBouncer's admin console (dbname=pgbouncer), for `SHOW POOLS` / `SHOW STATS`.
    public var pgbouncer: String?
    /// A local process to sample with `perf`.
    public var pid: Int32?
    /// Host metrics from a node exporter's /metrics instead of this machine's /proc.
    public var nodeExporter: URL?
    /// Sample this machine's /proc when there is no node exporter.
    public var collectLocalHost: Bool
    /// The load generator runs in this process on the observed host (`strain run`), so its own CPU is noted.
    public var generatorSharesHost: Bool
    public var dependencies: [DependencyTarget]
    /// `EXPLAIN ANALYZE` parameterless SELECTs in a rolled-back transaction instead of plain `EXPLAIN`.
    public var explainAnalyze: Bool
    public var idleInTransactionAfterSeconds: Double
    /// Seconds between samples of the host, `pg_stat_activity` and the dependencies.
    public var sampleInterval: Double

    public init(postgres: String? = nil, pgbouncer: String? = nil, pid: Int32? = nil, nodeExporter: URL? = nil, collectLocalHost: Bool = true,
                generatorSharesHost: Bool = false, dependencies: [DependencyTarget] = [], explainAnalyze: Bool = false,
                idleInTransactionAfterSeconds: Double = 5, sampleInterval: Double = 1) {
        self.postgres = postgres
        self.pgbouncer = pgbouncer
        self.pid = pid
        self.nodeExporter = nodeExporter
        self.collectLocalHost = collectLocalHost
        self.generatorSharesHost = generatorSharesHost
        self.dependencies = dependencies
        self.explainAnalyze = explainAnalyze
        self.idleInTransactionAfterSeconds = idleInTransactionAfterSeconds
        self.sampleInterval = sampleInterval
    }

    /// The settings of a profile's `diagnose` section, for a `strain run` that drives the load
    /// from this host. Environment references are looked up in `environment`.
    public init(_ options: DiagnoseOptions, environment: [String: String]) throws(DiagnoseSetupError) {
        func resolve(_ template: Template?, key: String) throws(DiagnoseSetupError) -> String? {
            try template.map { (template) throws(DiagnoseSetupError) in
                try template.render { (reference) throws(DiagnoseSetupError) in
                    guard case .environment(let name) = reference, let value = environment[name] else {
                        throw DiagnoseSetupError(description: "diagnose.\(key): ${\(reference)} is not set in the environment")
                    }
                    return value
                }
            }
        }
        self.init(postgres: try resolve(options.postgres, key: "postgres"),
                  pgbouncer: try resolve(options.pgbouncer, key: "pgbouncer"), pid: options.pid.map { Int32($0) },
                  nodeExporter: options.nodeExporter, collectLocalHost: options.nodeExporter == nil,
                  generatorSharesHost: options.nodeExporter == nil,
                  dependencies: options.dependencies.map { DependencyTarget(name: $0.name, url: $0.url) },
                  explainAnalyze: options.explainAnalyze,
                  idleInTransactionAfterSeconds: options.idleInTransactionAfter.seconds)
    }

    public var checkOptions: CheckOptions {
        CheckOptions(idleInTransactionAfterSeconds: idleInTransactionAfterSeconds)
    }
}

/// The diagnosis cannot start: a setting cannot be resolved or a source cannot be reached.
public struct DiagnoseSetupError: Error, CustomStringConvertible, Equatable {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

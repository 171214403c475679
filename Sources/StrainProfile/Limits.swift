import StrainContract

/// The largest values a profile (or the command line) may ask for. Far above any real load test, and
/// low enough that no count, product or conversion to microseconds can overflow; the README's profile
/// reference lists them.
public enum Limits {
    /// Rates, per second.
    public static let ratePerSecond = 10_000_000.0
    /// Every duration: run length, ramps, timeouts, think times, threshold values.
    public static let durationSeconds = 31.0 * 24 * 3600
    /// `connections`, `maxConnections`, `postgres.pool`.
    public static let connections = 1_000_000
    /// A closed load's total `iterations`.
    public static let iterations = 1_000_000_000_000
    public static let weight = 1_000_000
    public static let pipelineDepth = 10_000
    public static let redirects = 100
    /// `${sequence(n)}` starts and `${random(a, b)}` bounds, in either direction.
    public static let generatorMagnitude = 1_000_000_000_000_000
    public static let scenarios = 1_000
    /// Steps, across all scenarios: what a run file may hold (each step's histograms take memory).
    public static let steps = RunArtifact.maxSteps
    /// Stages per load.
    public static let stages = 1_000
    /// `maxBodyBytes`: what a step may keep of one response body.
    public static let bodyBytes = 1 << 30
    /// Characters of a profile's, scenario's or step's name: each heads a report's sections and labels
    /// every error example and metric (a 1 MB name took 11 s of reporting for a 1 s run).
    public static let nameCharacters = 200
    /// Bytes of a profile file.
    public static let profileBytes = 16 << 20
    /// `--workers`: threads, each with its own buffers (one per core is the default); 10^8 of them took
    /// all the memory before the run began.
    public static let workers = 1_024
}

/// Counting the steps of a run file before reading them (`RunArtifact.maxSteps`).
enum StepCount {
    /// An element decoded as nothing, only counted.
    struct Skipped: Decodable {
        init(from decoder: any Decoder) {}
    }

    /// Fewer bytes than any `count` timeline steps are written in: a step's required keys,
    /// `{"scenario":"","step":"","requests":0,"failures":0,"latency":{"b":"","max":0,"min":0,"n":0,"v":1}}`,
    /// take 98 bytes with its comma; 90 each keeps the bound below that.
    static func smallestBytes(ofSteps count: Int) -> Int {
        count * 90
    }

    static func tooMany(_ steps: Int, at key: String) -> String {
        "\(key): \(steps) steps, more than a run holds (at most \(RunArtifact.maxSteps))"
    }
}

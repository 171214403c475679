/// Counting the steps of a run file before reading them (`RunArtifact.maxSteps`).
enum StepCount {
    /// An element decoded as nothing, only counted.
    struct Skipped: Decodable {
        init(from decoder: any Decoder) {}
    }

    /// No timeline step is written in fewer bytes than this: its required keys,
    /// `{"scenario":"","step":"","requests":0,"failures":0,"latency":{"b":"","max":0,"min":0,"n":0,"v":1}}`,
    /// are 98 of them.
    static func smallestBytes(ofSteps count: Int) -> Int {
        count * 90
    }

    static func tooMany(_ steps: Int, at key: String) -> String {
        "\(key): \(steps) steps, more than a run holds (at most \(RunArtifact.maxSteps))"
    }
}

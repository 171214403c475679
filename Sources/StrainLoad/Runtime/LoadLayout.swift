import StrainProfile

/// Run-wide step numbers: every step of every scenario, in profile order, so tallies from all workers
/// can be keyed by one integer.
public struct LoadLayout: Sendable {
    /// The number of each scenario's first step.
    private let firstStep: [Int]
    /// Scenario and step index of each step number.
    let locations: [(scenario: Int, step: Int)]

    public init(_ profile: Profile) {
        var firstStep: [Int] = []
        var locations: [(Int, Int)] = []
        for (scenario, definition) in profile.scenarios.enumerated() {
            firstStep.append(locations.count)
            locations += definition.steps.indices.map { (scenario, $0) }
        }
        self.firstStep = firstStep
        self.locations = locations
    }

    public var stepCount: Int { locations.count }

    public func stepNumber(scenario: Int, step: Int) -> Int {
        firstStep[scenario] + step
    }
}

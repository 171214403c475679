import Foundation
import StrainProfile

/// One pass through a scenario's steps, created when the scheduler starts it and owned by the worker
/// running it: it carries the feeder rows chosen for the pass and the variables earlier steps
/// extracted, and renders the `${…}` of each step from them.
///
/// A worker reuses an ended iteration's object for a later one (`restart`) once nothing else holds it,
/// so starting an iteration allocates nothing.
public final class Iteration {
    /// The scenario's index in the profile.
    public private(set) var scenario: Int
    /// The step being run, 0-based.
    public internal(set) var step = 0
    /// When the current step was meant to be sent (µs on the run clock): the scheduled start for the
    /// first step, the previous step's end plus think time for the others. Latency starts here.
    public internal(set) var stepIntended: UInt64
    /// How the scheduler started it, to hand back when it ends.
    private(set) var start: IterationScheduler.Start
    /// The scenario's position among the worker's scenarios.
    private(set) var workerScenario: Int
    private let inputs: RunInputs
    private let random: WorkerRandom
    /// Row per feeder (by index in `RunInputs.feeders`); -1 for feeders the scenario does not use.
    private var feederRows: [Int]
    private var variables: [String: String] = [:]
    /// The cookies responses set during this pass (`target.cookies`): a fresh jar per iteration, as k6
    /// empties a virtual user's jar when its iteration starts.
    var cookies = CookieJar()

    init(scenario: Int, workerScenario: Int, start: IterationScheduler.Start, feederRows: [Int], inputs: RunInputs,
         random: WorkerRandom) {
        self.scenario = scenario
        self.workerScenario = workerScenario
        self.start = start
        stepIntended = start.intended
        self.feederRows = feederRows
        self.inputs = inputs
        self.random = random
    }

    /// Makes this ended iteration a new one of the same worker, as `init` would, keeping its storage.
    func restart(scenario: Int, workerScenario: Int, start: IterationScheduler.Start, feederRows: [Int]) {
        self.scenario = scenario
        self.workerScenario = workerScenario
        self.start = start
        step = 0
        stepIntended = start.intended
        self.feederRows = feederRows
        variables.removeAll(keepingCapacity: true)
        cookies = CookieJar()
    }

    /// Chooses this iteration's rows of the feeders at `indices`; nil when a unique feeder has run out.
    static func pickFeederRows(_ indices: [Int], inputs: RunInputs, random: WorkerRandom) -> [Int]? {
        var rows = [Int](repeating: -1, count: inputs.feeders.count)
        for index in indices {
            guard let row = inputs.feeders[index].pickRow(using: &random.generator) else { return nil }
            rows[index] = row
        }
        return rows
    }

    /// `${random(min, max)}`: a whole number drawn from the worker's generator.
    func randomInteger(in range: ClosedRange<Int>) -> Int {
        Int.random(in: range, using: &random.generator)
    }

    /// Stores a value extracted from a response for the following steps.
    public func setVariable(_ name: String, to value: String) {
        variables[name] = value
    }

    public func variable(_ name: String) -> String? {
        variables[name]
    }

    public func render(_ template: Template) throws(StepFailure) -> String {
        if let literal = template.literalText { return literal }
        if let reference = template.soleReference { return try resolve(reference) }
        return try template.render(resolve)
    }

    /// JSON text with every reference substituted as a JSON string.
    public func render(_ json: JSONTemplate) throws(StepFailure) -> String {
        try json.render(resolve)
    }

    /// The value a `json` check expects, with references substituted.
    public func resolve(_ json: JSONTemplate) throws(StepFailure) -> JSONValue {
        try json.resolved(resolve)
    }

    private func resolve(_ reference: Reference) throws(StepFailure) -> String {
        switch reference {
        case .environment(let name):
            // RunInputs refused to start without every referenced variable.
            return inputs.environment[name] ?? ""
        case .feeder(let name, let column):
            guard let index = inputs.feeder(named: name), feederRows[index] >= 0,
                  let columnIndex = inputs.feeders[index].columnIndex[column] else {
                throw StepFailure(.template, "${\(name).\(column)}: feeder \(name) has no row for this iteration",
                                  endsIteration: true)
            }
            return inputs.feeders[index].value(row: feederRows[index], column: columnIndex)
        case .variable(let name):
            guard let value = variables[name] else {
                throw StepFailure(.template, "${\(name)} has no value: no earlier step of this iteration extracted it",
                                  endsIteration: true)
            }
            return value
        case .generator(let generator):
            switch generator {
            case .random(let min, let max):
                return DecimalText.of(randomInteger(in: min...max))
            case .sequence(let start):
                return DecimalText.of(inputs.nextSequenceValue(start: start))
            case .uuid:
                return UUID().uuidString.lowercased()
            case .pick(let values):
                return values[Int.random(in: 0..<values.count, using: &random.generator)]
            }
        }
    }
}

/// The random source of one worker's generators and random feeders (seeded per worker, never shared).
final class WorkerRandom {
    var generator: SplitMix64

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }
}

import Foundation
import StrainContract

/// Reads `scenarios`: their load, PostgreSQL settings and steps, with the profile-wide settings they build on.
struct ScenarioDecoder {
    let files: ProfileFiles
    let target: Target
    let defaults: Defaults
    let feederColumns: [String: [String]]
    /// The top-level `load`, split by weight among scenarios without a load of their own.
    let sharedLoad: ObjectReader?

    static let defaultMaxConnections = 256

    /// The scenarios that read, and whether all did; each one's problems are recorded.
    func scenarios(_ field: Field) throws(ProfileError) -> (scenarios: [Scenario], complete: Bool) {
        let elements = try field.array(atMost: Limits.scenarios, of: "scenarios")
        guard !elements.isEmpty else {
            throw field.error("must list at least one scenario")
        }
        let weights = Self.sharedWeights(elements)
        if let sharedLoad, weights.isEmpty {
            throw sharedLoad.field.error("every scenario has a load of its own, so this shared load is unused; remove it", anchor: .key)
        }
        var scenarios: [Scenario] = []
        var complete = true
        var firstIndex: [String: Int] = [:]
        var sharing = 0
        var steps = 0
        for (index, element) in elements.enumerated() {
            let shareIndex = Self.sharesLoad(element) ? sharing : nil
            if shareIndex != nil { sharing += 1 }
            let scenario = field.problems.attempt { () throws(ProfileError) -> Scenario in
                let scenario = try self.scenario(element, share: shareIndex.map { ($0, weights) })
                if let first = firstIndex[scenario.name] {
                    throw ProfileError(keyPath: element.path.appending("name"),
                                       message: "duplicate scenario name \"\(scenario.name)\" (also scenarios[\(first)])", anchor: .value)
                }
                steps += scenario.steps.count
                // Said once, by the scenario that crosses the limit.
                if steps > Limits.steps, steps - scenario.steps.count <= Limits.steps {
                    throw ProfileError(keyPath: element.path.appending("steps"),
                                       message: "the scenarios so far have \(QuantityText.grouped(steps)) steps; a profile has at most \(QuantityText.grouped(Limits.steps)) in all", anchor: .key)
                }
                return scenario
            }
            guard case .success(let scenario) = scenario else {
                complete = false
                continue
            }
            firstIndex[scenario.name] = index
            scenarios.append(scenario)
        }
        return (scenarios, complete)
    }

    /// The weights of the scenarios that take a share of the top-level load, in order. Read ahead of decoding,
    /// because a share depends on every weight; an invalid weight counts as 1 here and is reported when its
    /// scenario is decoded.
    private static func sharedWeights(_ elements: [Field]) -> [Int] {
        elements.filter(sharesLoad).map { element in
            guard case .object(let members) = element.value, case .number(let weight)? = members["weight"],
                  weight == weight.rounded(), weight >= 1, weight <= Double(Limits.weight) else { return 1 }
            return Int(weight)
        }
    }

    private static func sharesLoad(_ element: Field) -> Bool {
        guard case .object(let members) = element.value else { return false }
        return members["load", default: .null] == .null
    }

    func scenario(_ field: Field, share: (index: Int, weights: [Int])?) throws(ProfileError) -> Scenario {
        let object = try ObjectReader(field, as: Scenario.self)
        let nameField = try object.required("name")
        let name = try nameField.name()
        if name == "http" || name == "postgres" {
            throw nameField.error("\"\(name)\" is reserved for threshold scopes; choose another scenario name")
        }
        let weight = try object["weight"]?.integer(in: 1...Limits.weight) ?? 1
        let kind: ScenarioKind = object.contains("postgres") ? .postgres : .http

        // The load and the steps are independent: both are read, so both report their problems.
        let loaded = field.problems.attempt { () throws(ProfileError) -> (load: Load, object: ObjectReader, postgres: PostgresOptions?) in
            let load: Load
            let loadObject: ObjectReader
            if let loadField = object["load"] {
                if object.contains("weight") {
                    throw object.keyError("weight", "weight splits the profile's top-level load, but this scenario has its own load; remove weight (or the scenario's load)")
                }
                loadObject = try ObjectReader(loadField, as: Load.self)
                load = try self.load(loadObject, kind: kind)
            } else if let sharedLoad, let share {
                loadObject = sharedLoad
                load = try Self.share(of: try self.load(sharedLoad, kind: kind), scenario: name, index: share.index,
                                      weights: share.weights, loadObject: sharedLoad)
            } else {
                throw field.error("missing required key \"load\" (or add a top-level load that scenarios without one share by weight)")
            }
            let postgres = try object["postgres"].map { (postgresField) throws(ProfileError) in try postgresOptions(postgresField, load: load) }
            return (load, loadObject, postgres)
        }
        let decodedPostgres = if case .success(let loaded) = loaded { loaded.postgres } else { PostgresOptions?.none }
        let steps = try steps(try object.required("steps"), scenario: name, kind: kind, postgres: decodedPostgres)
        let (load, loadObject, postgres) = try loaded.get()
        return Scenario(
            name: name,
            weight: weight,
            sharesProfileLoad: share != nil,
            postgres: postgres,
            load: load,
            thinkTime: try loadObject["thinkTime"]?.timeSpan(allowingZero: true) ?? defaults.thinkTime,
            steps: steps)
    }

    // MARK: Load

    /// `kind` is nil for the top-level load, which is checked against each sharing scenario's kind separately.
    func load(_ object: ObjectReader, kind: ScenarioKind?) throws(ProfileError) -> Load {
        let model = try object["model"]?.choice(LoadModel.self) ?? .open
        switch model {
        case .open:
            for key in ["connections", "iterations"] where object.contains(key) {
                throw object.keyError(key, "\(key) belongs to the closed model; the open model takes rate + duration or stages (or set model: \"closed\")")
            }
            if kind == .postgres, object.contains("maxConnections") {
                throw object.keyError("maxConnections", "a PostgreSQL scenario's connections are its postgres.pool; set the pool size there")
            }
            return .open(try openLoad(object))
        case .closed:
            for key in ["rate", "stages", "start", "arrival", "maxConnections"] where object.contains(key) {
                throw object.keyError(key, "\(key) belongs to the open model; the closed model runs connections back to back, bounded by duration or iterations (or set model: \"open\")")
            }
            return .closed(try closedLoad(object))
        }
    }

    private func openLoad(_ object: ObjectReader) throws(ProfileError) -> OpenLoad {
        let arrival = try object["arrival"]?.choice(Arrival.self) ?? .constant
        let maxConnections = try object["maxConnections"]?.integer(in: 1...Limits.connections) ?? Self.defaultMaxConnections
        if let stagesField = object["stages"] {
            if object.contains("rate") {
                throw object.keyError("rate", "use either rate + duration (a constant rate) or stages (ramps), not both")
            }
            if object.contains("duration") {
                throw object.keyError("duration", "stages set their own durations with over; remove duration")
            }
            let start = try object["start"]?.rate(allowingZero: true) ?? .zero
            let elements = try stagesField.array(atMost: Limits.stages, of: "stages")
            guard !elements.isEmpty else {
                throw stagesField.error(#"must list at least one stage, like { to: "100/s", over: "1m" }"#)
            }
            var stages: [Stage] = []
            for element in elements {
                let stage = try ObjectReader(element, as: Stage.self)
                stages.append(Stage(target: try stage.required("to").rate(allowingZero: true),
                                    duration: try stage.required("over").timeSpan()))
            }
            let total = stages.reduce(TimeSpan.zero) { $0 + $1.duration }
            guard total.seconds <= Limits.durationSeconds else {
                throw stagesField.error("the stages last \(total) together, longer than the longest run allowed, 31 days (744h)")
            }
            if start == .zero, stages.allSatisfy({ $0.target == .zero }) {
                throw stagesField.error("every stage goes to 0/s, so nothing would be sent")
            }
            let load = OpenLoad(start: start, stages: stages, arrival: arrival, maxConnections: maxConnections)
            if load.arrivals < 1 {
                throw stagesField.error("the stages ask for fewer than one arrival (\(QuantityText.number(load.arrivals))), so nothing would be sent")
            }
            return load
        }
        if object.contains("start") {
            throw object.keyError("start", "start is the rate a ramp begins at and needs stages; a constant rate only takes rate + duration")
        }
        guard let rateField = object["rate"] else {
            throw object.field.error(#"the open model needs rate + duration (like rate: "100/s", duration: "1m") or stages"#)
        }
        let rate = try rateField.rate()
        guard let durationField = object["duration"] else {
            throw object.field.error(#"a rate needs a duration bound: add duration, like duration: "1m""#)
        }
        let stage = Stage(target: rate, duration: try durationField.timeSpan())
        let load = OpenLoad(start: rate, stages: [stage], arrival: arrival, maxConnections: maxConnections)
        // The end is exclusive (rate × duration arrivals): under one, the run would send nothing.
        if load.arrivals < 1 {
            throw durationField.error("\(rate) for \(stage.duration) asks for fewer than one arrival, so nothing would be sent")
        }
        return load
    }

    private func closedLoad(_ object: ObjectReader) throws(ProfileError) -> ClosedLoad {
        let connections = try object.required("connections").integer(in: 1...Limits.connections)
        switch (object["duration"], object["iterations"]) {
        case (let duration?, nil):
            return ClosedLoad(connections: connections, bound: .duration(try duration.timeSpan()))
        case (nil, let iterations?):
            return ClosedLoad(connections: connections, bound: .iterations(try iterations.integer(in: 1...Limits.iterations)))
        case (_?, _?):
            throw object.keyError("iterations", "set either duration or iterations, not both")
        case (nil, nil):
            throw object.field.error(#"the closed model needs a bound: duration (like duration: "2m") or iterations (like iterations: 1000)"#)
        }
    }

    /// One scenario's part of the shared load: rates scaled by its weight, connections and iterations divided
    /// by largest remainder so the parts add up to the whole.
    private static func share(of load: Load, scenario: String, index: Int, weights: [Int],
                              loadObject: ObjectReader) throws(ProfileError) -> Load {
        let fraction = Double(weights[index]) / Double(weights.reduce(0, +))
        switch load {
        case .open(let open):
            return .open(OpenLoad(
                start: Rate(perSecond: open.start.perSecond * fraction),
                stages: open.stages.map { Stage(target: Rate(perSecond: $0.target.perSecond * fraction), duration: $0.duration) },
                arrival: open.arrival,
                maxConnections: max(1, Int((Double(open.maxConnections) * fraction).rounded(.up)))))
        case .closed(let closed):
            func part(_ total: Int, key: String) throws(ProfileError) -> Int {
                let part = divide(total, by: weights)[index]
                guard part > 0 else {
                    throw loadObject.keyError(key, "\(key) \(total) shared by weights \(weights.map(String.init).joined(separator: ", ")) leaves scenario \"\(scenario)\" none; raise \(key) or its weight")
                }
                return part
            }
            let bound: ClosedBound = switch closed.bound {
            case .duration(let duration): .duration(duration)
            case .iterations(let iterations): .iterations(try part(iterations, key: "iterations"))
            }
            return .closed(ClosedLoad(connections: try part(closed.connections, key: "connections"), bound: bound))
        }
    }

    /// Splits `total` in proportion to `weights`; the parts add up to `total`.
    static func divide(_ total: Int, by weights: [Int]) -> [Int] {
        let sum = weights.reduce(0, +)
        var parts = weights.map { total * $0 / sum }
        let byRemainder = weights.indices.sorted { (total * weights[$0]) % sum > (total * weights[$1]) % sum }
        for index in byRemainder.prefix(total - parts.reduce(0, +)) {
            parts[index] += 1
        }
        return parts
    }

    private func postgresOptions(_ field: Field, load: Load) throws(ProfileError) -> PostgresOptions {
        let object = try ObjectReader(field, as: PostgresOptions.self)
        let conninfo = try object.required("conninfo").template(in: ReferenceScope(allowed: .environmentOnly))
        let queryProtocol = try object["protocol"]?.choice(QueryProtocol.self) ?? .prepared
        let pipelineDepth = try object["pipeline"]?.integer(in: 1...Limits.pipelineDepth)
        if pipelineDepth != nil, queryProtocol == .simple {
            throw object.keyError("pipeline", #"pipeline mode needs the extended query protocol; use protocol "prepared" or "extended""#)
        }
        let pool: Int
        if let poolField = object["pool"] {
            pool = try poolField.integer(in: 1...Limits.connections)
        } else if case .closed(let closed) = load {
            pool = closed.connections
        } else {
            throw field.error("missing required key \"pool\": an open-model PostgreSQL scenario needs to know how many connections serve its arrivals")
        }
        return PostgresOptions(conninfo: conninfo, pool: pool, queryProtocol: queryProtocol, pipelineDepth: pipelineDepth)
    }

    // MARK: Steps

    func steps(_ field: Field, scenario: String, kind: ScenarioKind, postgres: PostgresOptions?) throws(ProfileError) -> [Step] {
        let elements = try field.array(atMost: Limits.steps, of: "steps")
        guard !elements.isEmpty else {
            throw field.error("must list at least one step")
        }
        var scope = ReferenceScope(allowed: .everything, feeders: feederColumns)
        var steps: [Step] = []
        var firstIndex: [String: Int] = [:]
        /// The step whose BEGIN is not yet ended by a COMMIT or ROLLBACK.
        var openTransaction: Field?
        var firstProblem: ProfileError?
        for (index, element) in elements.enumerated() {
            scope.laterVariables = Self.extractedVariables(elements[index...])
            let decoded = field.problems.attempt { () throws(ProfileError) -> Step in
                let step = try StepDecoder(files: files, target: target, defaults: defaults, scenario: scenario, kind: kind,
                                           pipelined: postgres?.pipelineDepth != nil, queryProtocol: postgres?.queryProtocol, scope: scope)
                    .step(element)
                if let first = firstIndex[step.name] {
                    let path = element.value.member("name") == nil ? element.path : element.path.appending("name")
                    throw ProfileError(keyPath: path, message: "duplicate step name \"\(step.name)\" in scenario \"\(scenario)\" (also steps[\(first)]); give the steps distinct names", anchor: .value)
                }
                return step
            }
            let step: Step
            switch decoded {
            case .success(let decodedStep):
                step = decodedStep
            case .failure(let problem):
                // Later steps may use what this one extracts: take the names from the raw JSON.
                scope.variables += Self.extractedVariables(elements[index...index]).keys
                firstProblem = firstProblem ?? problem
                continue
            }
            firstIndex[step.name] = index
            scope.variables += step.extract.map(\.variable)
            steps.append(step)
            if case .sql(let query) = step.action {
                openTransaction = SQLText.transactionEffect(of: query.sql).map { $0 == .opens ? element : nil } ?? openTransaction
            }
        }
        if let firstProblem { throw firstProblem }
        if let openTransaction {
            throw openTransaction.error("this step begins a transaction that no later step of scenario \"\(scenario)\" commits or rolls back; add a COMMIT (or ROLLBACK) step after it")
        }
        return steps
    }

    /// Variable → the first of `steps` that extracts it, read from the raw JSON to explain ordering mistakes.
    private static func extractedVariables(_ steps: ArraySlice<Field>) -> [String: String] {
        var variables: [String: String] = [:]
        for (index, step) in zip(steps.indices, steps) {
            guard case .object(let extract)? = step.value.member("extract") else { continue }
            let stepName = if case .string(let name)? = step.value.member("name") { name } else { "steps[\(index)]" }
            for variable in extract.keys where variables[variable] == nil {
                variables[variable] = stepName
            }
        }
        return variables
    }
}

extension JSONValue {
    /// An object's member, nil for anything else.
    func member(_ key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }
}

extension Scenario: ProfileObject {
    static let schemaName = "scenario"
    static let knownKeys = ["name", "weight", "postgres", "load", "steps"]
}

extension Load: ProfileObject {
    static let schemaName = "load"
    static let knownKeys = ["model", "rate", "duration", "stages", "start", "arrival", "maxConnections",
                            "connections", "iterations", "thinkTime"]
}

extension Stage: ProfileObject {
    static let schemaName = "stage"
    static let knownKeys = ["to", "over"]
}

extension PostgresOptions: ProfileObject {
    static let schemaName = "postgres"
    static let knownKeys = ["conninfo", "pool", "protocol", "pipeline"]
}

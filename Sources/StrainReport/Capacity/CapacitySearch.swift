/// Decides which rate `strain capacity` measures next from the steps measured so far: a geometric
/// step ramp from the profile's rate until a step fails (that brackets the knee), then bisection
/// until the bracket is narrow enough. Pure: the command runs each step and records its verdict.
public struct CapacitySearch: Sendable, Equatable {
    public struct Settings: Sendable, Equatable {
        /// The first (lowest) step: the profile's own total rate.
        public var startRate: Double
        /// No step goes above it.
        public var maxRate: Double
        /// Each ramp step multiplies the rate by this.
        public var growth: Double = 2
        /// Bisection stops once the bracket is this narrow, relative to its low end.
        public var resolution: Double = 0.05
        /// Steps the time budget allows (`--max-duration` / step length).
        public var maxSteps: Int

        public init(startRate: Double, maxRate: Double, maxSteps: Int) {
            self.startRate = startRate
            self.maxRate = maxRate
            self.maxSteps = maxSteps
        }

        /// The rate of the first step: the profile's, unless `maxRate` is lower.
        public var firstRate: Double { min(startRate, maxRate) }
    }

    /// What one step showed.
    public enum StepVerdict: String, Codable, Sendable {
        /// Every SLO held.
        case held
        /// An SLO failed.
        case failed
        /// The generator's self-check failed: the step says nothing about the target.
        case generatorBound
    }

    /// Why a search ended without bracketing the knee.
    public enum Limit: String, Codable, Sendable {
        case maxRate = "max_rate"
        case budget
        case generatorBound = "generator_bound"
        /// The search was cut short: a stop signal, or a step that could not run.
        case stopped
    }

    public enum Outcome: Sendable, Equatable {
        /// The SLO held at `rate` and failed at `failingRate`: the knee lies between.
        case sustainable(rate: Double, failingRate: Double)
        /// The SLO held up to `rate` (zero when no step held), and the search could go no further.
        case atLeast(rate: Double, limit: Limit)
        /// Even the lowest step failed.
        case noneHeld(lowestRate: Double)
    }

    public enum Decision: Sendable, Equatable {
        case measure(rate: Double)
        case finished(Outcome)
    }

    public let settings: Settings
    public private(set) var highestHeld: Double?
    public private(set) var lowestFailed: Double?
    public private(set) var generatorBound = false
    /// A rate whose step the generator's self-check rejected once. It is measured again before the
    /// search gives up: a shared machine's hiccup disturbs one step, a generator's limit every one.
    public private(set) var remeasuring: Double?
    public private(set) var stepsMeasured = 0

    public init(_ settings: Settings) {
        self.settings = settings
    }

    public mutating func record(_ verdict: StepVerdict, at rate: Double) {
        stepsMeasured += 1
        switch verdict {
        case .held: highestHeld = max(highestHeld ?? rate, rate)
        case .failed: lowestFailed = min(lowestFailed ?? rate, rate)
        case .generatorBound:
            if remeasuring == rate { generatorBound = true }
            remeasuring = rate
            return
        }
        remeasuring = nil
    }

    /// What the steps measured so far show, for a search cut short before `next` finished it: the
    /// bracket found (however wide), the lowest step failing, or the highest rate held.
    public var outcomeSoFar: Outcome {
        switch (highestHeld, lowestFailed) {
        case (nil, let failed?): .noneHeld(lowestRate: failed)
        case (let held?, let failed?): .sustainable(rate: held, failingRate: failed)
        case (let held, nil): .atLeast(rate: held ?? 0, limit: .stopped)
        }
    }

    public var next: Decision {
        if let rate = remeasuring, !generatorBound, stepsMeasured < settings.maxSteps { return .measure(rate: rate) }
        if generatorBound || remeasuring != nil {
            return .finished(.atLeast(rate: highestHeld ?? 0, limit: .generatorBound))
        }
        switch (highestHeld, lowestFailed) {
        case (nil, let failed?):
            return .finished(.noneHeld(lowestRate: failed))
        case (let held?, let failed?):
            if failed - held <= settings.resolution * held || stepsMeasured >= settings.maxSteps {
                return .finished(.sustainable(rate: held, failingRate: failed))
            }
            return .measure(rate: (held + failed) / 2)
        case (let held?, nil):
            if held >= settings.maxRate { return .finished(.atLeast(rate: held, limit: .maxRate)) }
            if stepsMeasured >= settings.maxSteps { return .finished(.atLeast(rate: held, limit: .budget)) }
            return .measure(rate: min(held * settings.growth, settings.maxRate))
        case (nil, nil):
            return stepsMeasured >= settings.maxSteps ? .finished(.atLeast(rate: 0, limit: .budget))
                                                      : .measure(rate: settings.firstRate)
        }
    }
}

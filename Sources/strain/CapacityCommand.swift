import Foundation
import StrainDiagnose
import StrainLoad
import StrainContract
import StrainProfile
import StrainReport

enum CapacityCommand: Command {
    static let name = "capacity"
    static let summary = "find the highest open-model rate that holds the SLO, and what saturated first"
    static let stopsGracefully = true
    static let usage = "usage: strain capacity PROFILE [--slo 'METRIC: EXPR']… [--max-rate R] [--max-duration D] [--step-duration D] [--warm-up D] [--out DIR]"
    static let help = """
    \(usage)

    Finds the highest arrival rate at which the SLO holds: the profile's thresholds, or the --slo ones.
    Every scenario's rate moves together, keeping the profile's mix. The first step runs at the
    profile's own total rate; each next step doubles it until a step fails, then bisection narrows the
    bracket to 5%. Each step holds its rate for --step-duration: the warm-up at its start is left out,
    the rest is judged, with latency from the intended send time (open model). With a diagnose
    section, the diagnoser watches every step and explains the failing step nearest the knee.

    Writes capacity.json, capacity.html and one run folder per step (steps/NN-RATE/) to
    reports/<name>-capacity-<yyyyMMdd-HHmmss>/ (or --out).

    options:
      --slo 'METRIC: EXPR'  an SLO, e.g. 'errors: rate < 1%' or 'latency: p(99) < 300ms' (repeatable;
                            replaces the profile's thresholds); latency, service_time, errors, requests
      --max-rate R          no step above this rate (default: 64 times the profile's rate)
      --max-duration D      stop the search after this long (default 10m)
      --step-duration D     how long each step holds its rate, warm-up included (default 20s)
      --warm-up D           the part of each step left out (default: a quarter of the step, at least 1s)
      --workers N           load-generating threads (default: one per core)
      --out DIR             where to write

    exit status: 0 the capacity was found (or held up to --max-rate or --max-duration), 1 even the
    lowest step failed, 2 bad profile or usage, 4 the generator saturated before the SLO failed (the
    capacity is at least the rate reported), 5 the target or an output folder was unreachable,
    130 interrupted.
    """

    /// The folder of the steps' run folders, inside the search's own.
    static let stepsFolder = "steps"
    static let options: Set<String> = ["--slo", "--max-rate", "--max-duration", "--step-duration", "--warm-up", "--workers", "--out"]

    /// What the command line asks for, checked.
    struct Request {
        var profile: Profile
        var slo: [Threshold]
        var search: CapacitySearch.Settings
        var stepSeconds: Double
        var warmUpSeconds: Double
        var workers: Int
        var directory: URL

        init(_ arguments: Arguments) throws {
            guard arguments.positionals.count == 1 else { throw UsageError(description: "expected one profile") }
            let profile = try ProfileLoader.load(path: arguments.positionals[0])
            self.profile = profile
            guard profile.openRateShares != nil else {
                throw UsageError(description: "capacity scales open-model rates: every scenario needs an open-model load with a rate above zero")
            }
            let texts = arguments.allValues("--slo")
            slo = try texts.isEmpty ? profile.thresholds : texts.map { text in
                do {
                    return try Threshold(line: text, scenarios: profile.scenarios)
                } catch {
                    throw UsageError(description: "--slo: \(error)")
                }
            }
            guard !slo.isEmpty else { throw UsageError(description: "no SLO: the profile has no thresholds; give --slo 'METRIC: EXPR'") }
            if let problem = slo.lazy.compactMap(CapacitySLO.problem).first { throw UsageError(description: problem) }

            let start = profile.peakOpenRate.perSecond
            let maxRate = try Self.value(arguments, "--max-rate", Rate.init(parsing:))?.perSecond ?? start * 64
            stepSeconds = try Self.value(arguments, "--step-duration", TimeSpan.init(parsing:))?.seconds ?? 20
            warmUpSeconds = try Self.value(arguments, "--warm-up", TimeSpan.init(parsing:))?.seconds
                ?? max(1, (stepSeconds / 4).rounded(.up))
            // The timeline is per second: the measured part needs whole seconds, at least two.
            guard stepSeconds - warmUpSeconds >= 2 else {
                throw UsageError(description: "--step-duration must leave at least 2s after the warm-up")
            }
            let budget = try Self.value(arguments, "--max-duration", TimeSpan.init(parsing:))?.seconds ?? 600
            guard maxRate > 0 else { throw UsageError(description: "--max-rate must be above zero") }
            // A budget shorter than one step would still run the first step, whole.
            guard budget >= stepSeconds else {
                throw UsageError(description: "--max-duration must be at least one step (--step-duration, \(TimeSpan(seconds: stepSeconds)))")
            }
            search = CapacitySearch.Settings(startRate: start, maxRate: maxRate, maxSteps: max(1, Int(budget / stepSeconds)))
            workers = try arguments.value("--workers").map(RunCommand.workerCount) ?? RunOptions.defaultWorkers
            directory = try arguments.outputFolder(writer: "a capacity search").map { URL(fileURLWithPath: $0) }
                ?? RunCommand.defaultOutputDirectory(for: profile.folderName + "-capacity")
            // Checked before the first step: a second search into the folder of a first would replace its
            // capacity.json only to refuse its first step's folder, and a `steps` link would take the
            // steps' runs wherever it points.
            var status = stat()
            if let problem = RunFile.problemWritingRun(into: directory)
                ?? (lstat(directory.appendingPathComponent(CapacityCommand.stepsFolder).path, &status) == 0
                    ? "\(directory.path) already holds \(CapacityCommand.stepsFolder)/: give a new folder to --out, or remove that one first" : nil) {
                throw UsageError(description: problem)
            }
        }

        private static func value<T>(_ arguments: Arguments, _ option: String, _ parse: (String) throws(ValueError) -> T) throws -> T? {
            guard let text = arguments.value(option) else { return nil }
            do {
                return try parse(text)
            } catch {
                throw UsageError(description: "\(option): \(error)")
            }
        }
    }

    static func run(_ words: [String], output: Output) -> ExitStatus {
        let request: Request
        do {
            request = try Request(try Arguments(words, options: options))
        } catch let error as ProfileError {
            output.error(error.description)
            return .badInput
        } catch {
            output.error("strain capacity: \(error)\n\(usage)")
            return .badInput
        }
        do {
            return try execute(request, output: output)
        } catch let error as LoadError {
            output.error("strain capacity: \(error)")
            return error.kind == .badInput ? .badInput : .infrastructure
        } catch {
            output.error("strain capacity: \(error)")
            return .infrastructure
        }
    }

    /// The failing step nearest the knee so far, with what the diagnoser saw during it.
    private struct FailingStep {
        var rate: Double
        var folder: URL
        var artifact: RunArtifact
        var evidence: Evidence?
    }

    private static func execute(_ request: Request, output: Output) throws -> ExitStatus {
        let profile = request.profile
        _ = try RunInputs.environmentValues(of: profile, in: ProcessInfo.processInfo.environment)
        output.error("strain capacity: \(profile.name) under \(request.slo.map(\.description).joined(separator: ", ")); "
                     + "steps of \(Format.duration(seconds: request.stepSeconds)) from \(Format.rate(request.search.firstRate)); "
                     + "results in \(request.directory.path)/")
        let diagnose = try profile.diagnose.map { try DiagnoseSettings($0, environment: ProcessInfo.processInfo.environment) }
        var search = CapacitySearch(request.search)
        var steps: [CapacityStep] = []
        var nearestFailure: FailingStep?
        // A search cut short still reports what its finished steps showed, then ends as it was cut.
        var stoppedEarly: String?
        var interrupted = false
        var stepError: Error?
        while case .measure(let rate) = search.next {
            let folderName = Self.stepsFolder + String(format: "/%02d-%g", steps.count + 1, rate.rounded())
            let folder = request.directory.appendingPathComponent(folderName)
            let result: RunResult
            let evidence: Evidence?
            do {
                let session = diagnose.map { DiagnosisSession(settings: $0) }
                try session?.start()
                result = try LoadRun.run(
                    profile.atConstantRate(Rate(perSecond: rate), for: TimeSpan(seconds: request.stepSeconds)),
                    engines: [HTTPEngineFactory(), PostgresEngineFactory()],
                    options: RunOptions(workers: request.workers, outputDirectory: folder, tool: ToolInfo(version: Strain.version)))
                evidence = session?.stop()
                if let failure = result.failure ?? result.writeFailure { throw failure }
            } catch {
                stepError = error
                stoppedEarly = "the step at \(Format.rate(rate)) failed: \(error)"
                break
            }
            if result.artifact.status == .interrupted {
                interrupted = true
                stoppedEarly = "interrupted during the step at \(Format.rate(rate)) (\(folderName), not judged)"
                output.error("strain capacity: interrupted; the steps so far are in \(request.directory.path)/\(Self.stepsFolder)")
                break
            }
            let measured = CapacitySLO.measuredPart(of: result.artifact, timeline: try TimelineReader.read(from: result.timelineURL),
                                                    warmUp: request.warmUpSeconds)
            let step = CapacitySLO.step(rate: rate, measured: measured, slo: request.slo, validity: result.artifact.validity, folder: folderName)
            steps.append(step)
            search.record(step.verdict, at: rate)
            output.error("  step " + CapacityReport.progressLine(step))
            if step.verdict == .failed, rate < nearestFailure?.rate ?? .infinity {
                nearestFailure = FailingStep(rate: rate, folder: folder, artifact: result.artifact, evidence: evidence)
            }
        }
        let outcome: CapacitySearch.Outcome
        if stoppedEarly == nil, case .finished(let finished) = search.next { outcome = finished } else { outcome = search.outcomeSoFar }
        // Not after a stop: whoever stopped the search is waiting, and the diagnosis queries the database.
        let limitedBy = stoppedEarly == nil ? try nearestFailure.flatMap { try diagnoseFailure($0, options: diagnose?.checkOptions) } : nil
        let report = CapacityReport(
            profile: profile.info,
            slo: request.slo.map(\.description), warmUpSeconds: request.warmUpSeconds,
            measuredSeconds: request.stepSeconds - request.warmUpSeconds, outcome: outcome, limitedBy: limitedBy, steps: steps,
            stoppedEarly: stoppedEarly)
        do {
            try DiagnosisJSON.write(report, to: RunFile.capacity.url(in: request.directory))
            try AtomicFile.write(Data(report.html().utf8), to: RunFile.capacityChart.url(in: request.directory))
        } catch {
            // The step's own failure (often this very folder) is the one to report.
            throw stepError ?? error
        }
        output.print(report.terminal())
        output.print("Results: \(request.directory.path)/capacity.json\n         \(request.directory.path)/capacity.html")
        if let stepError { throw stepError }
        if interrupted { return .interrupted }
        return switch outcome {
        case .sustainable, .atLeast(_, .maxRate), .atLeast(_, .budget): .ok
        case .atLeast(_, .generatorBound): .invalidRun
        case .atLeast(_, .stopped): .interrupted
        case .noneHeld: .thresholdsFailed
        }
    }

    /// Diagnoses the failing step nearest the knee into its folder; its top finding is what saturated first.
    private static func diagnoseFailure(_ step: FailingStep, options: CheckOptions?) throws -> String? {
        guard let evidence = step.evidence, let options else { return nil }
        let diagnosis = Diagnoser.diagnose(evidence, load: LoadContext(artifact: step.artifact), options: options)
        try DiagnoseCommand.write(diagnosis, evidence: evidence, to: step.folder)
        return diagnosis.findings.first.map { "\($0.title) (\($0.object)), diagnosed at \(Format.rate(step.rate))" }
    }
}

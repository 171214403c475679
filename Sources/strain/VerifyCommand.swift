import Foundation
import StrainDiagnose
import StrainLoad
import StrainContract
import StrainPQ
import StrainProfile
import StrainReport

enum VerifyCommand: Command {
    static let name = "verify"
    static let summary = "apply a finding's generated fix, rerun the profile, measure the change, roll back"
    static let stopsGracefully = true
    static let usage = "usage: strain verify RUN --finding N [--yes] [--keep] [--out DIR]"
    static let help = """
    \(usage)

    Takes finding #N of a run (its rank in the run's report) whose fix is a statement strain generated
    itself — today a missing index's CREATE INDEX CONCURRENTLY — and, with --yes, runs it on the
    database the profile's diagnose section names, reruns the run's profile, compares the rerun with
    the run (the same rank test as strain compare), then drops exactly the index it created unless
    --keep. Without --yes it only prints what it would do.

    It refuses: a profile that changed since the run (its SHA-256 is recorded), a database other than
    the one the run diagnosed, a database host outside the profile's target.allow list, and any fix it
    cannot generate again from the run's saved evidence (the statement run is the regenerated one,
    never text read from a file). Writes verify.json, verify.md and verify.html (before and after,
    every step judged) and the rerun (after/) to RUN-verify-N/ (or --out).

    exit status: 0 measured (or, without --yes, the plan printed), 2 refused or bad usage,
    4 measured but invalid (the run's or the rerun's self-check failed: verify.json says why),
    5 the database failed or the rerun could not be read; a rerun that did not complete (130
    interrupted, 5, 6) passes its status on, the index dropped, no verify.json.
    """

    static func run(_ words: [String], output: Output) -> ExitStatus {
        let plan: VerifyPlan
        do {
            let arguments = try Arguments(words, flags: ["--yes", "--keep"], options: ["--finding", "--out"])
            plan = try VerifyPlan(arguments)
        } catch let error as PostgresError {
            // The database could not be reached or answered with an error: as documented, 5.
            output.error("strain verify: \(error)")
            return .infrastructure
        } catch {
            output.error("strain verify: \(error)")
            return .badInput
        }
        output.print(plan.description)
        guard plan.apply else {
            output.print("Nothing was changed: run again with --yes to do this.")
            return .ok
        }
        do {
            return try plan.execute(output: output)
        } catch let error as UsageError {
            // Found before anything was changed: the index exists already, or the folder holds a verification.
            output.error("strain verify: \(error)")
            return .badInput
        } catch {
            output.error("strain verify: \(error)")
            return .infrastructure
        }
    }
}

/// What `strain verify` will do, checked before anything is changed.
struct VerifyPlan: CustomStringConvertible {
    let run: RunFolder
    let rank: Int
    let finding: Finding
    let fix: GeneratedIndexFix
    let profilePath: String
    /// The run's command-line overrides (`--duration 1m` …), given to the rerun too.
    let overrides: [String]
    /// `overrides` as command-line words.
    let rerunOptions: [String]
    let conninfo: String
    let database: String
    let host: String
    let before: Evidence
    let apply: Bool
    let keep: Bool
    let directory: URL

    init(_ arguments: Arguments) throws {
        guard arguments.positionals.count == 1 else { throw UsageError(description: "expected one run folder") }
        guard let text = arguments.value("--finding"), let rank = Int(text), rank >= 1 else {
            throw UsageError(description: "--finding N: the finding's rank in the run's report (1, 2, …)")
        }
        run = RunFolder(path: arguments.positionals[0])
        self.rank = rank
        apply = arguments.flag("--yes")
        keep = arguments.flag("--keep")
        directory = arguments.value("--out").map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: run.url.standardizedFileURL.path + "-verify-\(rank)")

        let artifact = try RunArtifact.read(from: run.artifactURL)
        let diagnosis = try DiagnosisJSON.read(Diagnosis.self, from: run.diagnosisURL)
        before = try DiagnosisJSON.readEvidence(from: run.evidenceURL)
        guard rank <= diagnosis.findings.count else {
            throw UsageError(description: "the run has \(diagnosis.findings.count) finding(s); there is no #\(rank)")
        }
        finding = diagnosis.findings[rank - 1]
        guard finding.check == .missingIndex, let postgres = before.postgres,
              let fix = GeneratedIndexFix(fix: finding.fix, evidence: postgres) else {
            throw UsageError(description: "finding #\(rank) (\(finding.title)) has no fix strain can run: only a missing index's "
                             + "CREATE INDEX CONCURRENTLY that strain generates again from the run's evidence")
        }
        self.fix = fix

        guard let recorded = artifact.profile else { throw UsageError(description: "the run did not record its profile") }
        let profile = try ProfileLoader.load(path: recorded.path)
        guard SHA256.hexDigest(Array(profile.source.text.utf8)) == recorded.sha256 else {
            throw UsageError(description: "\(recorded.path) changed since the run: a rerun would not measure the same thing")
        }
        profilePath = recorded.path
        overrides = artifact.overrides ?? []
        do {
            rerunOptions = try ProfileOverrides.words(ofRecorded: overrides)
        } catch {
            throw UsageError(description: "\(run.artifactURL.path): \(error)")
        }
        guard let options = profile.diagnose,
              let conninfo = try DiagnoseSettings(options, environment: ProcessInfo.processInfo.environment).postgres else {
            throw UsageError(description: "the profile names no database (diagnose.postgres)")
        }
        self.conninfo = conninfo
        let connection = try PGConnection(conninfo: conninfo)
        // Its checks call built-ins, which the database's search path must not stand in for; the
        // index's table is named with its schema, as the plan named it.
        _ = try connection.isolateFromSearchPath()
        let identity = try connection.execute("SELECT current_database() AS db, coalesce(host(inet_server_addr()), 'localhost') AS host")
        database = identity.value(row: 0, column: "db") ?? ""
        host = identity.value(row: 0, column: "host") ?? ""
        guard database == postgres.database else {
            throw UsageError(description: "the profile's database is now \(database), but the run diagnosed \(postgres.database)")
        }
        // A name is not an identity: another server may hold a database of the same name.
        if let diagnosed = postgres.systemIdentifier, let now = connection.systemIdentifier(), now != diagnosed {
            throw UsageError(description: "the profile's database \(database) is now on another server (system identifier \(now), "
                             + "the run diagnosed \(diagnosed))")
        }
        guard profile.target.allows(host: host) else {
            throw UsageError(description: "the database host \(host) is not in the profile's target.allow list")
        }
    }

    var description: String {
        """
        Finding #\(rank): \(finding.title)
        On database \(database) at \(host):
          1. \(fix.createStatement)
          2. rerun \(([profilePath] + overrides).joined(separator: " ")) and compare it with \(run.url.path)
          3. \(keep ? "keep the index (--keep)" : fix.dropStatement)
        """
    }

    func execute(output: Output) throws -> ExitStatus {
        // Checked before the index is built: an earlier verification's rerun is not written over.
        let after = directory.appendingPathComponent("after")
        if RunFile.problemWritingRun(into: after) != nil {
            throw UsageError(description: "\(directory.path) holds an earlier verification (after/ has its rerun): give --out "
                             + "another folder, or remove that one first")
        }
        let connection = try PGConnection(conninfo: conninfo)
        _ = try connection.isolateFromSearchPath()
        // Only what this command creates may be dropped by it.
        let nameTaken = fix.suggestion.nameTakenQuery
        if try connection.execute(nameTaken.sql, parameters: nameTaken.parameters).value(row: 0, column: "taken") == "t" {
            throw UsageError(description: "\(fix.qualifiedIndex) already exists: nothing to verify, and it is not strain's to drop")
        }
        output.error("strain verify: \(fix.createStatement)")
        // Ctrl-C (or SIGTERM) during the build cancels it on the server: left to the default action, the
        // process would exit and the server would finish an index nobody drops.
        let cancel = try connection.cancelRequest()
        let interrupted = DispatchSemaphore(value: 0)
        let signals = SignalWatcher(onStop: { _ in
            interrupted.signal()
            try? cancel.send()
        })
        do {
            try connection.execute(fix.createStatement)
            signals.cancel()
            // The signal came as the build finished, too late to cancel it: the index is built, and dropped.
            if interrupted.wait(timeout: .now()) == .success {
                output.error("strain verify: interrupted as the build finished: \(fix.dropStatement)")
                try connection.execute(fix.dropStatement)
                return .interrupted
            }
        } catch {
            signals.cancel()
            // A failed concurrent build leaves an invalid index behind: drop it, unless the build
            // failed because another session created an index of that name meanwhile (not ours).
            let sqlState = (error as? PostgresError)?.sqlState
            if sqlState != "42P07" {
                _ = try? connection.execute(fix.dropStatement)
            }
            if sqlState == "57014" {
                output.error("strain verify: interrupted during the build: it was cancelled and \(fix.dropStatement)")
                return .interrupted
            }
            throw error
        }
        let rerun = RunCommand.run([profilePath, "--quiet", "--out", after.path] + rerunOptions,
                                   output: output)
        if !keep {
            output.error("strain verify: \(fix.dropStatement)")
            try connection.execute(fix.dropStatement)
        }
        // An invalid rerun still measured something: keep it, marked invalid, and exit 4.
        guard [.ok, .thresholdsFailed, .invalidRun].contains(rerun) else { return rerun }
        let afterEvidence = try DiagnosisJSON.readEvidence(from: RunFile.evidence.url(in: after))
        func observation(_ evidence: Evidence) -> VerifyResult.StatementObservation {
            VerifyResult.StatementObservation(meanSeconds: fix.meanSeconds(in: evidence.postgres), plan: fix.scans(in: evidence.postgres))
        }
        let result = try VerifyResult(rank: rank, finding: finding, fix: fix.createStatement, rollback: keep ? nil : fix.dropStatement,
                                      before: run, beforeStatement: observation(before), after: RunFolder(url: after),
                                      afterStatement: observation(afterEvidence))
        try DiagnosisJSON.write(result, to: RunFile.verify.url(in: directory))
        try AtomicFile.write(Data(result.markdown.utf8), to: RunFile.verifyMarkdown.url(in: directory))
        try AtomicFile.write(Data(result.html.utf8), to: RunFile.verifyHTML.url(in: directory))
        output.print(result.terminal)
        output.print("Results: " + [RunFile.verify, .verifyMarkdown, .verifyHTML].map { "\(directory.path)/\($0.name)" }
            .joined(separator: "\n         "))
        return result.invalidity.isEmpty ? .ok : .invalidRun
    }
}

import Foundation
import StrainContract
import StrainReport

enum MergeCommand: Command {
    static let name = "merge"
    static let summary = "combine the run folders of a scaled-out run's shards into one run, exactly"
    static let usage = "usage: strain merge SHARD-DIR… --out DIR"
    static let help = """
    \(usage)

    Combines the folders written by 'strain run --shard I/N' (or --shards N in a Kubernetes Indexed
    Job) into one run folder, as if one process had driven the whole load: latency and phase
    histograms merge exactly, counts, statuses and errors add up, and the timelines are aligned on the
    wall clock. The merged run is valid when every shard is (an invalid shard's reasons are listed
    under its index); its recorded thresholds are evaluated once, on the merge. run.json,
    timeline.ndjson and the usual reports are written to --out. Shards' diagnoses are not merged
    (each shard diagnosed the same system over its own window): merge names the folders that have one.

    exit status: 0 every threshold held, 1 a threshold failed, 4 a shard is invalid, 6 a shard stopped
    before its plan was done, 2 the folders are not all the shards of one run (different profiles or
    shard counts, a missing or duplicated index, an unreadable folder) or add up past what a run file
    holds (nothing is written then), 5 the output could not be written.
    """

    static func run(_ words: [String], output: Output) -> ExitStatus {
        let arguments: Arguments
        let out: URL
        do {
            arguments = try Arguments(words, flags: [], options: ["--out"])
            guard let path = arguments.value("--out") else { throw UsageError(description: "--out DIR is required") }
            guard !arguments.positionals.isEmpty else { throw UsageError(description: "no shard folders given") }
            out = URL(fileURLWithPath: path)
            // Writing the merge into a shard's folder would overwrite that shard's own run.
            let outPath = out.resolvingSymlinksInPath().standardizedFileURL.path
            if let shard = arguments.positionals.first(where: { URL(fileURLWithPath: $0).resolvingSymlinksInPath().standardizedFileURL.path == outPath }) {
                throw UsageError(description: "--out \(path) is the shard folder \(shard); merge into a folder of its own")
            }
        } catch {
            output.error("strain merge: \(error)\n\(usage)")
            return .badInput
        }
        let shards: [ShardMerge.Input]
        do {
            shards = try ShardMerge.ordered(arguments.positionals.map(read))
        } catch {
            output.error("strain merge: \(error)")
            return .badInput
        }
        if let problem = RunFile.problemWritingRun(into: out) {
            output.error("strain merge: \(problem)")
            return .badInput
        }
        let artifact = ShardMerge.artifact(of: shards)
        // Shards each within the format's limits can add up past them (two asking 10^12/s): what is
        // written must be a run `strain report` reads, so it is read back before anything is written.
        do {
            _ = try RunArtifact.decode(try artifact.encoded(), path: "the merged run.json")
        } catch {
            output.error("strain merge: the shards do not make a valid run together: \(error)")
            return .badInput
        }
        let folder = RunFolder(url: out)
        let withoutTimeline: [String]
        do {
            try OutputFolder.create(out)
            withoutTimeline = try mergeTimelines(of: shards, into: folder)
        } catch let error as BadShardTimeline {
            // Nothing of the merge is left: no run.json was written, and the timeline goes.
            try? FileManager.default.removeItem(at: folder.timelineURL)
            output.error("strain merge: \(error.description)")
            return .badInput
        } catch {
            output.error("strain merge: cannot write \(out.path): \(error)")
            return .infrastructure
        }
        let report: RunReport
        do {
            try artifact.write(to: folder.artifactURL)
            report = try ReportWriter.writeAll(in: folder, profile: nil)
        } catch {
            output.error("strain merge: cannot write \(out.path): \(error)")
            return .infrastructure
        }
        let color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        output.print(TerminalReport.render(report, color: color), styled: color)
        output.print("Merged \(shards.count) shards: \(out.path)/")
        let diagnosed = shards.map { RunFolder(path: $0.name) }.filter { FileManager.default.fileExists(atPath: $0.diagnosisURL.path) }
        if !diagnosed.isEmpty {
            output.print("note: the shards' diagnoses are not merged (each diagnosed the same system over its own window); "
                         + "read them in " + diagnosed.map(\.diagnosisURL.path).joined(separator: ", "))
        }
        // A run writes its timeline from its first instant: one missing was lost or left out of a copy.
        if !withoutTimeline.isEmpty {
            let one = withoutTimeline.count == 1
            output.print("note: " + withoutTimeline.joined(separator: ", ") + (one ? " has" : " have")
                         + " no timeline.ndjson: the merged totals count \(one ? "its" : "their") requests, the merged timeline does not")
        }
        return Gate.exitStatus(of: report)
    }

    /// One shard's run.json; its timeline is read as it is merged (`mergeTimelines`).
    private static func read(_ path: String) throws -> ShardMerge.Input {
        let folder = RunFolder(path: path)
        return ShardMerge.Input(name: folder.url.path, artifact: try RunArtifact.read(from: folder.artifactURL))
    }

    /// A shard's timeline that cannot be merged: a corrupt line, or intervals out of order.
    private struct BadShardTimeline: Error, CustomStringConvertible {
        let description: String
    }

    /// Writes the shards' merged timeline into `folder`, an interval at a time: a day's run has tens
    /// of thousands, each with its histograms, so the shards' timelines are walked side by side
    /// rather than read whole (which took some 125 times a timeline's size in memory). A shard
    /// without a timeline merges as an empty one; returns those shards' folders.
    private static func mergeTimelines(of shards: [ShardMerge.Input], into folder: RunFolder) throws -> [String] {
        var cursors: [TimelineCursor?] = []
        var withoutTimeline: [String] = []
        for shard in shards {
            let url = RunFolder(path: shard.name).timelineURL
            guard FileManager.default.fileExists(atPath: url.path) else {
                cursors.append(nil)
                withoutTimeline.append(shard.name)
                continue
            }
            do {
                cursors.append(try TimelineCursor(url: url))
            } catch {
                throw BadShardTimeline(description: error.description)
            }
        }
        let timeline = try TimelineWriter(url: folder.timelineURL)
        defer { timeline.close() }
        do {
            try ShardMerge.mergeTimelines(startedAt: shards.map(\.artifact.startedAt), next: { try cursors[$0]?.next() },
                                          write: { try timeline.append($0) })
        } catch let error as TimelineError {
            throw BadShardTimeline(description: error.description)
        } catch let error as ShardMerge.OutOfOrder {
            throw BadShardTimeline(description: "\(RunFolder(path: shards[error.shard].name).timelineURL.path): an interval starts at "
                                   + "\(error.start) s, before the one above it; a run writes its intervals in order")
        }
        // As run.json: intervals each valid can merge into one past the format's limits (a start
        // beyond them once shifted to the earliest shard's clock).
        do {
            try TimelineReader.read(from: folder.timelineURL) { _ in }
        } catch {
            throw BadShardTimeline(description: "the shards' timelines do not make a valid timeline together: \(error)")
        }
        return withoutTimeline
    }
}

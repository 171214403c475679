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
    shard counts, a missing or duplicated index, an unreadable folder), 5 the output could not be written.
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
        let report: RunReport
        do {
            try OutputFolder.create(out)
            let folder = RunFolder(url: out)
            try artifact.write(to: folder.artifactURL)
            let timeline = try TimelineWriter(url: folder.timelineURL)
            defer { timeline.close() }
            for interval in ShardMerge.timeline(of: shards) { try timeline.append(interval) }
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
        return Gate.exitStatus(of: report)
    }

    /// One shard's run.json and timeline (a folder without a timeline merges with an empty one).
    private static func read(_ path: String) throws -> ShardMerge.Input {
        let folder = RunFolder(path: path)
        let artifact = try RunArtifact.read(from: folder.artifactURL)
        let hasTimeline = FileManager.default.fileExists(atPath: folder.timelineURL.path)
        return ShardMerge.Input(name: folder.url.path, artifact: artifact,
                                timeline: hasTimeline ? try TimelineReader.read(from: folder.timelineURL) : [])
    }
}

import Foundation
import StrainContract
import StrainProfile
import StrainTestSupport
@testable import StrainLoad

/// Runs a profile written inline against the test servers and returns what the run produced; the
/// output folder is removed afterwards, its files read first.
struct LoadOutcome {
    let result: RunResult
    let timeline: [TimelineInterval]
    let artifactOnDisk: RunArtifact

    var artifact: RunArtifact { result.artifact }

    func step(_ scenario: Int = 0, _ step: Int = 0) -> StepResult {
        artifact.scenarios[scenario].steps[step]
    }
}

func runLoad(_ profileText: String, workers: Int = 1, environment: [String: String] = [:],
             files: [String: String] = [:]) throws -> LoadOutcome {
    let directory = try TestProfile.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    for (name, contents) in files {
        try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    let profile = try TestProfile.parse(profileText, directory: directory)
    let output = directory.appendingPathComponent("run")
    let result = try LoadRun.run(profile, engines: [HTTPEngineFactory(), PostgresEngineFactory()], options: RunOptions(
        workers: workers, outputDirectory: output, environment: environment, tool: ToolInfo(version: "test")))
    return LoadOutcome(result: result, timeline: try TimelineReader.read(from: result.timelineURL),
                       artifactOnDisk: try RunArtifact.read(from: result.artifactURL))
}

/// `target: { … }` for the test nginx over plain HTTP/1.1.
var plainTarget: String {
    #"target: { baseURL: "\#(TestServers.httpURL)" }"#
}

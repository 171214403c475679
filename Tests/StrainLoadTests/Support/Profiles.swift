import Foundation
import StrainProfile
import Testing
@testable import StrainLoad

/// Profiles written inline in tests, validated like any profile file.
enum TestProfile {
    /// Parses JSON5 profile text; relative files resolve against `directory`.
    static func parse(_ text: String, directory: URL = FileManager.default.temporaryDirectory) throws -> Profile {
        try ProfileLoader.parse(text, path: "test.json5", baseDirectory: directory)
    }

    /// A fresh folder for a test's files, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("strain-load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// An iteration of `profile`'s first scenario, for exercising rendering, checks and extraction.
func makeIteration(_ profile: Profile, environment: [String: String] = [:], seed: UInt64 = 1) throws -> Iteration {
    let inputs = try RunInputs(profile: profile, environment: environment)
    let random = WorkerRandom(seed: seed)
    let feeders = Array(inputs.feeders.indices)
    let rows = try #require(Iteration.pickFeederRows(feeders, inputs: inputs, random: random))
    return Iteration(scenario: 0, workerScenario: 0, start: .init(intended: 0, user: nil, delayed: false),
                     feederRows: rows, inputs: inputs, random: random)
}

import Foundation
import Testing
@testable import StrainProfile

/// Every profile in `profiles/` is documentation that must keep working.
struct ExampleProfileTests {
    static let profilesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("profiles")

    static let examples: [String] = (try? FileManager.default.contentsOfDirectory(atPath: profilesDirectory.path))?
        .filter { $0.hasSuffix(".json5") }.sorted() ?? []

    static func load(_ file: String) throws -> Profile {
        try ProfileLoader.load(path: profilesDirectory.appendingPathComponent(file).path)
    }

    @Test func thereAreAtLeastFourExamples() {
        #expect(Self.examples.count >= 4)
    }

    @Test(arguments: examples)
    func exampleValidatesAndIsNamedAfterItsFile(_ file: String) throws {
        let profile = try Self.load(file)
        #expect(profile.name == (file as NSString).deletingPathExtension)
        #expect(Plan(profile).describe().hasPrefix("Plan for \"\(profile.name)\""))
    }

    @Test(arguments: examples)
    func exampleOnlyTargetsThisMachine(_ file: String) throws {
        let profile = try Self.load(file)
        let loopback: Set<String> = ["127.0.0.1", "::1"]
        #expect(Set(profile.target.allowedHosts).isSubset(of: loopback))
        let probes = [profile.diagnose?.nodeExporter].compactMap { $0 } + (profile.diagnose?.dependencies.map(\.url) ?? [])
        for url in probes {
            #expect(url.host.map { loopback.contains($0) } == true, "\(url)")
        }
    }

    @Test(arguments: examples)
    func locatorUnderstandsEveryExample(_ file: String) throws {
        let text = try String(contentsOf: Self.profilesDirectory.appendingPathComponent(file), encoding: .utf8)
        let map = try SourceLocator.map(text)
        #expect(map.keys(of: .root)?.contains("scenarios") == true)
    }
}

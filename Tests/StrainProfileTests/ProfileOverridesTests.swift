import Foundation
import Testing
@testable import StrainProfile

/// `strain run PROFILE -d/--rate/-c/--threshold`: the profile's shape is kept, its size changes.
struct ProfileOverridesTests {
    static let profile = try! ProfileLoader.parse("""
    { name: "mix", target: { baseURL: "http://127.0.0.1:18080" },
      scenarios: [
        { name: "browse", load: { stages: [{ to: "30/s", over: "10s" }, { to: "30/s", over: "20s" }], maxConnections: 30 },
          steps: [{ path: "/a" }] },
        { name: "buy", load: { rate: "10/s", duration: "1m", maxConnections: 10 }, steps: [{ path: "/b" }] },
      ],
      thresholds: { errors: ["rate < 1%"] } }
    """, path: "mix.json5", baseDirectory: URL(fileURLWithPath: "/"))

    static func open(_ load: Load) -> OpenLoad? {
        if case .open(let open) = load { open } else { nil }
    }

    @Test func durationStretchesEveryScenarioInProportion() throws {
        let changed = try Self.profile.applying(ProfileOverrides(duration: TimeSpan(seconds: 6)))
        let browse = try #require(Self.open(changed.scenarios[0].load))
        #expect(browse.stages.map(\.duration.seconds) == [2, 4])
        #expect(browse.stages.map(\.target.perSecond) == [30, 30])
        #expect(Self.open(changed.scenarios[1].load)?.duration == TimeSpan(seconds: 6))
        #expect(Plan(changed).duration == TimeSpan(seconds: 6))
    }

    @Test func rateScalesThePeakAndKeepsEachShare() throws {
        let changed = try Self.profile.applying(ProfileOverrides(rate: Rate(perSecond: 400)))
        let browse = try #require(Self.open(changed.scenarios[0].load))
        #expect(browse.start == .zero)
        #expect(browse.stages.map(\.target.perSecond) == [300, 300])
        #expect(Self.open(changed.scenarios[1].load)?.start == Rate(perSecond: 100))
        #expect(changed.sharedLoad == nil)
    }

    @Test func connectionsSplitInProportionAtLeastOneEach() throws {
        let changed = try Self.profile.applying(ProfileOverrides(connections: 10))
        #expect(changed.scenarios.compactMap { Self.open($0.load)?.maxConnections } == [7, 3])
        let few = try Self.profile.applying(ProfileOverrides(connections: 2))
        #expect(few.scenarios.compactMap { Self.open($0.load)?.maxConnections } == [1, 1])
    }

    @Test func closedScenariosRunForTheDurationAndTakeConnections() throws {
        let closed = try ProfileLoader.parse("""
        { name: "c", target: { baseURL: "http://127.0.0.1:18080" },
          scenarios: [{ name: "c", load: { model: "closed", connections: 4, iterations: 100 }, steps: [{ path: "/" }] }] }
        """, path: "c.json5", baseDirectory: URL(fileURLWithPath: "/"))
        let changed = try closed.applying(ProfileOverrides(duration: TimeSpan(seconds: 5), connections: 32))
        #expect(changed.scenarios[0].load == .closed(ClosedLoad(connections: 32, bound: .duration(TimeSpan(seconds: 5)))))
        let error = try #require(throws: ValueError.self) { try closed.applying(ProfileOverrides(rate: Rate(perSecond: 5))) }
        #expect(error.message.hasPrefix("--rate: scenario \"c\" is closed-model"))
    }

    @Test func thresholdsAreAddedWithTheProfilesParserAndMessages() throws {
        let changed = try Self.profile.applying(ProfileOverrides(thresholds: ["browse.latency: p(99) < 300ms", "errors: count == 0"]))
        #expect(changed.thresholds.map(\.description) == Self.profile.thresholds.map(\.description) + [
            "browse.latency: p(99) < 300ms", "errors: count == 0"])

        // The same message as the profile's thresholds section gives for the same mistake.
        let inProfile = try #require(throws: ProfileError.self) {
            try ProfileLoader.parse("""
            { name: "mix", target: { baseURL: "http://127.0.0.1:18080" },
              scenarios: [{ name: "browse", load: { rate: "1/s", duration: "1s" }, steps: [{ path: "/a" }] }],
              thresholds: { "latncy": ["p(99) < 1s"] } }
            """, path: "p.json5", baseDirectory: URL(fileURLWithPath: "/"))
        }
        let onCommandLine = try #require(throws: ValueError.self) {
            try Self.profile.applying(ProfileOverrides(thresholds: ["latncy: p(99) < 1s"]))
        }
        #expect(onCommandLine.message == "--threshold \"latncy: p(99) < 1s\": \(inProfile.message)")
        #expect(onCommandLine.suggestion == inProfile.suggestion)
    }

    @Test func recordedAsCommandLineOptions() throws {
        let overrides = ProfileOverrides(duration: TimeSpan(seconds: 90), rate: Rate(perSecond: 50), connections: 8,
                                         thresholds: ["errors: rate < 1%"])
        #expect(overrides.recorded == ["--duration 1m30s", "--rate 50/s", "--connections 8", "--threshold errors: rate < 1%"])
        #expect(try ProfileOverrides.words(ofRecorded: overrides.recorded) == [
            "--duration", "1m30s", "--rate", "50/s", "--connections", "8", "--threshold", "errors: rate < 1%"])
        // The words read back as the same durations and rates.
        #expect(try TimeSpan(parsing: "1m30s") == overrides.duration)
        #expect(try Rate(parsing: "50/s") == overrides.rate)
    }

    /// run.json is a file from elsewhere: overrides strain never records (an output folder, a metrics
    /// destination) must not steer `strain verify`'s rerun.
    @Test(arguments: ["--out /elsewhere", "--output prometheus=http://198.51.100.7/api/v1/write", "--quiet"])
    func overridesStrainDoesNotRecordAreRefused(override: String) {
        let error = #expect(throws: ValueError.self) { try ProfileOverrides.words(ofRecorded: ["--rate 5/s", override]) }
        #expect(error?.message.hasPrefix("overrides[1]: \"\(override)\" is no override strain records") == true)
    }
}

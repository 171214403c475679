import StrainProfile
import Testing
@testable import StrainLoad

/// Which connections the self-check expects a closed-model HTTP run to have opened: on each worker, as
/// many as its users, or as its requests when it sent fewer.
@Suite("Self-check: connections a closed-model run should have opened")
struct ConnectionExpectationTests {
    static let profile = """
        { name: "gate", target: { baseURL: "http://127.0.0.1:1" },
          scenarios: [{ name: "home", load: { model: "closed", connections: 2, iterations: 50 }, steps: [{ path: "/" }] }] }
        """

    @Test("Per worker: its users, or its requests when it sent fewer", arguments: [
        // Both workers' users started: both connections were needed.
        (sent: [0: [0: UInt64(25)], 1: [0: UInt64(25)]], asked: UInt64(2)),
        // One worker spent the shared budget before the other's thread ran: one connection was needed.
        (sent: [0: [0: UInt64(50)]], asked: UInt64(1)),
        (sent: [0: [0: UInt64(50)], 1: [0: UInt64(0)]], asked: UInt64(1)),
        // Nothing was sent (every request refused before sending).
        (sent: [:], asked: UInt64(0)),
    ] as [(sent: [Int: [Int: UInt64]], asked: UInt64)])
    func perWorker(sent: [Int: [Int: UInt64]], asked: UInt64) throws {
        let profile = try TestProfile.parse(Self.profile)
        let layout = LoadLayout(profile)
        var opened = StepTally()
        opened.add(1, to: .newConnections)
        let expectations = LoadRun.connectionExpectations(profile, layout: layout, totals: [opened],
                                                          users: [0: [0: 1], 1: [0: 1]], sent: sent)
        #expect(expectations.map(\.asked) == [asked])
        #expect(expectations.map(\.established) == [1])
    }
}

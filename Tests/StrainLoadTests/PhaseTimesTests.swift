import StrainContract
import Testing
@testable import StrainLoad

/// PhaseTimes keeps a slot per catalogue phase; these check every phase has one of its own.
struct PhaseTimesTests {
    @Test func everyPhaseOfTheCatalogueFits() {
        #expect(Phase.allCases.count <= PhaseTimes.capacity)
        #expect(Phase.allCases.map(\.rawValue) == Array(0..<Phase.allCases.count))
    }

    @Test func eachPhaseIsSetReadAndClearedOnItsOwn() {
        var times = PhaseTimes()
        for phase in Phase.allCases { #expect(times[phase] == nil) }
        for phase in Phase.allCases { times[phase] = UInt64(phase.rawValue) * 1_000 + 7 }
        for phase in Phase.allCases { #expect(times[phase] == UInt64(phase.rawValue) * 1_000 + 7) }
        times[.tls] = nil
        times[.dns] = 0
        for phase in Phase.allCases where phase != .tls && phase != .dns {
            #expect(times[phase] == UInt64(phase.rawValue) * 1_000 + 7)
        }
        #expect(times[.tls] == nil)
        #expect(times[.dns] == 0)
    }

    @Test(arguments: [[], [Phase.dns], [.connect, .ttfb, .download, .total], Phase.allCases, [.schedulerLag, .dns]])
    func onlyTheMeasuredPhasesAreVisitedInCatalogueOrder(_ set: [Phase]) {
        var times = PhaseTimes()
        for phase in set { times[phase] = 100 + UInt64(phase.rawValue) }
        var visited: [Phase] = []
        times.forEachMeasured { phase, value in
            #expect(value == 100 + UInt64(phase.rawValue))
            visited.append(phase)
        }
        #expect(visited == set.sorted { $0.rawValue < $1.rawValue })
    }

    @Test func aTallyRecordsEveryPhaseUnderItsCatalogueName() {
        var outcome = StepOutcome(sentAt: 0, finishedAt: 100, status: .http(200))
        for phase in Phase.allCases { outcome.phases[phase] = 10 + UInt64(phase.rawValue) }
        var tally = StepTally()
        tally.record(outcome, intended: 0)
        let result = tally.stepResult(name: "step", hiding: [])
        #expect(Set(result.phases.keys) == Set(Phase.allCases.map(\.name)))
        for phase in Phase.allCases { #expect(result.phases[phase.name]?.max == 10 + UInt64(phase.rawValue)) }
    }
}

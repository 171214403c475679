import Testing
@testable import StrainLoad

@Suite("iteration scheduling")
struct IterationSchedulerTests {
    /// 100/s for 1 s: arrivals every 10 ms, at 0 … 1 s.
    static func constantPacer(rate: Double = 100, seconds: Double = 1, slot: Int = 0, share: Int = 1) -> Pacer {
        Pacer(curve: ArrivalCurve([.init(duration: seconds, fromRate: rate, toRate: rate)]), arrival: .constant,
              slot: slot, share: share)
    }

    /// Everything due at `now`.
    static func due(_ scheduler: inout IterationScheduler, at now: UInt64) -> [IterationScheduler.Start] {
        var starts: [IterationScheduler.Start] = []
        while let start = scheduler.nextStart(now: now) { starts.append(start) }
        return starts
    }

    @Test func openModelStartsArrivalsAtTheirIntendedTimes() {
        var scheduler = IterationScheduler(open: Self.constantPacer(), slots: 10, backlogLimit: 100)
        #expect(Self.due(&scheduler, at: 0).map(\.intended) == [0])
        #expect(scheduler.nextWakeup == 10_000)
        // Woken 5 ms late: the arrival keeps its intended time, so its latency includes the lag.
        let late = Self.due(&scheduler, at: 15_000)
        #expect(late == [.init(intended: 10_000, user: nil, delayed: false)])
        #expect(scheduler.takeMissed() == .init())
    }

    @Test func arrivalsThatFindEverySlotBusyWaitWithTheirIntendedTimeAndAreCounted() {
        var scheduler = IterationScheduler(open: Self.constantPacer(), slots: 1, backlogLimit: 100)
        let first = Self.due(&scheduler, at: 0)
        #expect(first.count == 1)
        // The slot stays busy for 35 ms: the arrivals at 10, 20 and 30 ms must wait.
        #expect(Self.due(&scheduler, at: 35_000).isEmpty)
        #expect(scheduler.takeMissed() == .init(delayed: 3, dropped: 0))
        scheduler.finished(first[0], at: 35_000)
        let waited = Self.due(&scheduler, at: 35_000)
        #expect(waited == [.init(intended: 10_000, user: nil, delayed: true)])
        scheduler.finished(waited[0], at: 36_000)
        #expect(Self.due(&scheduler, at: 36_000).map(\.intended) == [20_000])
    }

    @Test func aFullBacklogDropsArrivalsAndCountsThem() {
        var scheduler = IterationScheduler(open: Self.constantPacer(), slots: 1, backlogLimit: 2)
        _ = Self.due(&scheduler, at: 0)
        _ = Self.due(&scheduler, at: 50_000) // arrivals at 10 … 50 ms: two wait, three are dropped
        #expect(scheduler.takeMissed() == .init(delayed: 2, dropped: 3))
        scheduler.abandonBacklog()
        #expect(scheduler.takeMissed() == .init(delayed: 0, dropped: 2))
    }

    @Test func theOpenModelEndsWithTheCurveAndItsBacklog() {
        var scheduler = IterationScheduler(open: Self.constantPacer(rate: 2, seconds: 1), slots: 1, backlogLimit: 10)
        let starts = Self.due(&scheduler, at: 2_000_000)
        #expect(starts.count == 1)
        #expect(scheduler.willStartMore) // the second arrival waits for the slot
        scheduler.finished(starts[0], at: 2_000_000)
        let next = Self.due(&scheduler, at: 2_000_000)
        scheduler.finished(next[0], at: 2_000_000)
        let last = Self.due(&scheduler, at: 2_000_000)
        // 2/s for 1 s: two arrivals, at 0 and 0.5 s (none at the end).
        #expect((next + last).map(\.intended) == [500_000])
        #expect(!scheduler.willStartMore)
        #expect(scheduler.nextWakeup == nil)
    }

    @Test func closedModelUsersRunBackToBackWithThinkTime() {
        var scheduler = IterationScheduler(closedUsers: 2, thinkTime: 100_000, end: 1_000_000, budget: nil)
        let starts = Self.due(&scheduler, at: 0)
        #expect(starts.map(\.user) == [0, 1])
        #expect(scheduler.nextWakeup == nil) // both busy
        scheduler.finished(starts[1], at: 30_000)
        #expect(scheduler.nextWakeup == 130_000)
        #expect(Self.due(&scheduler, at: 129_999).isEmpty)
        #expect(Self.due(&scheduler, at: 130_000) == [.init(intended: 130_000, user: 1, delayed: false)])
    }

    @Test func closedModelUsersRetireAtTheEnd() {
        var scheduler = IterationScheduler(closedUsers: 1, thinkTime: 0, end: 1_000_000, budget: nil)
        let first = Self.due(&scheduler, at: 0)
        scheduler.finished(first[0], at: 999_000)
        #expect(scheduler.willStartMore)
        let second = Self.due(&scheduler, at: 999_000)
        #expect(second.count == 1)
        scheduler.finished(second[0], at: 1_000_500)
        #expect(!scheduler.willStartMore)
        #expect(Self.due(&scheduler, at: 1_000_500).isEmpty)
    }

    @Test func aSharedIterationBudgetIsExactAcrossWorkers() {
        let budget = IterationBudget(iterations: 5)
        var schedulers = (0..<2).map { _ in IterationScheduler(closedUsers: 2, thinkTime: 0, end: nil, budget: budget) }
        var started = 0
        for round in 0..<10 {
            for index in schedulers.indices {
                for start in Self.due(&schedulers[index], at: UInt64(round)) {
                    started += 1
                    schedulers[index].finished(start, at: UInt64(round))
                }
            }
        }
        #expect(started == 5)
        #expect(schedulers.allSatisfy { !$0.willStartMore })
    }

    @Test func stopEndsTheClosedModelOnceRunningUsersFinish() {
        var scheduler = IterationScheduler(closedUsers: 3, thinkTime: 0, end: nil, budget: nil)
        let starts = Self.due(&scheduler, at: 0)
        scheduler.finished(starts[0], at: 10)
        scheduler.stop()
        #expect(scheduler.willStartMore == true) // two still running
        scheduler.finished(starts[1], at: 20)
        scheduler.finished(starts[2], at: 20)
        #expect(!scheduler.willStartMore)
    }

    @Test(arguments: [(connections: 64, workers: 2, parts: [32, 32]), (connections: 5, workers: 2, parts: [3, 2]),
                      (connections: 1, workers: 4, parts: [1])])
    func connectionsAreSplitExactlyOverWorkers(connections: Int, workers: Int, parts: [Int]) {
        let shares = ScenarioShare.split(scenario: 0, part: ScenarioPart(connections: connections, concurrency: connections),
                                         workers: workers, budget: nil)
        #expect(shares.count == workers)
        #expect(shares.compactMap { $0?.concurrency } == parts)
        #expect(shares.compactMap { $0 }.allSatisfy { $0.sharers == parts.count })
    }
}

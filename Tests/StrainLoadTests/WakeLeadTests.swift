import Testing
@testable import StrainLoad

@Suite("waking ahead of a deadline")
struct WakeLeadTests {
    /// Feeds `count` sleeps whose overshoots cycle through `overshoots`; the lead they leave.
    static func lead(after overshoots: [UInt64], count: Int) -> UInt64 {
        var wakeLead = WakeLead()
        for index in 0..<count {
            wakeLead.observe(asked: 1_000, woke: 1_000 + overshoots[index % overshoots.count])
        }
        return wakeLead.lead
    }

    @Test func theLeadSettlesAtTheMedianOvershoot() {
        // Overshoots of 30, 40 and 55 µs: the median is 40.
        let lead = Self.lead(after: [30, 55, 40], count: 3_000)
        #expect((39...41).contains(lead))
    }

    @Test func aHostThatWakesLateByMillisecondsCannotMakeAWorkerSpinLonger() {
        #expect(Self.lead(after: [5_000], count: 10_000) == WakeLead.maximum)
    }

    @Test func aWakeByASocketBeforeTheAskedTimeSaysNothingAboutTheTimer() {
        var wakeLead = WakeLead()
        for _ in 0..<100 { wakeLead.observe(asked: 1_000, woke: 1_040) }
        let settled = wakeLead.lead
        for _ in 0..<100 { wakeLead.observe(asked: 1_000, woke: 600) }
        #expect(wakeLead.lead == settled)
    }

    @Test(arguments: [
        (lead: 0 as UInt64, deadline: 500 as UInt64, now: 100 as UInt64, wake: 500 as UInt64),
        (lead: 40, deadline: 500, now: 100, wake: 460),
        (lead: 40, deadline: 500, now: 480, wake: 480), // within the lead: poll without sleeping
        (lead: 40, deadline: 20, now: 0, wake: 0), // never before the run's start
    ])
    func theWakeIsTheLeadAheadOfTheDeadlineButNeverBeforeNow(lead: UInt64, deadline: UInt64, now: UInt64, wake: UInt64) {
        var wakeLead = WakeLead()
        for _ in 0..<lead { wakeLead.observe(asked: 0, woke: 1_000) }
        #expect(wakeLead.lead == lead)
        #expect(wakeLead.wakeTime(for: deadline, now: now) == wake)
    }
}

/// On the shared 2-core test machine (one core busy in CI) a run's scheduler may start iterations
/// late: the self-check then rightly calls the run invalid (exit 4). A test about something else
/// accepts that exit when lateness is the only reason given, and nothing else.
enum LateStarts {
    /// How `SelfCheck` words it.
    static let reason = "the scheduler started iterations late"

    /// Exit 0, or exit 4 for late starts alone (`reasons`: the run's invalidity reasons, or
    /// `strain verify`'s, which say which run: "before: the scheduler started …").
    static func isCleanExit(_ status: Int32, invalidity reasons: [String]) -> Bool {
        status == 0 || (status == 4 && !reasons.isEmpty && reasons.allSatisfy { $0.contains(reason) })
    }
}

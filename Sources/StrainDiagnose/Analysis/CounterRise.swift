extension FixedWidthInteger {
    /// How far a cumulative counter rose from `start` to `self`: 0 when it fell (the statistics were
    /// reset) or the two cannot be subtracted (an evidence file edited by hand can hold any value).
    func rise(since start: Self) -> Self {
        let (difference, overflow) = subtractingReportingOverflow(start)
        return overflow || difference < 0 ? 0 : difference
    }
}

extension UInt64 {
    /// `self + other`, or `UInt64.max` where that would overflow: counts read from files (run folders,
    /// timelines, evidence) can claim any value, and adding them must not trap.
    @inlinable
    public func addingSaturated(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}

import StrainContract

extension StatementSample {
    /// The sample of `statement` (a pg_stat_statements entry): the same `query_id`, else, without
    /// one, the same normalised text (literals and $n both normalise to `?`).
    static func of(_ statement: StatementActivity, in samples: [StatementSample]) -> StatementSample? {
        if let byID = samples.first(where: { $0.queryID == statement.queryID }) { return byID }
        let normalised = StatementFingerprint.normalised(statement.query)
        return samples.first { $0.queryID == nil && StatementFingerprint.normalised($0.query) == normalised }
    }
}

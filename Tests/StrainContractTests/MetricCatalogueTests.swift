import Testing
import StrainContract

/// The catalogue's names are the keys of every run.json ever written: renaming one would make old
/// folders read as if the metric were never measured, so they are pinned here.
struct MetricCatalogueTests {
    @Test func phaseAndCounterKeysAreTheArtifactFormat() {
        // Added names are read by older builds as phases they do not know (listed last): only a rename breaks.
        #expect(Phase.allCases.map(\.name) == ["dns", "connect", "tls", "ttfb", "download", "total", "poolWait",
                                               "transaction", "schedulerLag", "unanswered"])
        #expect(Counter.allCases.map(\.name) == ["bytesIn", "bytesOut", "newConnections", "reusedConnections", "checks",
                                                 "checkFailures", "missed", "dropped", "unfinished", "rows", "rollbacks",
                                                 "reconnects", "truncatedBodies", "notSent"])
        for phase in Phase.allCases { #expect(Phase(name: phase.name) == phase) }
        #expect(Phase(name: "latency") == nil)
    }

    @Test(arguments: [
        (Metric.latency, Metric.Kind.duration, nil, MetricUnit.seconds, MetricUnit.seconds, nil),
        (.serviceTime, .duration, nil, .seconds, .seconds, nil),
        (.dns, .duration, Phase.dns, .seconds, .seconds, ScenarioKind.http),
        (.connect, .duration, .connect, .seconds, .seconds, .http),
        (.tls, .duration, .tls, .seconds, .seconds, .http),
        (.ttfb, .duration, .ttfb, .seconds, .seconds, .http),
        (.poolWait, .duration, .poolWait, .seconds, .seconds, .postgres),
        (.errors, .count, nil, .count, .fraction, nil),
        (.requests, .count, nil, .count, .perSecond, nil),
        (.checks, .count, nil, .count, .fraction, nil),
        // A count only: its rate is not allowed (the unit is that of the other counts').
        (.dropped, .count, nil, .count, .fraction, nil),
    ] as [(Metric, Metric.Kind, Phase?, MetricUnit, MetricUnit, ScenarioKind?)])
    func everyMetricSaysWhatItIs(metric: Metric, kind: Metric.Kind, phase: Phase?, countUnit: MetricUnit,
                                 rateUnit: MetricUnit, only: ScenarioKind?) {
        #expect(metric.kind == kind)
        #expect(metric.phase == phase)
        #expect(metric.unit(rate: false) == countUnit)
        #expect(metric.unit(rate: true) == rateUnit)
        #expect(metric.measuredOnly == only)
        #expect(metric.aggregations == (kind == .duration ? ["p(N)", "avg", "min", "max", "med"]
                                        : metric == .requests ? ["count", "rate"] : metric == .dropped ? ["count"] : ["rate", "count"]))
    }

    /// A metric added to the catalogue must be added to the table above.
    @Test func theTableAboveCoversTheCatalogue() {
        #expect(Metric.allCases.count == 11)
    }
}

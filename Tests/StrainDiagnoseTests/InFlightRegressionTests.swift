import Foundation
import Testing
@testable import StrainDiagnose

/// The service's runnable threads against each endpoint's requests in flight: which endpoint's
/// requests compute and which wait, whatever else is in flight with them.
struct InFlightRegressionTests {
    /// A fixed sequence in [0, 1), so every run sees the same samples.
    struct Uniform {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
    }

    /// The report computes (a thread per request in flight), checkout waits on a pool and is in
    /// flight mostly while a report is (arrivals in step, a shorter time), the product page computes
    /// a little; a background thread is runnable a fifth of the time.
    @Test func ratesSeparateAComputingEndpointFromOneInFlightBesideIt() throws {
        var random = Uniform(state: 42)
        var regression = try #require(InFlightRegression(names: ["report", "checkout", "product", "idle"]))
        for _ in 0..<600 {
            let report = random.next() < 0.3 ? 1 : 0
            let checkout = report == 1 && random.next() < 0.4 ? 1 : (random.next() < 0.03 ? 1 : 0)
            let product = Int(random.next() * 3)
            var runnable = report + (random.next() < 0.2 ? 1 : 0)
            for _ in 0..<product where random.next() < 0.3 { runnable += 1 }
            regression.add(runnable: runnable, inFlight: [report, checkout, product, 0])
        }
        let rates = regression.runnablePerRequest
        #expect(abs(try #require(rates["report"]) - 1) < 0.15, "\(rates)")
        #expect(try #require(rates["checkout"]) < 0.15, "\(rates)")
        #expect(abs(try #require(rates["product"]) - 0.3) < 0.1, "\(rates)")
        // Never in flight: no rate, rather than a guess.
        #expect(rates["idle"] == nil)
        #expect(regression.samples == 600)
    }

    @Test func tooManyEndpointsAreNotKept() {
        #expect(InFlightRegression(names: (0...InFlightRegression.maximumEndpoints).map { "e\($0)" }) == nil)
    }
}

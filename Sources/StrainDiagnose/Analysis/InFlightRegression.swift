import Foundation

/// The service's runnable threads set against the requests each endpoint had in flight at the same
/// instants: non-negative least squares of runnable = background + Σ rate(e) × inFlight(e). The
/// rate of an endpoint is how many threads one of its requests keeps running or waiting for a core
/// while in flight — near 1 for a request whose code computes, near 0 for one that waits (for a
/// pool, a lock, a call). Requests in flight vary from instant to instant whatever the arrival
/// process, so this measures per endpoint what the service's CPU clock only gives in total.
struct InFlightRegression {
    /// Past this many endpoints the normal equations grow too large to keep per sample.
    static let maximumEndpoints = 64
    /// An endpoint seen in flight in fewer samples has no rate.
    static let minimumSamplesInFlight = 10

    let names: [String]
    /// The normal equations, column 0 being the background (every sample's 1).
    private var products: [Double]
    private var targets: [Double]
    private var inFlightSamples: [Int]
    private(set) var samples = 0

    /// Nil when there are too many endpoints to keep.
    init?(names: [String]) {
        guard names.count <= Self.maximumEndpoints else { return nil }
        self.names = names
        let size = names.count + 1
        products = Array(repeating: 0, count: size * size)
        targets = Array(repeating: 0, count: size)
        inFlightSamples = Array(repeating: 0, count: names.count)
    }

    mutating func add(runnable: Int, inFlight: [Int]) {
        guard inFlight.count == names.count else { return }
        let size = names.count + 1
        let row = [1.0] + inFlight.map { Double(max(0, $0)) }
        for i in 0..<size where row[i] != 0 {
            targets[i] += row[i] * Double(runnable)
            for j in 0..<size where row[j] != 0 { products[i * size + j] += row[i] * row[j] }
        }
        for index in inFlight.indices where inFlight[index] > 0 { inFlightSamples[index] += 1 }
        samples += 1
    }

    /// Runnable threads per request in flight, per endpoint seen in flight often enough.
    var runnablePerRequest: [String: Double] {
        let size = names.count + 1
        var solution = Array(repeating: 0.0, count: size)
        // Projected Gauss–Seidel: each coordinate in turn to its least-squares value, kept at or above zero.
        for _ in 0..<500 {
            var change = 0.0
            for i in 0..<size where products[i * size + i] > 0 {
                var rest = targets[i]
                for j in 0..<size where j != i { rest -= products[i * size + j] * solution[j] }
                let value = max(0, rest / products[i * size + i])
                change = max(change, abs(value - solution[i]))
                solution[i] = value
            }
            if change < 1e-9 { break }
        }
        var rates: [String: Double] = [:]
        for (index, name) in names.enumerated() where inFlightSamples[index] >= Self.minimumSamplesInFlight {
            rates[name] = solution[index + 1]
        }
        return rates
    }
}

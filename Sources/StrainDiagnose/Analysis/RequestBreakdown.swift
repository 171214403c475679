import Foundation

/// One endpoint's mean request time split into network, its database time, the part a slow
/// dependency accounts for, and the unexplained rest (steps 4 and 5 read it).
struct RequestBreakdown {
    var endpoint: String
    var requests: UInt64
    var mean: Double
    var network: Double
    /// Time of the statements charged to this endpoint, per request: their execution, and an N+1's
    /// round trips and client time between calls.
    var database: Double
    /// The run's database time that could not be charged to one endpoint, per HTTP request of the
    /// run. Shown, but not subtracted: it is an average, and would hide an endpoint's own time.
    var sharedDatabase: Double
    /// The slow dependency that accounts for the rest, if one does.
    var dependency: (name: String, median: Double)?
    /// The part of the service's wait for a core charged to this endpoint, per request (see
    /// `chargeCoreWait`): step 1's, not the code's.
    var coreWait = 0.0
    /// The part of the rest spent waiting for connections a leak took, per request (see
    /// `TransactionLeak.charge`): step 3's, not the code's.
    var leakWait = 0.0
    /// The service's CPU clock says this endpoint's unexplained time is spent computing (see
    /// `markComputing`); nil when the service's CPU time is unknown.
    var computing: Bool?
    /// On a host that kept the service's threads from a core most of the time they were ready,
    /// this endpoint's time does not stand out from the service's other requests: the host's
    /// saturation (step 1) can be all of it (see `markHostBound`).
    var hostBound = false
    /// Time per request left after network and the endpoint's database time.
    var rest: Double { max(0, mean - network - database) }
    /// The part of `rest` the dependency accounts for: at most one call's time.
    var dependencySeconds: Double { dependency.map { min(rest, $0.median) } ?? 0 }
    /// Time per request inside the service that neither the database nor a dependency accounts
    /// for: computing, waiting for a core, or waiting inside.
    var serviceTime: Double { rest - dependencySeconds }
    /// What steps 1–4 leave unexplained per request.
    var unexplained: Double { max(0, rest - dependencySeconds - coreWait - leakWait) }
    /// The rest over all the endpoint's requests, in seconds.
    var totalRest: Double { rest * Double(requests) }
    /// What steps 1, 2 and 4 leave unexplained over all the endpoint's requests, in seconds.
    var totalUnexplained: Double { unexplained * Double(requests) }

    /// The database cannot tell which endpoint ran a statement, so a statement is charged to an
    /// endpoint only when its calls say so: the repeated statement of an N+1 (at its cost,
    /// `NPlusOneCost`) to the endpoint that issues it; another statement to the endpoint whose
    /// requests its calls track second by second (`EndpointAttribution`), or, where the seconds
    /// cannot single one out, to the one endpoint (among those they leave) that it runs about once
    /// per request of and whose requests last as long as its calls.
    /// The rest is the run's average. A slow dependency accounts for an endpoint's rest when the
    /// rest is comparable to its median (`DependenciesCheck.explainsRest`) and the endpoint's fast
    /// requests are no faster than the dependency's fast answers: size alone would hand a dependency
    /// any endpoint that happens to compute for about as long (how long depends on the machine, the
    /// build and how busy the host is), but a request that waits for a call cannot beat the call;
    /// and where the service's CPU time is known, an endpoint it shows computing waits on nothing.
    static func all(_ input: CheckInput) -> [RequestBreakdown] {
        guard let load = input.load else { return [] }
        let endpoints = load.httpEndpoints.filter { $0.requests > 0 }
        let httpRequests = endpoints.reduce(0) { $0 + $1.requests }
        let statements = input.statements?.statements.filter(\.toplevel) ?? []
        let nPlusOneIssuers = Dictionary(
            input.repeatedStatements.compactMap { pattern in
                pattern.endpoint.map { (pattern.repeated.queryID, (name: $0.name, cost: NPlusOneCost(pattern, postgres: input.evidence.postgres))) }
            }, uniquingKeysWith: { first, _ in first })
        var charged: [String: Double] = [:]
        var shared = 0.0
        for statement in statements {
            if let nPlusOne = nPlusOneIssuers[statement.queryID] {
                // Its calls cost the endpoint their round trips and the client's time between them too.
                charged[nPlusOne.name, default: 0] += nPlusOne.cost.seconds
            } else if let name = issuer(of: statement, among: endpoints, intervals: input.activityIntervals) {
                charged[name, default: 0] += statement.seconds
            } else {
                shared += statement.seconds
            }
        }
        let slowDependencies = input.evidence.dependencies.compactMap { dependency -> (name: String, median: Double, fastTenth: Double)? in
            let probes = ProbeSummary(dependency)
            guard let median = probes.medianTotal, median >= DependenciesCheck.slowProbe else { return nil }
            return (dependency.name, median, probes.fastTenthTotal ?? median)
        }
        var breakdowns = endpoints.map { endpoint in
            let requests = Double(endpoint.requests)
            let network = (endpoint.networkSeconds ?? 0) / requests
            var breakdown = RequestBreakdown(
                endpoint: endpoint.name, requests: endpoint.requests, mean: endpoint.meanSeconds, network: network,
                database: min((charged[endpoint.name] ?? 0) / requests, max(0, endpoint.meanSeconds - network)),
                sharedDatabase: httpRequests > 0 ? shared / Double(httpRequests) : 0)
            breakdown.dependency = slowDependencies
                .filter { DependenciesCheck.explainsRest.contains(breakdown.rest / $0.median) }
                .filter { dependency in endpoint.fastTenthSeconds.map { $0 >= callFloor * dependency.fastTenth } ?? true }
                .max { ($0.median, $1.name) < ($1.median, $0.name) }
                .map { ($0.name, $0.median) }
            return breakdown
        }
        if let service = input.evidence.service {
            chargeCoreWait(&breakdowns, seconds: service.coreWaitSeconds)
            let coreWaits = breakdowns.map(\.coreWait)
            markComputing(&breakdowns, cpuSeconds: service.cpuSeconds, runningShare: service.runningShare)
            if let rates = service.runnablePerRequestInFlight { markComputing(&breakdowns, measured: rates, coreWaits: coreWaits) }
            if service.runningShare < saturatedShare { markHostBound(&breakdowns) }
        }
        return breakdowns
    }

    /// The endpoint a statement is charged to, if the data names one (see `all`).
    static func issuer(of statement: StatementActivity, among endpoints: [LoadContext.Endpoint], intervals: [ActivityInterval]) -> String? {
        var candidates = endpoints
        switch EndpointAttribution.of(queryID: statement.queryID, in: intervals) {
        case .endpoint(let name, _):
            return endpoints.contains { $0.name == name } ? name : nil
        case .undetermined(let names):
            candidates = endpoints.filter { names.contains($0.name) }
        case nil:
            break
        }
        let onePerRequest = candidates.filter { runsOncePerRequest(statement, of: $0) }
        if onePerRequest.count <= 1 { return onePerRequest.first?.name }
        // Several run about once per request: a request lasts at least as long as the statement it
        // waits for, so those whose requests are quicker than its calls did not issue it.
        let longEnough = onePerRequest.filter { $0.meanSeconds >= lastsAtLeast * statement.meanSeconds }
        return longEnough.count == 1 ? longEnough[0].name : nil
    }

    /// Whether `statement` ran about once per request of `endpoint`. Requests that got no answer (a
    /// timeout, a refused connection) may or may not have reached it — a pool that ran dry leaves many
    /// — so anywhere from once per answered request to once per request.
    static func runsOncePerRequest(_ statement: StatementActivity, of endpoint: LoadContext.Endpoint) -> Bool {
        let calls = Double(statement.calls)
        let answered = Double(min(endpoint.answered ?? endpoint.requests, endpoint.requests))
        return calls >= onceEach.lowerBound * answered && calls <= onceEach.upperBound * Double(endpoint.requests)
    }

    /// Takes the service's wait for a core out of the unexplained time of the endpoints that no
    /// dependency accounts for: it is CPU capacity (step 1's), not code to profile. One aggregate
    /// cannot be split exactly, so the stated rule: every request waits alike for a core (each is
    /// made runnable a few times, and the scheduler queues them alike), up to its whole unexplained
    /// time. What stands above that stays unexplained: a pool or a lock one endpoint queues on
    /// does not drown in the host's load, and an endpoint slow only because the host is does not
    /// reach step 5.
    static func chargeCoreWait(_ breakdowns: inout [RequestBreakdown], seconds: Double) {
        let order = breakdowns.indices.filter { breakdowns[$0].dependency == nil }
            .sorted { breakdowns[$0].unexplained < breakdowns[$1].unexplained }
        var left = seconds
        var requestsLeft = order.reduce(0.0) { $0 + Double(breakdowns[$1].requests) }
        for index in order where left > 0 && requestsLeft > 0 {
            let perRequest = min(breakdowns[index].unexplained, left / requestsLeft)
            breakdowns[index].coreWait = perRequest
            left -= perRequest * Double(breakdowns[index].requests)
            requestsLeft -= Double(breakdowns[index].requests)
        }
    }

    /// Marks the endpoints the service's time on a CPU says are computing — never its wait for a
    /// core, which is step 1's (`chargeCoreWait`). One aggregate cannot be split among endpoints
    /// exactly, so two stated rules:
    /// - an endpoint without a dependency computes when the CPU left to it covers at least a
    ///   quarter of its unexplained time; left to it is what remains after every other request
    ///   took the least a request plausibly needs: the service's mean CPU per request, or the
    ///   fastest endpoint's time if less (a request cannot use more CPU than it lasts, less its
    ///   wait for a core).
    ///   Without that floor, a small endpoint's few seconds would fit the CPU every request used.
    ///   Where the service's threads waited for a core longer than they ran, the alike wait for a
    ///   core takes the fast endpoints' whole time, so that floor cannot be read from them; there
    ///   an endpoint computes when its whole time, at the share of a core they got, is at least
    ///   `busyEndpointsCPU` of the service's CPU and no more than is left to it — here after half
    ///   the least per other request, since even the fastest request's time beyond the alike wait
    ///   for a core still holds waits for the other side's core (demo-shop's CPU-heavy report
    ///   needed 2.41 s of 3.21 at a 46% share, with 0.75 ms left per other request): a CPU-bound
    ///   request there spends most of its time waiting for a core, more than the alike share, and
    ///   at a small share any endpoint's time could be CPU — the one that computes is where the CPU went;
    /// - a dependency's match stays unless the service's CPU time fits a matched endpoint's rest
    ///   (within 2×): then the best-fitting one computes instead — an endpoint waiting on a call
    ///   uses little CPU, and only size put it there.
    static func markComputing(_ breakdowns: inout [RequestBreakdown], cpuSeconds: Double, runningShare: Double) {
        let requests = breakdowns.reduce(0.0) { $0 + Double($1.requests) }
        let fastest = breakdowns.map { $0.mean - $0.coreWait }.min() ?? 0
        let leastPerRequest = requests > 0 ? min(cpuSeconds / requests, fastest) : 0
        for index in breakdowns.indices where breakdowns[index].dependency == nil {
            let others = requests - Double(breakdowns[index].requests)
            let left = cpuSeconds - leastPerRequest * others
            let unexplained = breakdowns[index].totalUnexplained
            let cpuAtTheShareOfACoreItGot = runningShare * breakdowns[index].serviceTime * Double(breakdowns[index].requests)
            let computes = runningShare < saturatedShare
                ? cpuAtTheShareOfACoreItGot >= busyEndpointsCPU * cpuSeconds
                    && cpuAtTheShareOfACoreItGot <= cpuSeconds - leastPerRequest / 2 * others
                : left >= computingShare * unexplained
            breakdowns[index].computing = unexplained > 0 && computes
            // A request that computes waits for a core because it computes: that wait is its code's cost too.
            if breakdowns[index].computing == true { breakdowns[index].coreWait = 0 }
        }
        let matched = breakdowns.indices.filter { breakdowns[$0].dependency != nil && breakdowns[$0].totalRest > 0 }
        for index in matched { breakdowns[index].computing = false }
        let fitting = matched.filter { (0.5...2).contains(cpuSeconds / breakdowns[$0].totalRest) }
        if let best = fitting.min(by: { abs(cpuSeconds - breakdowns[$0].totalRest) < abs(cpuSeconds - breakdowns[$1].totalRest) }) {
            breakdowns[best].computing = true
            breakdowns[best].dependency = nil
        }
    }

    /// Where the load ran in this process, what its requests in flight kept runnable is measured
    /// (see `InFlightRegression`): an endpoint without a dependency computes when its requests kept
    /// a thread running or waiting for a core for at least `computingShare` of their time inside the
    /// service. That replaces the inference from the service's total CPU for each endpoint measured.
    /// `coreWaits` are the waits for a core charged before the inference, given back to an endpoint it marked.
    ///
    /// It also takes a dependency from an endpoint whose requests were runnable through more than
    /// half the call's time: a request waiting for a call is not runnable meanwhile. Size matched
    /// them, and on a saturated host an endpoint that computes (and waits for a core) can take as
    /// long as a call without making one.
    static func markComputing(_ breakdowns: inout [RequestBreakdown], measured rates: [String: Double], coreWaits: [Double]) {
        for index in breakdowns.indices {
            guard let dependency = breakdowns[index].dependency, let rate = rates[breakdowns[index].endpoint] else { continue }
            if rate * breakdowns[index].mean > breakdowns[index].rest - dependency.median / 2 { breakdowns[index].dependency = nil }
        }
        for index in breakdowns.indices where breakdowns[index].dependency == nil {
            guard let rate = rates[breakdowns[index].endpoint] else { continue }
            breakdowns[index].coreWait = coreWaits[index]
            let computes = breakdowns[index].unexplained > 0
                && rate * breakdowns[index].mean >= computingShare * breakdowns[index].serviceTime
            breakdowns[index].computing = computes
            // A request that computes waits for a core because it computes: that wait is its code's cost too.
            if computes { breakdowns[index].coreWait = 0 }
        }
    }

    /// Marks the endpoints whose time inside the service is less than `standsOut` times the
    /// typical request of the service's other endpoints (their requests' median). On a host that
    /// keeps the service from a core, every request is slower — its bursts wait for a core, its
    /// calls for the other side's — by a factor no one endpoint's figure can tell apart from its
    /// own work; what stands that far above the service's other requests is the endpoint's own.
    /// An endpoint with no other to compare with is never marked.
    static func markHostBound(_ breakdowns: inout [RequestBreakdown]) {
        let candidates = breakdowns.indices.filter { breakdowns[$0].dependency == nil }
        for index in candidates {
            let others = candidates.filter { $0 != index }.map { (time: breakdowns[$0].serviceTime, requests: breakdowns[$0].requests) }
            guard let typical = medianTime(of: others) else { continue }
            breakdowns[index].hostBound = breakdowns[index].serviceTime < standsOut * typical
        }
    }

    /// The time per request of the median request among `endpoints`, or nil without requests.
    private static func medianTime(of endpoints: [(time: Double, requests: UInt64)]) -> Double? {
        let sorted = endpoints.filter { $0.requests > 0 }.sorted { $0.time < $1.time }
        let half = Double(sorted.reduce(0) { $0 + $1.requests }) / 2
        var counted = 0.0
        for endpoint in sorted {
            counted += Double(endpoint.requests)
            if counted >= half { return endpoint.time }
        }
        return nil
    }

    /// The least share of the service's CPU an endpoint's time must need to be CPU-bound on a
    /// saturated host (the CPU-heavy endpoints of the runs behind the tests needed 48–60%, waiting
    /// ones 12–31%).
    static let busyEndpointsCPU = 0.4
    /// Below this running share the service's threads waited for a core longer than they ran.
    static let saturatedShare = 0.5
    /// How many times the service's typical request an endpoint must take, on such a host, to be its own.
    static let standsOut = 3.0

    /// The least share of an endpoint's rest the service's compute time must cover to call it computing.
    static let computingShare = 0.25

    /// An endpoint's 10th percentile may fall this far below the dependency's and still hold a call
    /// to it (the probes and the service's own calls see the dependency a little differently).
    static let callFloor = 0.8

    /// Calls per request of a statement run once for each request (allowing for requests cut at the window's edges).
    private static let onceEach = 0.9...1.1
    /// An issuer's mean request time against the statement's mean execution, with room for the two
    /// windows (the load's, the statistics') not matching exactly.
    private static let lastsAtLeast = 0.9

    var description: String {
        var text = "\(endpoint): \(Format.duration(mean)) per request = network \(Format.duration(network)) + database "
            + "\(Format.duration(database))"
        if let dependency { text += " + \(dependency.name) \(Format.duration(dependencySeconds))" }
        if coreWait > 0 { text += " + waiting for a core \(Format.duration(coreWait))" }
        if leakWait > 0 { text += " + waiting for connections a leak took \(Format.duration(leakWait))" }
        text += " + unexplained \(Format.duration(unexplained))"
        if sharedDatabase > 0 { text += " (database (run average), not attributed: \(Format.duration(sharedDatabase)))" }
        if let computing { text += computing ? ", computing" : ", not computing" }
        return text
    }
}

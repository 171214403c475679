import Foundation
import StrainProfile
import Testing
@testable import StrainLoad

@Suite("ad-hoc load from command-line flags")
struct AdHocLoadTests {
    static let here = URL(fileURLWithPath: "/tmp")

    @Test func closedByDefaultLikeWrk() throws {
        let profile = try AdHocLoad(url: "http://127.0.0.1:8080/1k.bin").profile(baseDirectory: Self.here)
        #expect(profile.name == "adhoc")
        #expect(profile.target.allowedHosts == ["127.0.0.1"])
        guard case .closed(let closed) = profile.scenarios[0].load else {
            Issue.record("expected a closed model")
            return
        }
        #expect(closed.connections == 10)
        #expect(closed.bound == .duration(TimeSpan(seconds: 10)))
        #expect(profile.scenarios[0].steps[0].name == "GET http://127.0.0.1:8080/1k.bin")
    }

    @Test func aRateMakesItOpen() throws {
        var load = AdHocLoad(url: "https://localhost:8443/")
        load.rate = "1000/s"
        load.duration = "20s"
        load.connections = 32
        load.arrival = "poisson"
        load.httpVersion = "2"
        load.insecure = true
        let profile = try load.profile(baseDirectory: Self.here)
        guard case .open(let open) = profile.scenarios[0].load else {
            Issue.record("expected an open model")
            return
        }
        #expect(open.stages.map(\.target) == [Rate(perSecond: 1000)])
        #expect(open.duration == TimeSpan(seconds: 20))
        #expect(open.maxConnections == 32)
        #expect(open.arrival == .poisson)
        #expect(profile.target.httpVersion == .http2)
        #expect(profile.target.tls.insecure)
    }

    @Test func requestDetailsBecomeTheStep() throws {
        var load = AdHocLoad(url: "http://127.0.0.1:8080/echo")
        load.method = "POST"
        load.headers = ["X-Strain-Test: yes", "Accept:application/json"]
        load.body = "n=${sequence()}"
        load.timeout = "2s"
        load.iterations = 100
        let step = try load.profile(baseDirectory: Self.here).scenarios[0].steps[0]
        guard case .http(let request) = step.action else {
            Issue.record("expected an HTTP step")
            return
        }
        #expect(request.method == "POST")
        #expect(request.headers.map(\.name).sorted() == ["Accept", "X-Strain-Test"])
        #expect(step.timeout == TimeSpan(seconds: 2))
        if case .text(let body)? = request.body { #expect(body.description == "n=${sequence()}") } else { Issue.record("expected a text body") }
    }

    /// Sets one flag's value by its name.
    static func setting(_ flag: String, to value: String) -> AdHocLoad {
        var load = AdHocLoad(url: "http://127.0.0.1:8080/")
        switch flag {
        case "--rate": load.rate = value
        case "--duration": load.duration = value
        case "--http": load.httpVersion = value
        case "--arrival": load.arrival = value
        case "--header": load.headers = [value]
        default: load.targets = [AdHocTarget(url: value)]
        }
        return load
    }

    @Test(arguments: [
        ("--rate", "fast", "--rate: expected a rate like"),
        ("--duration", "10", "--duration: expected a duration like"),
        ("--http", "3", "--http: "),
        ("--arrival", "poisson", "--arrival: arrival belongs to the open model"),
        ("--header", "no colon", "--header: expected \"Name: value\""),
        ("--url", "127.0.0.1/x", "--url: expected an absolute URL"),
    ])
    func mistakesNameTheFlag(flag: String, value: String, message: String) throws {
        let error = try #require(throws: AdHocError.self) {
            try Self.setting(flag, to: value).profile(baseDirectory: Self.here)
        }
        #expect(error.description.hasPrefix(message), "\(error.description)")
    }
}

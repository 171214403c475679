import Foundation
import StrainContract
import StrainTestSupport
import Testing
@testable import StrainLoad

/// Whole runs against the test nginx that scripts/test starts (HTTP/1.1, TLS with HTTP/2, h2c).
@Suite("HTTP load against the test nginx", .serialized)
struct HTTPLoadTests {
    @Test func closedModelKeepsEveryConnectionBusyAndReusesThem() throws {
        let outcome = try runLoad("""
        { name: "closed", \(plainTarget),
          scenarios: [{ name: "files", load: { model: "closed", connections: 4, iterations: 200 },
                        steps: [{ path: "/1k.bin", check: { status: [200] } }] }] }
        """, workers: 2)
        let step = outcome.step()
        #expect(outcome.artifact.status == .completed)
        #expect(outcome.artifact.scenarios[0].iterations == 200)
        #expect(step.requests == 200 && step.failures == 0)
        #expect(step.statuses == ["200": 200])
        #expect(step.counters["newConnections"] == 4)
        #expect(step.counters["reusedConnections"] == 196)
        #expect(step.counters["bytesIn"] == 200 * 1024)
        #expect(step.counters["checks"] == 200)
        #expect(step.phases["connect"]?.count == 4) // connection phases only for the 4 new connections
        #expect(step.phases["ttfb"]?.count == 200)
        #expect(!outcome.artifact.validity.reasons.contains { $0.contains("connections") })
        #expect(outcome.artifactOnDisk.scenarios == outcome.artifact.scenarios)
        #expect(outcome.timeline.reduce(0) { $0 + $1.steps.reduce(0) { $0 + $1.requests } } == 200)
    }

    @Test func openModelSendsTheScheduleOnTime() throws {
        // 100/s for 2 s: arrivals at 0, 10 ms, …, 1.99 s (200), split over two workers.
        let outcome = try runLoad("""
        { name: "open", \(plainTarget),
          scenarios: [{ name: "paced", load: { model: "open", rate: "100/s", duration: "2s" },
                        steps: [{ path: "/index.html", check: { bodyContains: "It works" } }] }] }
        """, workers: 2)
        let step = outcome.step()
        #expect(step.requests == 200)
        #expect(step.failures == 0)
        #expect(step.counters["missed"] == nil && step.counters["dropped"] == nil)
        #expect(step.phases["schedulerLag"]?.count == 200)
        #expect(outcome.timeline.count >= 2)
        #expect(outcome.timeline.allSatisfy { $0.duration > 0 && $0.duration <= 1 })
    }

    /// A 0 → 100/s ramp over 20 s stopped after about a second asked for ≈ 5/s over that second, not
    /// for the whole plan's 50/s average.
    @Test func theAskedRateIsWhatTheScheduleAskedOverTheTimeThatRan() throws {
        let directory = try TestProfile.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let profile = try TestProfile.parse("""
        { name: "ramp", \(plainTarget),
          scenarios: [{ name: "s", load: { stages: [{ to: "100/s", over: "20s" }] }, steps: [{ path: "/index.html" }] }] }
        """, directory: directory)
        let result = try LoadRun.run(profile, engines: [HTTPEngineFactory()], options: RunOptions(
            workers: 1, outputDirectory: directory.appendingPathComponent("run"), tool: ToolInfo(version: "test"),
            abortCheck: { $0.endedAt.timeIntervalSince($0.startedAt) >= 1 ? "enough" : nil }))
        let asked = try #require(result.artifact.scenarios[0].askedRate)
        #expect(asked > 1 && asked < 15, "asked \(asked)/s")
    }

    /// 2/s for 1.5 s arrives at 0, 0.5 and 1 s. The run lasts the schedule rather than ending with the
    /// last response (where 3 requests in about 1 s read as 3/s), and the rate is over the schedule.
    @Test func anOpenScheduleRunsToItsEndAndItsRateIsOverIt() throws {
        let outcome = try runLoad("""
        { name: "slow", \(plainTarget),
          scenarios: [{ name: "s", load: { model: "open", rate: "2/s", duration: "1500ms" }, steps: [{ path: "/index.html" }] }] }
        """)
        let artifact = outcome.artifact
        #expect(outcome.step().requests == 3)
        #expect(artifact.seconds >= 1.5, "the run lasted \(artifact.seconds) s")
        // It ended when its worker did (the timeline's end), not when the coordinator next looked.
        let timelineEnd = try #require(outcome.timeline.last.map { $0.start + $0.duration })
        #expect(abs(artifact.seconds - timelineEnd) < 0.001, "run \(artifact.seconds) s, timeline \(timelineEnd) s")
        #expect(artifact.scenarios[0].rateSeconds == 1.5)
        #expect(artifact.rate(of: artifact.scenarios[0], steps: artifact.scenarios[0].steps) == 2)
        #expect(artifact.scenarios[0].askedRate == 2)
    }

    /// A user whose think time ends past the duration retires early; the run still lasts its duration.
    @Test func aClosedScheduleRunsToItsEndAfterItsUsersRetire() throws {
        let outcome = try runLoad("""
        { name: "retired", \(plainTarget),
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, duration: "1s", thinkTime: "700ms" },
                        steps: [{ path: "/index.html" }] }] }
        """)
        #expect(outcome.step().requests == 2)
        #expect(outcome.artifact.seconds >= 1, "the run lasted \(outcome.artifact.seconds) s")
        #expect(outcome.artifact.scenarios[0].rateSeconds == 1)
    }

    @Test func theRunsLastIntervalIsMarkedPartial() throws {
        let outcome = try runLoad("""
        { name: "partial", \(plainTarget),
          scenarios: [{ name: "s", load: { rate: "100/s", duration: "1500ms" }, steps: [{ path: "/index.html" }] }] }
        """)
        #expect(outcome.timeline.map(\.partial) == [false, true])
        #expect(outcome.timeline.map(\.duration).first == 1)
        #expect(outcome.timeline.last.map { $0.duration < 1 } == true)
    }

    @Test func arrivalsThatFindNoFreeConnectionAreCountedAndTheirWaitIsInTheLatency() throws {
        // One connection, a server that takes 100 ms per answer: arrivals every 50 ms queue behind it.
        let server = try LoopbackHTTPServer(.answer(after: .milliseconds(100)))
        let outcome = try runLoad("""
        { name: "stalled", target: { baseURL: "\(server.url)" },
          scenarios: [{ name: "s", load: { model: "open", rate: "20/s", duration: "1s", maxConnections: 1 },
                        steps: [{ path: "/" }] }] }
        """)
        let step = outcome.step()
        #expect(step.errors.isEmpty)
        #expect((step.counters["missed"] ?? 0) > 0)
        #expect(step.requests + (step.counters["dropped"] ?? 0) == 20)
        // Corrected latency includes the time spent waiting for the busy connection; service time does not.
        #expect(step.latency.max > step.service.max + 100_000)
        // The waiting arrivals were sent after the 1 s schedule: the rate is over the time the scenario
        // was active (one answer per 100 ms, so at most 10/s), not over its schedule (20/s).
        let scenario = outcome.artifact.scenarios[0]
        #expect(try #require(scenario.rateSeconds) >= Double(step.requests) / 10)
        #expect(try #require(outcome.artifact.rate(of: scenario, steps: scenario.steps)) <= 10)
    }

    /// A target that never answers, with a step timeout longer than the drain period after the end
    /// (at most 10 s): the requests still waiting then are failures, not left out of the counts.
    @Test func requestsStillInFlightWhenTheDrainEndsAreFailures() throws {
        let server = try LoopbackHTTPServer(.answer(after: .seconds(30)))
        let outcome = try runLoad("""
        { name: "stalled", target: { baseURL: "\(server.url)" }, defaults: { timeout: "15s" },
          scenarios: [{ name: "s", load: { rate: "5/s", duration: "1s" }, steps: [{ path: "/" }] }] }
        """)
        let step = outcome.step()
        #expect(step.requests == 5)
        #expect(step.failures == 5)
        #expect(step.counters["unfinished"] == 5)
        #expect(step.errors.map(\.label) == ["unfinished"])
        #expect(step.latency.isEmpty)
        // Active until the requests were given up on, at the end of the 10 s drain.
        #expect(try #require(outcome.artifact.scenarios[0].rateSeconds) >= 10)
    }

    @Test func tlsWithTheTestCAOverHTTP2SharesOneConnection() throws {
        let outcome = try runLoad("""
        { name: "h2", target: { baseURL: "\(TestServers.httpsURL)", http: "2", tls: { caFile: "\(try TestServers.caFile)" } },
          scenarios: [{ name: "s", load: { model: "closed", connections: 8, iterations: 100 },
                        steps: [{ path: "/1k.bin", check: { status: [200] } }] }] }
        """)
        let step = outcome.step()
        #expect(step.failures == 0 && step.requests == 100)
        #expect((step.counters["newConnections"] ?? 0) <= 2)
        #expect(step.phases["tls"] != nil)
    }

    @Test(arguments: [(tls: "", label: "tls", failures: 5), (tls: "tls: { insecure: true }", label: nil, failures: 0)])
    func aSelfSignedCertificateFailsUnlessTrusted(tls: String, label: String?, failures: UInt64) throws {
        let outcome = try runLoad("""
        { name: "tls", target: { baseURL: "\(TestServers.httpsURL)", \(tls) },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 5 }, steps: [{ path: "/" }] }] }
        """)
        #expect(outcome.step().failures == failures)
        #expect(outcome.step().errors.first?.label == label)
    }

    /// libcurl 7.88 (Debian 12) breaks every request that reuses an h2c connection (curl error 16,
    /// fixed in curl 8.0), so only the first request of a connection is exercised here.
    @Test func h2cPriorKnowledgeOnASingleConnection() throws {
        let outcome = try runLoad("""
        { name: "h2c", target: { baseURL: "\(TestServers.h2cURL)", http: "h2c" },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 1 },
                        steps: [{ path: "/index.html", check: { status: [200], bodyContains: "It works" } }] }] }
        """)
        #expect(outcome.step().failures == 0)
        #expect(outcome.step().statuses == ["200": 1])
    }

    @Test func valuesExtractedByOneStepAreUsedByTheNext() throws {
        let outcome = try runLoad("""
        { name: "chain", \(plainTarget),
          scenarios: [{ name: "s", load: { model: "closed", connections: 2, iterations: 10 },
            steps: [
              { name: "user", path: "/user.json",
                extract: { userId: "$.id", firstOrder: "$.orders[0].id", type: { header: "content-type" }, token: { regex: "t-([0-9a-f]+)" } },
                check: { json: { "$.address.city": "London", "$.roles[1]": "analyst" } } },
              { name: "echo", method: "POST", path: "/echo?user=${userId}&order=${firstOrder}&token=${token}",
                headers: { "X-Strain-Test": "${type}" }, body: "seq=${sequence(1)}",
                check: { bodyContains: "uri=/echo?user=42&order=1001&token=0123456789abcdef", status: [200] } },
              { name: "echo-again", method: "PUT", path: "/echo", headers: { "X-Strain-Test": "${type}" },
                check: { bodyContains: "method=PUT uri=/echo content_length= x_strain_test=application/json" } },
            ] }] }
        """)
        let scenario = outcome.artifact.scenarios[0]
        #expect(scenario.iterations == 10)
        for step in scenario.steps {
            #expect(step.failures == 0, "\(step.name): \(step.errors)")
            #expect(step.requests == 10)
        }
        #expect(scenario.steps[0].counters["checks"] == 20)
    }

    @Test func feederRowsFeedTheRequestAndTheCheckOfTheSameIteration() throws {
        let outcome = try runLoad("""
        { name: "feed", \(plainTarget),
          feeders: { users: { csv: "users.csv" } },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 6 },
            steps: [{ path: "/echo?id=${users.id}&mail=${users.email}", check: { bodyContains: "uri=/echo?id=${users.id}&mail=${users.email} " } }] }] }
        """, files: ["users.csv": "id,email\n1,ada@example.com\n2,grace@example.com\n3,edsger@example.com\n"])
        #expect(outcome.step().failures == 0)
        #expect(outcome.step().requests == 6)
    }

    @Test func aUniqueFeederStopsItsScenarioWhenItRunsOut() throws {
        let outcome = try runLoad("""
        { name: "unique", \(plainTarget),
          feeders: { codes: { csv: "codes.csv", mode: "unique" } },
          scenarios: [{ name: "redeem", load: { model: "closed", connections: 1, iterations: 5 },
            steps: [{ path: "/echo?code=${codes.code}" }] }] }
        """, files: ["codes.csv": "code\nA\nB\n"])
        #expect(outcome.artifact.scenarios[0].iterations == 2)
        #expect(outcome.result.notes == ["scenario \"redeem\" stopped: its unique feeder codes ran out of rows"])
        // The artifact says the plan was not done, why and when: it does not look complete.
        #expect(outcome.artifactOnDisk.status == .stoppedEarly)
        let stop = try #require(outcome.artifactOnDisk.earlyStop)
        #expect(stop.cause == .feederExhausted)
        #expect(stop.reason == "scenario \"redeem\" stopped: its unique feeder codes ran out of rows")
        #expect(stop.at >= 0 && stop.at <= outcome.artifact.endedAt.timeIntervalSince(outcome.artifact.startedAt))
    }

    @Test(arguments: [
        (path: "/status/500", check: "", label: "5xx", status: "500"),
        (path: "/status/404", check: "", label: "4xx", status: "404"),
        (path: "/status/404", check: "check: { status: [404] }", label: nil, status: "404"),
        (path: "/user.json", check: #"check: { json: { "$.name": "Grace Hopper" } }"#, label: "check failed", status: "200"),
        (path: "/redirect", check: "", label: nil, status: "302"),
    ])
    func statusesAndChecksGetTheirLabels(path: String, check: String, label: String?, status: String) throws {
        let outcome = try runLoad("""
        { name: "labels", \(plainTarget),
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 3 }, steps: [{ path: "\(path)", \(check) }] }] }
        """)
        let step = outcome.step()
        #expect(step.statuses == [status: 3])
        #expect(step.errors.first?.label == label)
        #expect(step.failures == (label == nil ? 0 : 3))
        if let example = step.errors.first?.example { #expect(!example.isEmpty) }
    }

    @Test func redirectsAreFollowedWhenAllowed() throws {
        let outcome = try runLoad("""
        { name: "redirects", target: { baseURL: "\(TestServers.httpURL)", redirects: 2 },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 2 },
                        steps: [{ path: "/redirect", check: { status: [200], bodyContains: "It works" } }] }] }
        """)
        #expect(outcome.step().failures == 0)
    }

    @Test func aClosedPortIsLabelledAndLeavesTheRunInvalid() throws {
        let outcome = try runLoad("""
        { name: "refused", target: { baseURL: "\(try TestServers.closedPortURL())" },
          scenarios: [{ name: "s", load: { model: "closed", connections: 2, iterations: 4 }, steps: [{ path: "/" }] }] }
        """)
        let step = outcome.step()
        #expect(step.failures == 4)
        #expect(step.errors.map(\.label) == ["connect refused"])
        #expect(step.errors[0].example.contains("Couldn't connect to server"))
        #expect(step.statuses.isEmpty)
        #expect(step.latency.isEmpty)
        #expect(outcome.result.failure?.message.hasPrefix("the target is unreachable: all 4 attempts failed to connect (connect refused)") == true)
        #expect(outcome.artifact.status == .failed)
        #expect(!outcome.artifact.validity.valid)
        #expect(outcome.artifact.validity.reasons.contains("scenario \"s\": only 0 of 2 connections were established"))
    }

    @Test func aTargetThatRefusesEveryConnectionEndsTheRunWithinSeconds() throws {
        let outcome = try runLoad("""
        { name: "refused", target: { baseURL: "\(try TestServers.closedPortURL())" },
          scenarios: [{ name: "s", load: { rate: "50/s", duration: "20s" }, steps: [{ path: "/" }] }] }
        """)
        let ran = outcome.artifact.endedAt.timeIntervalSince(outcome.artifact.startedAt)
        #expect(ran < 6, "ran \(ran) s of a 20 s plan against a closed port")
        #expect(outcome.result.failure?.message.contains("failed to connect (connect refused)") == true)
        #expect(outcome.step().latency.isEmpty)
        #expect(outcome.step().failures == outcome.step().requests)
    }

    /// One fixed label per cause, from real servers that fail each in their own way. A target that
    /// accepts connections and never answers times out: its connections were established.
    @Test(arguments: [
        (LoopbackHTTPServer.Behavior.reset, "connection reset"),
        (.malformed, "malformed response"),
        (.silent, "timeout"),
    ])
    func eachFailureHasItsOwnLabel(behavior: LoopbackHTTPServer.Behavior, label: String) throws {
        let server = try LoopbackHTTPServer(behavior)
        let outcome = try runLoad("""
        { name: "labels", target: { baseURL: "\(server.url)" },
          scenarios: [{ name: "s", load: { model: "closed", connections: 2, iterations: 4 }, steps: [{ path: "/", timeout: "300ms" }] }] }
        """)
        #expect(outcome.step().errors.map(\.label) == [label], "\(outcome.step().errors)")
        #expect(outcome.result.failure == nil)
        #expect(outcome.artifact.validity.valid, "\(outcome.artifact.validity.reasons)")
    }

    @Test func aServerThatNeverAnswersTimesOut() throws {
        let server = try LoopbackHTTPServer(.silent)
        let outcome = try runLoad("""
        { name: "timeout", target: { baseURL: "\(server.url)" },
          scenarios: [{ name: "s", load: { model: "closed", connections: 2, iterations: 2 }, steps: [{ path: "/", timeout: "200ms" }] }] }
        """)
        let step = outcome.step()
        #expect(step.errors.map(\.label) == ["timeout"])
        #expect(step.errors[0].count == 2)
        // A timeout is an error, not a latency of 200 ms.
        #expect(step.latency.isEmpty && step.service.isEmpty)
        // Ended by the 200 ms timeout, not earlier. curl checks timeouts against its own cached
        // millisecond clock, so by our clock a transfer can end a fraction of a millisecond short.
        #expect(outcome.artifact.endedAt.timeIntervalSince(outcome.artifact.startedAt) >= 0.198)
    }

    @Test func thinkTimeSpacesAClosedModelUsersIterations() throws {
        let outcome = try runLoad("""
        { name: "think", \(plainTarget),
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, duration: "1s", thinkTime: "250ms" },
                        steps: [{ path: "/index.html" }] }] }
        """)
        // A user starts at 0, 250, 500 and 750 ms at the earliest: never more than 4 iterations.
        #expect((1...4).contains(outcome.artifact.scenarios[0].iterations))
        #expect(outcome.step().failures == 0)
    }

    @Test func rampingStagesFollowTheirIntegral() throws {
        // 0 → 100/s over 1 s then 100/s for 1 s: 50 + 100 arrivals (+1 at the very end).
        let outcome = try runLoad("""
        { name: "ramp", \(plainTarget),
          scenarios: [{ name: "s", load: { model: "open", start: "0/s", stages: [{ to: "100/s", over: "1s" }, { to: "100/s", over: "1s" }], arrival: "constant" },
                        steps: [{ path: "/index.html" }] }] }
        """, workers: 2)
        #expect((150...151).contains(outcome.step().requests))
        let first = outcome.timeline.first?.steps.first?.requests ?? 0
        let second = outcome.timeline.dropFirst().first?.steps.first?.requests ?? 0
        #expect(first < second) // the ramp fills the second second more than the first
    }
}

extension HTTPLoadTests {
    @Test func poissonArrivalsFollowTheSeededSchedule() throws {
        let text = """
        { name: "poisson", \(plainTarget),
          scenarios: [{ name: "s", load: { model: "open", rate: "100/s", duration: "2s", arrival: "poisson" },
                        steps: [{ path: "/index.html" }] }] }
        """
        let outcome = try runLoad(text, workers: 2)
        // The same pacers the two workers use, without a clock: the run must send exactly their arrivals.
        let profile = try TestProfile.parse(text)
        guard case .open(let open) = profile.scenarios[0].load else { throw CancellationError() }
        let expected = ScenarioShare.split(scenario: 0, part: ScenarioPart(connections: open.maxConnections, concurrency: open.maxConnections),
                                           workers: 2, budget: nil)
            .compactMap { $0 }
            .reduce(0) { total, share in
                var pacer = IterationDriver.pacer(open, share: share, seed: outcome.artifact.seed ?? 0, profile: profile)
                var count = 0
                while pacer.next() != nil { count += 1 }
                return total + count
            }
        #expect(outcome.step().requests == UInt64(expected))
        #expect(outcome.step().failures == 0)
    }

    /// Every run draws a fresh seed (its Poisson arrivals differ from the last run's) and records it;
    /// the same seed gives the same arrivals.
    @Test func eachRunHasAFreshRecordedSeedAndASeedReplaysItsArrivals() throws {
        let text = """
        { name: "poisson", \(plainTarget),
          scenarios: [{ name: "s", load: { model: "open", rate: "100/s", duration: "1s", arrival: "poisson" },
                        steps: [{ path: "/index.html" }] }] }
        """
        let seeds = try (0..<2).map { _ in try #require(try runLoad(text).artifactOnDisk.seed) }
        #expect(seeds[0] != seeds[1])
        let profile = try TestProfile.parse(text)
        guard case .open(let open) = profile.scenarios[0].load else { throw CancellationError() }
        let share = ScenarioShare(scenario: 0, slot: 0, sharers: 1, concurrency: 1, connections: 1, budget: nil, shard: .whole)
        func arrivals(_ seed: UInt64) -> [Double] {
            var pacer = IterationDriver.pacer(open, share: share, seed: seed, profile: profile)
            return Array(sequence(state: pacer) { _ in pacer.next() })
        }
        #expect(arrivals(seeds[0]) != arrivals(seeds[1]))
        #expect(arrivals(seeds[0]) == arrivals(seeds[0]))
    }

    @Test func aSharedLoadIsSplitByWeight() throws {
        // 60/s for 2 s shared 2 : 1 — 40/s and 20/s, evenly spaced: 80 iterations from 0 s, and 40
        // for the second scenario, which takes its turn half a gap (25 ms) later.
        let outcome = try runLoad("""
        { name: "weights", \(plainTarget),
          load: { model: "open", rate: "60/s", duration: "2s" },
          scenarios: [
            { name: "pages", weight: 2, steps: [{ path: "/index.html" }] },
            { name: "files", weight: 1, steps: [{ path: "/1k.bin" }] },
          ] }
        """, workers: 2)
        #expect(outcome.artifact.scenarios.map(\.iterations) == [80, 40])
    }
}

extension HTTPLoadTests {
    @Test func aFailedCheckIsCountedAndTheIterationGoesOn() throws {
        let outcome = try runLoad("""
        { name: "goes-on", \(plainTarget),
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 3 },
                        steps: [{ name: "broken", path: "/status/500" }, { name: "fine", path: "/index.html" }] }] }
        """)
        let steps = outcome.artifact.scenarios[0].steps
        #expect(steps.map(\.requests) == [3, 3])
        #expect(steps.map(\.failures) == [3, 0])
        #expect(outcome.artifact.scenarios[0].iterations == 3)
    }

    @Test func aMissingValueEndsTheIteration() throws {
        let outcome = try runLoad("""
        { name: "cut-short", \(plainTarget),
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 3 },
                        steps: [{ name: "find", path: "/user.json", extract: { missing: "$.nope" } },
                                { name: "use", path: "/echo?value=${missing}" }] }] }
        """)
        let steps = outcome.artifact.scenarios[0].steps
        #expect(steps.map(\.requests) == [3, 0])
        #expect(steps[0].errors.map(\.label) == ["extraction failed"])
        #expect(outcome.artifact.scenarios[0].iterations == 0)
    }

    @Test func aBodyFromAFileIsSentAsIs() throws {
        let body = #"{"order": 7, "items": ["tea"]}"#
        let outcome = try runLoad("""
        { name: "file-body", \(plainTarget),
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 2 },
                        steps: [{ method: "PUT", path: "/echo", body: { file: "order.json" },
                                  check: { bodyContains: "method=PUT uri=/echo content_length=\(body.utf8.count) " } }] }] }
        """, files: ["order.json": body])
        #expect(outcome.step().failures == 0, "\(outcome.step().errors)")
        #expect(outcome.step().counters["bytesOut"] == UInt64(2 * body.utf8.count))
    }
}

import Foundation
import StrainContract
import Testing
@testable import StrainDiagnose

struct MetricsCheckTests {
    typealias B = EvidenceBuilder

    private func findings(_ host: HostEvidence) -> [Finding] {
        MetricsCheck.run(CheckInput(evidence: B.evidence(host: host), load: nil, options: CheckOptions())).findings
    }

    @Test func capturedBusyHostIsCPUSaturated() throws {
        let found = findings(B.host())
        #expect(found.map(\.check) == [.cpuSaturation])
        let cpu = try #require(found.first)
        #expect(cpu.severity == .critical)
        #expect(cpu.object == "CPU (2 cores, /proc)")
        // PSI cpu some grew by 2.39 s: the time some task waited for a core.
        #expect(abs(cpu.impact.totalSeconds - 2.39172) < 1e-6)
        #expect(cpu.evidence.contains("run queue 14.5 on average (tasks running or ready) for 2 cores"))
        #expect(cpu.evidence.contains("some task waited for a CPU 100% of the time (PSI cpu some)"))
    }

    /// Under load, CPU saturation costs the requests its stall share of the time they spent on
    /// this host; the PSI stall seconds are evidence.
    @Test func cpuSaturationUnderLoadCostsItsStallShareOfTheRequestTime() throws {
        let host = B.host { second in second.pressure?.cpuSome = (B.host().samples[0].pressure?.cpuSome ?? 0) + 0.5 }
        let input = CheckInput(evidence: B.evidence(host: host), load: B.load(requests: 1000, seconds: 100), options: CheckOptions())
        let cpu = try #require(MetricsCheck.run(input).findings.first { $0.check == .cpuSaturation })
        // 0.5 s of stall over the 2 s between samples: a quarter of the 100 s of requests.
        #expect(abs(cpu.impact.totalSeconds - 25) < 1e-6)
        #expect(cpu.evidence.contains("500 ms of stall time; requests spent 100 s on this host, 25% of it waiting: 25 s"))
    }

    /// Requests that wait inside the service off the CPU (its pool, a sleep) are not lengthened by a
    /// CPU stall: only the rest of their time is the stall's to share.
    @Test func cpuSaturationDoesNotChargeTimeSpentWaitingOffTheCPU() throws {
        let host = B.host { second in second.pressure?.cpuSome = (B.host().samples[0].pressure?.cpuSome ?? 0) + 0.5 }
        // 100 s of requests, 2 s of the service's CPU: step 5 reads their time as a wait inside the service;
        // its threads waited 0.3 s for a core.
        let service = ServiceProcessEvidence(pid: 4242, cpuSeconds: 2, runQueueSeconds: 0.3)
        let input = CheckInput(evidence: B.evidence(host: host, service: service), load: B.load(requests: 1000, seconds: 100),
                               options: CheckOptions())
        #expect(input.requestBreakdowns.first?.computing == false)
        let cpu = try #require(MetricsCheck.run(input).findings.first { $0.check == .cpuSaturation })
        #expect(cpu.impact.totalSeconds <= 0.3 + 1e-9, "\(cpu.evidence)")
    }

    /// A service that computes is host-bound, but its threads measured how long they waited for a core:
    /// the stall cost its requests no more than that (and the database's share, none here).
    @Test func cpuSaturationCostsAtMostWhatTheServicesThreadsWaitedForACore() throws {
        let host = B.host { second in second.pressure?.cpuSome = (B.host().samples[0].pressure?.cpuSome ?? 0) + 0.5 }
        let service = ServiceProcessEvidence(pid: 4242, cpuSeconds: 90, runQueueSeconds: 0.3)
        let input = CheckInput(evidence: B.evidence(host: host, service: service), load: B.load(requests: 1000, seconds: 100),
                               options: CheckOptions())
        let cpu = try #require(MetricsCheck.run(input).findings.first { $0.check == .cpuSaturation })
        #expect(abs(cpu.impact.totalSeconds - 0.3) < 1e-9, "\(cpu.evidence)")
        #expect(cpu.evidence.contains { $0.hasPrefix("at most 300 ms of it: pid 4242's threads waited 300 ms for a core") },
                "\(cpu.evidence)")
    }

    @Test func quietHostHasNoFinding() {
        #expect(findings(B.quietHost()).isEmpty)
    }

    @Test func generatorOnTheSameHostIsNamed() throws {
        var host = B.host()
        host.sharedWithGenerator = true
        host.samples[0].ownCPUSeconds = 10
        host.samples[1].ownCPUSeconds = 11.8
        let cpu = try #require(findings(host).first)
        #expect(cpu.evidence.contains("the load generator (this process) used 45% of the host's CPU capacity"))
        #expect(cpu.fix.contains("run it on another machine"))
    }

    @Test(arguments: [
        (CheckID.memoryPressure, "memory (/proc)", Finding.Severity.critical),
        (.diskSaturation, "disk vda", .critical),
        (.tcpRetransmits, "TCP (/proc)", .critical),
        (.listenOverflows, "TCP listen queues (/proc)", .warning),
        (.interfaceErrors, "interface eth0", .warning),
    ])
    func saturationAndErrorsAreFound(check: CheckID, object: String, severity: Finding.Severity) throws {
        var host = B.quietHost()
        switch check {
        case .memoryPressure:
            host.samples[1].swapIn = 5000
            let total = host.samples[1].memory?.totalBytes ?? 0
            host.samples[1].memory?.availableBytes = total / 30
        case .diskSaturation:
            host.samples[1].disks[0].busySeconds += 1.96
            host.samples[1].disks[0].weightedSeconds += 6
            host.samples[1].disks[0].reads += 400
        case .tcpRetransmits:
            host.samples[1].tcp?.outSegments += 2000
            host.samples[1].tcp?.retransmittedSegments += 300
        case .listenOverflows:
            host.samples[1].tcp?.listenOverflows? += 50
        default:
            host.samples[1].interfaces[2].receiveDrops += 7
        }
        let found = findings(host)
        #expect(found.map(\.check) == [check])
        let finding = try #require(found.first)
        #expect(finding.object == object)
        #expect(finding.severity == severity)
    }

    /// A memory total of 0 (or below what is available) is a broken reading, not a host out of memory.
    @Test(arguments: [(UInt64(0), UInt64(0)), (0, 1 << 30), (1 << 20, 1 << 30)])
    func anImpossibleMemoryReadingIsNoPressure(total: UInt64, available: UInt64) {
        var host = B.quietHost()
        for index in host.samples.indices {
            host.samples[index].memory?.totalBytes = total
            host.samples[index].memory?.availableBytes = available
        }
        #expect(findings(host).isEmpty)
    }

    @Test func lossAndDropsAreCostedAtTheKernelsRetryDelays() throws {
        var host = B.quietHost()
        host.samples[1].tcp?.outSegments += 2000
        host.samples[1].tcp?.retransmittedSegments += 300
        host.samples[1].tcp?.listenOverflows? += 50
        let found = findings(host)
        #expect(found.first { $0.check == .tcpRetransmits }?.impact.totalSeconds == 300 * 0.2)
        #expect(found.first { $0.check == .listenOverflows }?.impact.totalSeconds == 50)
    }

    /// The counters are the host's. A load whose connects never waited for a SYN retry was not
    /// dropped: another listener was (information); one whose connects did is costed by those.
    @Test(arguments: [(UInt64(0), Finding.Severity.info, 0.0), (12, .warning, 12)])
    func listenDropsAreTheLoadsOnlyWhenItsConnectsWaitedForTheRetry(retried: UInt64, severity: Finding.Severity, impact: Double) throws {
        var host = B.quietHost()
        host.samples[1].tcp?.listenOverflows? += 50
        let connect = Histogram(recording: Array(repeating: UInt64(150), count: 400) + Array(repeating: UInt64(1_003_000), count: Int(retried)))
        let load = LoadContext(endpoints: [
            .init(scenario: "shop", step: "orders", kind: .http, requests: 1000, totalSeconds: 10, connect: connect),
        ])
        let result = MetricsCheck.run(CheckInput(evidence: B.evidence(host: host), load: load, options: CheckOptions()))
        let finding = try #require(result.findings.first { $0.check == .listenOverflows })
        #expect(finding.severity == severity)
        #expect(finding.impact.totalSeconds == impact)
        #expect(finding.evidence.contains("the load opened \(400 + retried) connections, \(retried) of which took 900 ms or more to connect (a SYN retried)"))
    }

    @Test func oneSampleIsNotEnough() {
        var host = B.host()
        host.samples.removeLast()
        let result = MetricsCheck.run(CheckInput(evidence: B.evidence(host: host), load: nil, options: CheckOptions()))
        #expect(result.findings.isEmpty)
        #expect(result.summary == "no host samples")
    }
}

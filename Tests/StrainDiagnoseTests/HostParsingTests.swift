import Foundation
import Testing
@testable import StrainDiagnose

struct ProcParsingTests {
    let sample = ProcFiles(texts: ProcFixtures.busyStart).sample(at: Date(timeIntervalSince1970: 0))

    @Test func cpuTimesAndRunQueueComeFromStat() throws {
        let cpu = try #require(sample.cpu)
        // cpu  84559 74 21774 348028 1498 0 233 127 0 0, in USER_HZ ticks
        #expect(cpu.user == 845.59)
        #expect(cpu.idle == 3480.28)
        #expect(cpu.steal == 1.27)
        #expect(sample.runnable == 13)
        #expect(sample.blocked == 0)
        #expect(sample.load1 == 2.31)
    }

    @Test func memoryAndSwapComeFromMeminfoAndVmstat() throws {
        let memory = try #require(sample.memory)
        #expect(memory.totalBytes == 24_684_092 * 1024)
        #expect(memory.availableBytes == 23_746_316 * 1024)
        #expect(memory.swapTotalBytes == 0)
        #expect(sample.swapIn == 0)
        #expect(sample.swapOut == 0)
    }

    @Test func onlyWholeDisksAreKept() throws {
        #expect(sample.disks.map(\.name) == ["vda"])
        let disk = try #require(sample.disks.first)
        // vda 130985 15628 13850730 162587 87776 48772 8238136 34123 0 24536 201491 …
        #expect(disk.reads == 130_985)
        #expect(disk.writes == 87_776)
        #expect(disk.busySeconds == 24.536)
        #expect(disk.weightedSeconds == 201.491)
    }

    @Test func loopbackIsLeftOutOfTheInterfaces() {
        #expect(sample.interfaces.map(\.name) == ["ifb0", "ifb1", "eth0"])
        #expect(sample.interfaces.last?.receiveBytes == 162_500_842)
    }

    @Test func tcpCountersComeFromSnmpAndNetstat() throws {
        let tcp = try #require(sample.tcp)
        #expect(tcp.outSegments == 20_686)
        #expect(tcp.retransmittedSegments == 23)
        #expect(tcp.listenOverflows == 0)
        #expect(tcp.listenDrops == 0)
    }

    @Test func pressureTotalsAreInSeconds() throws {
        let pressure = try #require(sample.pressure)
        #expect(pressure.cpuSome == 180.735957)
        #expect(pressure.ioSome != nil)
        #expect(pressure.memoryFull != nil)
    }

    @Test func ownCPUSkipsACommandNameWithSpacesAndParentheses() {
        let stat = "4242 (strain (worker) 1) S 1 4242 4242 0 -1 4194304 98 0 0 0 250 50 0 0 20 0 1 0 178805 3133440 380"
        let sample = ProcFiles(texts: ["self/stat": stat], ticksPerSecond: 100).sample(at: Date())
        #expect(sample.ownCPUSeconds == 3)
    }

    @Test func missingFilesLeaveTheirPartsEmpty() {
        let sample = ProcFiles(texts: ["loadavg": "0.50 0.40 0.30 1/100 42\n"]).sample(at: Date())
        #expect(sample.load1 == 0.5)
        #expect(sample.cpu == nil && sample.memory == nil && sample.tcp == nil && sample.pressure == nil)
        #expect(sample.disks.isEmpty && sample.interfaces.isEmpty)
    }

    @Test(arguments: [("sda1", true), ("nvme0n1p2", true), ("loop3", true), ("zram0", true), ("mmcblk0p1", true),
                      ("sda", false), ("nvme0n1", false), ("vda", false), ("dm-0", false), ("md127", false)])
    func partitionsAndVirtualDevicesAreIgnored(name: String, ignored: Bool) {
        #expect(DiskCounters.isIgnored(name) == ignored)
    }
}

struct NodeExporterTests {
    @Test func capturedMetricsMapToAHostSample() throws {
        let metrics = try PrometheusMetrics(parsing: NodeExporterFixtures.first)
        #expect(metrics.cores == 2)
        let sample = metrics.hostSample(at: Date())
        let cpu = try #require(sample.cpu)
        #expect(abs(cpu.idle - (1794.74 + 1685.53)) < 1e-9)
        #expect(sample.runnable == 10)
        #expect(sample.load1 == 3.9)
        #expect(sample.memory?.availableBytes == 24_281_206_784)
        #expect(sample.disks.map(\.name) == ["vda"])
        #expect(sample.interfaces.map(\.name) == ["eth0"])
        #expect(sample.tcp?.retransmittedSegments == 23)
        #expect(sample.pressure?.cpuSome == 206.217433)
        #expect(sample.pressure?.memoryFull == 0)
    }

    @Test func labelsWithEscapesAndTimestampsParse() throws {
        let text = #"""
        # HELP odd A metric with awkward labels.
        odd{path="C:\\temp",quote="say \"hi\"",multi="a\nb"} 1.5e3 1700000000000
        plain +Inf
        """#
        let metrics = try PrometheusMetrics(parsing: text)
        #expect(metrics.samples.count == 2)
        #expect(metrics.samples[0].labels == ["path": #"C:\temp"#, "quote": #"say "hi""#, "multi": "a\nb"])
        #expect(metrics.samples[0].value == 1500)
        #expect(metrics.samples[1].value == .infinity)
    }

    /// One broken exporter value must not cost the diagnosis: an infinite CPU counter would make every
    /// rate infinite and the evidence unwritable, a counter past 64 bits trapped on conversion.
    @Test func nonFiniteAndHugeValuesAreLeftOutOfTheHostSample() throws {
        let text = """
        node_cpu_seconds_total{cpu="0",mode="user"} +Inf
        node_cpu_seconds_total{cpu="0",mode="idle"} 100
        node_cpu_seconds_total{cpu="0",mode="system"} NaN
        node_procs_running 1e30
        node_netstat_Tcp_OutSegs 1e300
        node_netstat_Tcp_RetransSegs -5
        """
        let sample = try PrometheusMetrics(parsing: text).hostSample(at: Date())
        #expect(sample.cpu?.user == 0)
        #expect(sample.cpu?.idle == 100)
        #expect(sample.cpu?.system == 0)
        #expect(sample.runnable == 0)
        #expect(sample.tcp?.outSegments == 0)
        #expect(sample.tcp?.retransmittedSegments == 0)
    }

    @Test(arguments: [("node_load1", 1), ("ok 1\nnode_cpu{mode=\"idle\" 3", 2), ("ok 1\n\n{x=\"1\"} 2", 3)])
    func malformedLinesAreReportedWithTheirLineNumber(text: String, line: Int) {
        #expect(throws: NodeExporterError.self) { try PrometheusMetrics(parsing: text) }
        do {
            _ = try PrometheusMetrics(parsing: text)
        } catch {
            #expect(error.line == line)
            #expect(error.description.hasPrefix("line \(line): expected"))
        }
    }
}

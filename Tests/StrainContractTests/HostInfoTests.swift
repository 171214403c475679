import Testing
@testable import StrainContract

@Suite struct HostInfoTests {
    @Test("the current host is described sensibly")
    func current() {
        let host = HostInfo.current()
        #expect(host.cores >= 1)
        #expect(host.memoryBytes > 0)
        #expect(!host.hostname.isEmpty)
        #expect(host.os.hasPrefix("Linux "))
        #expect(!host.arch.isEmpty && host.arch != "unknown")
    }

    @Test("MemTotal is read from /proc/meminfo text", arguments: [
        ("MemTotal:       16318712 kB\nMemFree:         1000 kB\n", 16_318_712 * 1024),
        ("MemFree:  1 kB\nMemTotal: 2048 kB", 2 * 1024 * 1024),
        ("MemFree: 1 kB\n", nil),
        ("MemTotal: lots kB\n", nil),
    ] as [(String, UInt64?)])
    func memTotal(meminfo: String, expected: UInt64?) {
        #expect(HostInfo.memTotalBytes(meminfo: meminfo) == expected)
    }
}

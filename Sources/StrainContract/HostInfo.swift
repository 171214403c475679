import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The machine the load was generated from, so results from different hosts are not confused.
public struct HostInfo: Codable, Sendable, Equatable {
    public var hostname: String
    /// Online CPU cores.
    public var cores: Int
    /// Physical memory (MemTotal), or 0 when it cannot be read.
    public var memoryBytes: UInt64
    /// Kernel name and release, e.g. "Linux 6.8.0-45-generic".
    public var os: String
    /// Machine architecture, e.g. "x86_64" or "aarch64".
    public var arch: String

    public init(hostname: String, cores: Int, memoryBytes: UInt64, os: String, arch: String) {
        self.hostname = hostname
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.os = os
        self.arch = arch
    }

    /// Describes the machine this process runs on.
    public static func current() -> HostInfo {
        var system = utsname()
        let hasUname = uname(&system) == 0
        let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        return HostInfo(
            hostname: currentHostname(),
            cores: Swift.max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))),
            memoryBytes: meminfo.flatMap(memTotalBytes(meminfo:)) ?? 0,
            os: hasUname ? "\(string(from: system.sysname)) \(string(from: system.release))" : "unknown",
            arch: hasUname ? string(from: system.machine) : "unknown"
        )
    }

    /// MemTotal from the text of /proc/meminfo ("MemTotal:       16318712 kB"), in bytes.
    static func memTotalBytes(meminfo: String) -> UInt64? {
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let fields = line.dropFirst("MemTotal:".count).split(separator: " ")
            guard let kibibytes = fields.first.flatMap({ UInt64($0) }) else { return nil }
            return kibibytes * 1024
        }
        return nil
    }

    private static func currentHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A NUL-terminated C char array imported as a tuple (the `utsname` fields) as a String.
    private static func string<Tuple>(from field: Tuple) -> String {
        withUnsafeBytes(of: field) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Samples a local process with `perf record` for the length of the window, then summarises
/// the samples by innermost frame with `perf report`.
final class Profiler: Sendable {
    let pid: Int32
    private let dataFile: URL
    /// perf's messages go to a file: a pipe nobody reads while it records could fill and stall it.
    private let logFile: URL
    private let recorder: Process

    /// Starts `perf record`; throws when perf is missing or cannot be started. (Whether it could
    /// attach to `pid` shows in `finish()`.)
    init(pid: Int32) throws {
        guard let perf = Self.executable("perf") else {
            throw DiagnoseSetupError(description: "perf is not installed (Debian: apt-get install linux-perf)")
        }
        self.pid = pid
        dataFile = FileManager.default.temporaryDirectory.appendingPathComponent("strain-perf-\(getpid())-\(pid).data")
        logFile = dataFile.appendingPathExtension("log")
        guard FileManager.default.createFile(atPath: logFile.path, contents: nil) else {
            throw DiagnoseSetupError(description: "cannot create \(logFile.path) for perf's messages")
        }
        recorder = Process()
        recorder.executableURL = perf
        // cpu-clock is a software event: it works in virtual machines without hardware counters.
        // Innermost frames only (no -g): that is what the report names. `-p` attaches to the
        // threads that exist when it starts and fails when one exits meanwhile, which servers with
        // a thread per connection do all the time; as root, record every CPU and keep the pid's
        // samples in the report instead.
        let target = geteuid() == 0 ? ["-a"] : ["-p", String(pid)]
        recorder.arguments = ["record", "-e", "cpu-clock", "-F", "99"] + target + ["-o", dataFile.path, "--quiet"]
        recorder.standardOutput = FileHandle.nullDevice
        recorder.standardError = try FileHandle(forWritingTo: logFile)
        // A child inherits the signal mask of the thread that starts it, and runtime threads may
        // block SIGINT, which perf needs to stop cleanly: let it through while perf is started.
        var interrupt = sigset_t()
        var previous = sigset_t()
        sigemptyset(&interrupt)
        sigaddset(&interrupt, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &interrupt, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try recorder.run()
    }

    /// Stops the recording and reads the hottest frames.
    func finish() throws -> ProfilerEvidence {
        defer {
            try? FileManager.default.removeItem(at: dataFile)
            try? FileManager.default.removeItem(at: logFile)
        }
        if recorder.isRunning { recorder.interrupt() }
        recorder.waitUntilExit()
        guard FileManager.default.fileExists(atPath: dataFile.path) else {
            let messages = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            let reason = messages.trimmingCharacters(in: .whitespacesAndNewlines)
            throw DiagnoseSetupError(description: "perf could not sample pid \(pid): \(reason.isEmpty ? "no samples written" : reason)")
        }
        let report = Process()
        report.executableURL = recorder.executableURL
        report.arguments = ["report", "-i", dataFile.path, "--pid", String(pid), "--stdio", "--no-children", "--sort", "dso,symbol", "-g", "none",
                            "-F", "overhead,sample,dso,sym", "--field-separator", "|"]
        let output = Pipe()
        report.standardOutput = output
        report.standardError = FileHandle.nullDevice
        try report.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        report.waitUntilExit()
        var evidence = PerfReport.evidence(pid: pid, report: text)
        evidence.frames = try Self.demangled(evidence.frames)
        return evidence
    }

    /// Swift symbols as source names ("static Shop.computeReport()"), when swift-demangle is installed.
    private static func demangled(_ frames: [ProfilerEvidence.Frame]) throws -> [ProfilerEvidence.Frame] {
        guard let demangler = executable("swift-demangle") else { return frames }
        let process = Process()
        process.executableURL = demangler
        process.arguments = ["--simplified", "--compact"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(frames.map { $0.symbol + "\n" }.joined().utf8))
        try input.fileHandleForWriting.close()
        let names = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        process.waitUntilExit()
        guard process.terminationStatus == 0, names.count == frames.count else { return frames }
        return zip(frames, names).map { frame, name in
            var frame = frame
            frame.symbol = String(name)
            return frame
        }
    }

    private static func executable(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}

/// Reads `perf report --field-separator '|' -F overhead,sample,dso,sym` output.
enum PerfReport {
    static let framesKept = 20

    static func evidence(pid: Int32, report: String) -> ProfilerEvidence {
        var frames: [ProfilerEvidence.Frame] = []
        for line in report.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 4, let samples = Int(fields[1]) else { continue }
            // "[k] do_syscall_64" (kernel) or "[.] main" (user space): drop the marker.
            let symbol = fields[3].replacing(#/^\[.\] /#, with: "")
            frames.append(ProfilerEvidence.Frame(symbol: symbol.isEmpty ? "(unknown)" : symbol, module: fields[2],
                                                 samples: samples, share: 0))
        }
        // The header counts every sample of the recording (all CPUs when recording system-wide);
        // the frames listed are those of the process the report was filtered to.
        let total = frames.reduce(0) { $0 + $1.samples }
        let ranked = frames.sorted { ($0.samples, $1.symbol) > ($1.samples, $0.symbol) }.prefix(framesKept).map { frame in
            var frame = frame
            frame.share = total > 0 ? Double(frame.samples) / Double(total) : 0
            return frame
        }
        return ProfilerEvidence(pid: pid, samples: total, frames: Array(ranked))
    }
}

import Foundation

/// Runs the built `strain` binary the way a user or a CI job does, capturing both streams and the
/// exit status.
struct StrainProcess {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The binary sits next to the test bundle in the build products folder; STRAIN_BIN overrides.
    static let binary: URL = {
        if let override = ProcessInfo.processInfo.environment["STRAIN_BIN"] {
            return URL(fileURLWithPath: override)
        }
        let testBundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return testBundle.deletingLastPathComponent().appendingPathComponent("strain")
    }()

    /// The package root, for fixtures (profiles/, Tests/…/Malformed).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// With `timeLimit` (seconds) the binary is killed when it runs longer; the status is then 137.
    /// With `ulimit`, a shell applies those `ulimit` options first, e.g. `["-Sn", "64"]` for a soft
    /// limit of 64 open files. `input` is written to its standard input (otherwise it reads nothing).
    static func run(_ arguments: [String], environment: [String: String] = [:],
                    directory: URL = packageRoot, timeLimit: Int? = nil, ulimit: [String]? = nil,
                    input: String? = nil) throws -> Outcome {
        let process = Process()
        var command = [binary.path] + arguments
        if let timeLimit { command = ["/usr/bin/timeout", "--signal=KILL", String(timeLimit)] + command }
        if let ulimit { command = ["/bin/sh", "-c", "ulimit \(ulimit.joined(separator: " ")) && exec \"$0\" \"$@\""] + command }
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            // Small inputs only: the pipe's buffer holds them before the child reads.
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        // Read both pipes to the end before waiting, so a chatty child never blocks on a full pipe.
        let errData = StreamCollector(stderr.fileHandleForReading)
        let outData = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus,
                       stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errData.wait(), as: UTF8.self))
    }
}

/// Drains a pipe on a background thread.
private final class StreamCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}

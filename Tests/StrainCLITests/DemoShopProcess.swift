import Foundation
import StrainCurl

/// A demo-shop process (the shop or its slow downstream) started from a test, on a port the
/// kernel picks; stopped by PID when the value goes away.
final class DemoShopProcess: @unchecked Sendable {
    let process = Process()
    let port: Int

    var url: String { "http://127.0.0.1:\(port)" }
    var pid: Int32 { process.processIdentifier }

    static let binary = StrainProcess.binary.deletingLastPathComponent().appendingPathComponent("demo-shop")

    /// Runs `demo-shop seed` to completion.
    static func seed(postgres: String) throws {
        let seed = Process()
        seed.executableURL = binary
        seed.arguments = ["seed", "--postgres", postgres]
        seed.standardOutput = FileHandle.nullDevice
        try seed.run()
        seed.waitUntilExit()
        guard seed.terminationStatus == 0 else { throw DemoShopError("demo-shop seed exited \(seed.terminationStatus)") }
    }

    /// Starts `demo-shop ARGUMENTS --port 0` and waits for its "listening on" line.
    init(_ arguments: [String]) throws {
        process.executableURL = Self.binary
        process.arguments = arguments + ["--port", "0"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        let reader = output.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = reader.availableData
            if chunk.isEmpty { throw DemoShopError("demo-shop \(arguments.first ?? "") exited before listening") }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let portText = text.split(separator: ":").last?.prefix(while: \.isNumber), let port = Int(portText) else {
            throw DemoShopError("unexpected first line from demo-shop: \(text)")
        }
        self.port = port
    }

    /// Seconds the shop's requests have waited for a pooled connection, as the shop counts them
    /// (`GET /pool`).
    func poolWaitSeconds() throws -> Double {
        let easy = try CurlEasy()
        try easy.setURL("\(url)/pool")
        try easy.perform()
        let object = try JSONSerialization.jsonObject(with: Data(easy.responseBody)) as? [String: Any]
        guard let seconds = object?["waitSeconds"] as? Double else {
            throw DemoShopError("GET /pool answered \(String(decoding: easy.responseBody, as: UTF8.self))")
        }
        return seconds
    }

    deinit {
        if process.isRunning {
            // SIGKILL, not terminate()'s SIGTERM: a child inherits the signal mask of the test
            // thread that started it, which may block SIGTERM, and waiting would never end.
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }
}

struct DemoShopError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

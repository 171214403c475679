import Foundation
import StrainPQ

/// demo-shop: a small, deliberately flawed HTTP service on PostgreSQL, used by `scripts/demo`
/// and the acceptance tests. Every flaw is a `Fault` that can be switched off.
let usage = """
usage: demo-shop seed --postgres CONNINFO [--customers 40000] [--orders 300000]
       demo-shop serve --postgres CONNINFO --downstream URL [--port 8090] [--pool 8]
                       [--faults all|none|LIST] [--leak-hold 8]
       demo-shop downstream [--port 8091] [--delay-ms 150]

faults: \(Fault.allCases.map(\.rawValue).joined(separator: ", "))
"""

func options(_ words: ArraySlice<String>) throws -> [String: String] {
    var result: [String: String] = [:]
    var iterator = words.makeIterator()
    while let word = iterator.next() {
        guard word.hasPrefix("--"), let value = iterator.next() else {
            throw UsageError("expected --option value, found '\(word)'")
        }
        result[String(word.dropFirst(2))] = value
    }
    return result
}

func number<T: LosslessStringConvertible>(_ options: [String: String], _ key: String, default fallback: T) throws -> T {
    guard let text = options[key] else { return fallback }
    guard let value = T(text) else { throw UsageError("--\(key): expected a number, found '\(text)'") }
    return value
}

func required(_ options: [String: String], _ key: String) throws -> String {
    guard let value = options[key] else { throw UsageError("--\(key) is required") }
    return value
}

/// Prints the address once listening, so scripts and tests know the server is ready.
func announce(_ name: String, _ server: HTTPServer) {
    FileHandle.standardOutput.write(Data("\(name) listening on http://127.0.0.1:\(server.port)\n".utf8))
}

do {
    let arguments = CommandLine.arguments.dropFirst()
    let given = try options(arguments.dropFirst())
    switch arguments.first {
    case "seed":
        try Seed.run(conninfo: try required(given, "postgres"),
                     customers: try number(given, "customers", default: 40_000),
                     orders: try number(given, "orders", default: 300_000))
        print("demo-shop: seeded")
    case "serve":
        let conninfo = try required(given, "postgres")
        let faults = try Fault.parse(given["faults"] ?? "all")
        try Seed.applyIndexFault(enabled: faults.contains(.unindexedSearch), connection: PGConnection(conninfo: conninfo))
        let shop = Shop(pool: try ConnectionPool(conninfo: conninfo, size: try number(given, "pool", default: 8)),
                        faults: faults, downstreamURL: try required(given, "downstream"),
                        leakHold: try number(given, "leak-hold", default: 8.0))
        let server = try HTTPServer(port: try number(given, "port", default: 8090)) { shop.handle($0) }
        announce("demo-shop (faults: \(faults.map(\.rawValue).sorted().joined(separator: ",")))", server)
        server.serve()
    case "downstream":
        let delay = try number(given, "delay-ms", default: 150)
        let server = try HTTPServer(port: try number(given, "port", default: 8091)) { _ in
            Thread.sleep(forTimeInterval: Double(delay) / 1000)
            return .json(200, #"{"recommendations":[101,202,303]}"#)
        }
        announce("downstream", server)
        server.serve()
    default:
        throw UsageError("expected a command: seed, serve or downstream")
    }
} catch {
    let help = error is UsageError ? "\n\(usage)" : ""
    FileHandle.standardError.write(Data("demo-shop: \(error)\(help)\n".utf8))
    exit(2)
}

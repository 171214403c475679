import Foundation
import StrainProfile

/// Load described on the command line (`strain run --url URL -c 64 -d 10s`, `--rate 1000/s`), turned
/// into profile text so that it goes through `ProfileLoader.parse` and the same validation as a file.
/// The URL's host is the only one load may go to.
public struct AdHocLoad: Sendable, Equatable {
    public var url: String
    /// Closed model: the connections; with `rate`: the most connections in flight.
    public var connections: Int?
    public var duration: String?
    /// Closed model: iterations in total instead of a duration.
    public var iterations: Int?
    /// Open model at this constant rate, like "1000/s".
    public var rate: String?
    public var arrival: String?
    public var method: String?
    /// "Name: value" lines.
    public var headers: [String] = []
    public var body: String?
    /// A file whose bytes are the body.
    public var bodyFile: String?
    public var timeout: String?
    public var thinkTime: String?
    public var httpVersion: String?
    public var caFile: String?
    public var insecure = false
    public var redirects: Int?

    /// Ten connections for ten seconds unless told otherwise, like wrk.
    public static let defaultConnections = 10
    public static let defaultDuration = "10s"
    /// The name of the profile, so runs go to reports/adhoc-<time>/.
    public static let profileName = "adhoc"
    /// `ProfileSource.path` of an ad-hoc profile.
    public static let sourcePath = "(command line)"

    public init(url: String) {
        self.url = url
    }

    /// The validated profile; errors name the flag at fault.
    public func profile(baseDirectory: URL) throws(AdHocError) -> Profile {
        let text = try profileText()
        do {
            return try ProfileLoader.parse(text, path: Self.sourcePath, baseDirectory: baseDirectory)
        } catch {
            throw AdHocError("\(Self.flag(for: error.keyPath).map { "\($0): " } ?? "")\(error.message)"
                             + (error.suggestion.map { "; did you mean \"\($0)\"?" } ?? ""))
        }
    }

    /// The profile as JSON text.
    public func profileText() throws(AdHocError) -> String {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty,
              components.scheme != nil else {
            throw AdHocError("--url: expected an absolute URL like http://127.0.0.1:8080/, found \"\(URLText.redacted(url))\"")
        }
        var target: [String: Any] = ["allow": [host]]
        if let httpVersion { target["http"] = httpVersion }
        if let redirects { target["redirects"] = redirects }
        var tls: [String: Any] = [:]
        if let caFile { tls["caFile"] = caFile }
        if insecure { tls["insecure"] = true }
        if !tls.isEmpty { target["tls"] = tls }

        var load: [String: Any]
        if let rate {
            load = ["model": "open", "rate": rate, "duration": duration ?? Self.defaultDuration]
            if let connections { load["maxConnections"] = connections }
            if let arrival { load["arrival"] = arrival }
            if let iterations { load["iterations"] = iterations }
        } else {
            load = ["model": "closed", "connections": connections ?? Self.defaultConnections]
            if let iterations { load["iterations"] = iterations } else { load["duration"] = duration ?? Self.defaultDuration }
            if iterations != nil, let duration { load["duration"] = duration }
            if let arrival { load["arrival"] = arrival }
        }
        if let thinkTime { load["thinkTime"] = thinkTime }

        var step: [String: Any] = ["url": url]
        if let method { step["method"] = method }
        var headerValues: [String: String] = [:]
        for line in headers {
            guard let colon = line.firstIndex(of: ":") else {
                throw AdHocError("--header: expected \"Name: value\", found \"\(line)\"")
            }
            headerValues[line[..<colon].trimmingCharacters(in: .whitespaces)] =
                line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if !headerValues.isEmpty { step["headers"] = headerValues }
        switch (body, bodyFile) {
        case (_?, _?): throw AdHocError("--body and --body-file: give one or the other")
        case (let text?, nil): step["body"] = text
        case (nil, let file?): step["body"] = ["file": file]
        case (nil, nil): break
        }
        if let timeout { step["timeout"] = timeout }

        let profile: [String: Any] = [
            "name": Self.profileName,
            "target": target,
            "scenarios": [["name": "load", "load": load, "steps": [step]]],
        ]
        // Every value came from strings and integers, so serialising cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: profile, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The command-line flag behind a key of the generated profile.
    static func flag(for path: ProfilePath) -> String? {
        let keys = path.components.compactMap { component -> String? in
            if case .key(let key) = component { key } else { nil }
        }
        if keys.contains("headers") { return "--header" }
        if keys.contains("tls") { return keys.last == "caFile" ? "--cacert" : "--insecure" }
        switch keys.last {
        case "rate": return "--rate"
        case "duration": return "--duration"
        case "connections", "maxConnections": return "--connections"
        case "iterations": return "--iterations"
        case "arrival": return "--arrival"
        case "thinkTime": return "--think"
        case "method": return "--method"
        case "url", "allow": return "--url"
        case "body", "file": return "--body"
        case "timeout": return "--timeout"
        case "http": return "--http"
        case "redirects": return "--redirects"
        default: return nil
        }
    }
}

/// A command-line load description that does not make a valid profile; the message names the flag.
public struct AdHocError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

import Foundation
import StrainProfile
import StrainContract

/// Load described on the command line (`strain run --url URL -c 64 -d 10s`, `--rate 1000/s`), turned
/// into profile text so that it goes through `ProfileLoader.parse` and the same validation as a file.
/// The targets' hosts are the only ones load may go to. Several targets share the load evenly, each
/// as a scenario of its own (`target 1`, `target 2` …), so each is reported on its own.
public struct AdHocLoad: Sendable, Equatable {
    public var targets: [AdHocTarget]
    /// Closed model: the connections; with `rate`: the most connections in flight.
    public var connections: Int?
    public var duration: String?
    /// Closed model: iterations in total instead of a duration.
    public var iterations: Int?
    /// Open model at this constant rate, like "1000/s".
    public var rate: String?
    public var arrival: String?
    /// For targets without a method of their own.
    public var method: String?
    /// "Name: value" lines, sent to every target.
    public var headers: [String] = []
    /// For targets without a body file of their own.
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

    public init(targets: [AdHocTarget]) {
        self.targets = targets
    }

    public init(url: String) {
        self.init(targets: [AdHocTarget(url: url)])
    }

    /// The validated profile; errors name the flag at fault.
    public func profile(baseDirectory: URL) throws(AdHocError) -> Profile {
        let text = try profileText()
        do {
            return try ProfileLoader.parse(text, path: Self.sourcePath, baseDirectory: baseDirectory)
        } catch {
            // A targets file's own lines are named by file:line; the command line's options by flag.
            let flag = Self.flag(for: error.keyPath)
            let fromTarget = ["--url", "--method", "--header", "--body"].contains(flag)
            let origin = Self.targetIndex(of: error.keyPath).flatMap { targets.indices.contains($0) && fromTarget ? targets[$0].origin : nil }
            throw AdHocError("\((origin ?? flag).map { "\($0): " } ?? "")\(error.message)"
                             + (error.suggestion.map { "; did you mean \"\($0)\"?" } ?? ""))
        }
    }

    /// The profile as JSON text.
    public func profileText() throws(AdHocError) -> String {
        var hosts: [String] = []
        for target in targets {
            guard let components = URLComponents(string: target.url), let host = components.host, !host.isEmpty,
                  components.scheme != nil else {
                throw AdHocError("\(target.origin ?? "--url"): expected an absolute URL like http://127.0.0.1:8080/, found \"\(URLText.redacted(target.url))\"")
            }
            if !hosts.contains(host) { hosts.append(host) }
        }
        guard !targets.isEmpty else { throw AdHocError("--url: no URL given") }
        var target: [String: Any] = ["allow": hosts]
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
            // Every target gets at least one of the default connections.
            load = ["model": "closed", "connections": connections ?? max(Self.defaultConnections, targets.count)]
            if let iterations { load["iterations"] = iterations } else { load["duration"] = duration ?? Self.defaultDuration }
            if iterations != nil, let duration { load["duration"] = duration }
            if let arrival { load["arrival"] = arrival }
        }
        if let thinkTime { load["thinkTime"] = thinkTime }

        var profile: [String: Any] = ["name": Self.profileName, "target": target]
        let steps = try targets.map(step)
        if steps.count == 1 {
            profile["scenarios"] = [["name": "load", "load": load, "steps": steps]]
        } else {
            // A shared load split by equal weights: each target its share of the rate and connections.
            profile["load"] = load
            profile["scenarios"] = steps.enumerated().map { ["name": "target \($0.offset + 1)", "steps": [$0.element]] }
        }
        // Every value came from strings and integers, so serialising cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: profile, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The profile step of one target: its own method, headers and body first, then the command line's.
    private func step(_ target: AdHocTarget) throws(AdHocError) -> [String: Any] {
        // The command line's values may hold `${…}` references, as a profile's do; a targets file's are
        // sent as written, as vegeta sends them (a file from elsewhere must not read the environment).
        let written = target.origin == nil ? { (text: String) in text } : Template.escaping
        var step: [String: Any] = ["url": written(target.url)]
        if let method = target.method ?? method { step["method"] = method }
        var headerValues: [String: String] = [:]
        for (line, isTargets) in headers.map({ ($0, false) }) + target.headers.map({ ($0, true) }) {
            guard let colon = line.firstIndex(of: ":") else {
                throw AdHocError("--header: expected \"Name: value\", found \"\(line)\"")
            }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            // The name as written: "X :v" is not a header (RFC 9112 forbids space before the colon), and
            // the profile's header rules refuse it rather than it being sent as "X: v".
            headerValues[String(line[..<colon])] = isTargets ? written(value) : value
        }
        if !headerValues.isEmpty { step["headers"] = headerValues }
        switch (body, target.bodyFile ?? bodyFile) {
        case (_?, _?) where target.bodyFile == nil: throw AdHocError("--body and --body-file: give one or the other")
        case (_, let file?): step["body"] = ["file": file]
        case (let text?, nil): step["body"] = text
        case (nil, nil): break
        }
        if let timeout { step["timeout"] = timeout }
        return step
    }

    /// The target behind a key of a profile with several targets (`scenarios[2]…` is the third).
    static func targetIndex(of path: ProfilePath) -> Int? {
        guard path.components.count >= 2, path.components[0] == .key("scenarios"), case .index(let index) = path.components[1] else {
            return nil
        }
        return index
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
        case "body": return "--body"
        case "file": return "--body-file"
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

    /// One line: the file's text it quotes may hold line feeds.
    init(_ description: String) {
        self.description = TerminalText.oneLine(description)
    }
}

import Foundation

/// Reads the decoded JSON tree into a `Profile`, checking values, cross-references and files as it goes.
/// Problems are recorded in `problems` with their key paths (reading goes on where the parts are
/// independent), and the first is thrown; `ProfileLoader` adds the file and positions.
struct ProfileDecoder {
    let sourceMap: SourceMap
    let files: ProfileFiles
    let problems: ProblemLog

    static let defaultTimeout = TimeSpan(seconds: 30)
    /// 1 MiB: any JSON answer or page a check reads, without letting a huge body fill memory.
    static let defaultMaxBodyBytes = 1 << 20

    func profile(from value: JSONValue, source: ProfileSource) throws(ProfileError) -> Profile {
        let object = try ObjectReader(Field(path: .root, value: value, sourceMap: sourceMap, problems: problems), as: Profile.self)
        // Only editors read $schema; it just has to be a string.
        _ = problems.attempt { () throws(ProfileError) in try object["$schema"]?.string() }
        let name = problems.attempt { () throws(ProfileError) -> String in
            try object.required("name").name()
        }
        let description = problems.attempt { () throws(ProfileError) in try object["description"]?.string() }
        let diagnose = problems.attempt { () throws(ProfileError) in try self.diagnose(object["diagnose"]) }
        let target = problems.attempt { () throws(ProfileError) in try self.target(object["target"]) }
        let feeders = problems.attempt { () throws(ProfileError) in try self.feeders(object["feeders"]) }
        let feederColumns = Dictionary(uniqueKeysWithValues: ((try? feeders.get()) ?? []).map { ($0.name, $0.columns) })
        let defaults = problems.attempt { () throws(ProfileError) in try self.defaults(object["defaults"], feederColumns: feederColumns) }
        // Scenarios build on the target, the feeders and the defaults: with one of those wrong, their
        // problems would be guesses.
        _ = try feeders.get()
        let sharedLoadObject = try object["load"].map { (field) throws(ProfileError) in try ObjectReader(field, as: Load.self) }
        let scenarioDecoder = ScenarioDecoder(files: files, target: try target.get(), defaults: try defaults.get(),
                                              feederColumns: feederColumns, sharedLoad: sharedLoadObject)
        let decoded = problems.attempt { () throws(ProfileError) in try scenarioDecoder.scenarios(try object.required("scenarios")) }
        let (scenarios, scenariosComplete) = (try? decoded.get()) ?? ([], false)
        let sharedLoad = problems.attempt { () throws(ProfileError) in
            try sharedLoadObject.map { (load) throws(ProfileError) in try scenarioDecoder.load(load, kind: nil) }
        }
        let thresholds = thresholds(object["thresholds"], scenarios: scenarios, scenariosComplete: scenariosComplete)
        if let first = problems.problems.first { throw first }
        return Profile(
            name: try name.get(),
            description: try description.get(),
            target: try target.get(),
            defaults: try defaults.get(),
            feeders: try feeders.get(),
            sharedLoad: try sharedLoad.get(),
            scenarios: scenarios,
            thresholds: thresholds,
            diagnose: try diagnose.get(),
            source: source)
    }

    // MARK: Target

    func target(_ field: Field?) throws(ProfileError) -> Target {
        guard let field else {
            return Target(baseURL: nil, allowedHosts: [], httpVersion: .http1_1,
                          tls: TLSOptions(caFile: nil, insecure: false), maxRedirects: 0)
        }
        let object = try ObjectReader(field, as: Target.self)
        var baseURL: URL?
        if let baseURLField = object["baseURL"] {
            baseURL = try Self.httpURL(baseURLField)
        }
        var allowedHosts = baseURL?.host.map { [Self.normalizedHost($0)] } ?? []
        if let allowField = object["allow"] {
            let hosts = try allowField.array()
            guard !hosts.isEmpty else { throw allowField.error("must list at least one host, like [\"127.0.0.1\"]") }
            allowedHosts = []
            for host in hosts {
                allowedHosts.append(Self.normalizedHost(try host.nonEmptyString()))
            }
        }
        if let baseURLField = object["baseURL"], let host = baseURL?.host, !allowedHosts.contains(Self.normalizedHost(host)) {
            throw baseURLField.error("host \"\(host)\" is not in target.allow (\(allowedHosts.joined(separator: ", "))); add it there if load may go to it")
        }
        let httpVersion = try object["http"]?.choice(HTTPVersion.self) ?? .http1_1
        if let httpField = object["http"], let scheme = baseURL?.scheme, let problem = Self.schemeProblem(scheme, httpVersion) {
            throw httpField.error(problem)
        }
        var tls = TLSOptions(caFile: nil, insecure: false)
        if let tlsField = object["tls"] {
            let tlsObject = try ObjectReader(tlsField, as: TLSOptions.self)
            var caFile: URL?
            if let caField = tlsObject["caFile"] {
                caFile = try files.existingFile(caField)
            }
            tls = TLSOptions(caFile: caFile, insecure: try tlsObject["insecure"]?.bool() ?? false)
        }
        return Target(baseURL: baseURL, allowedHosts: allowedHosts, httpVersion: httpVersion, tls: tls,
                      maxRedirects: try object["redirects"]?.integer(in: 0...Limits.redirects) ?? 0,
                      cookies: try object["cookies"]?.bool() ?? true,
                      compression: try object["compression"]?.choice(Compression.self))
    }

    /// An absolute http(s) URL written out in full (hosts must be checkable, so no `${…}`).
    static func httpURL(_ field: Field) throws(ProfileError) -> URL {
        let expected = #"an absolute URL like "http://127.0.0.1:8080""#
        let text = try field.parsed(expected) { $0 }
        if text.contains("${") {
            throw field.error("must be written out in full; ${…} is not expanded here, found \"\(text)\"")
        }
        if let problem = URLText.unsendableCharacter(in: text) { throw field.error(problem) }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", components.host?.isEmpty == false, let url = URL(string: text) else {
            throw field.error("expected \(expected) (http or https), found \"\(URLText.redacted(text))\"")
        }
        if let problem = URLText.portProblem(in: text) { throw field.error(problem) }
        return url
    }

    /// Hosts compare lowercased and IPv6 addresses without brackets, so "[::1]" in a URL matches "::1",
    /// and international names in the ASCII form DNS and libcurl use ("exämple.com" is
    /// "xn--exmple-cua.com"): a base URL's host reads as the one, a step URL's as the other.
    static func normalizedHost(_ host: String) -> String {
        let bare = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard bare.unicodeScalars.contains(where: { !$0.isASCII }), !bare.contains(where: { ":/?#@[]\\".contains($0) }),
              let ascii = URL(string: "http://\(bare)/")?.host, !ascii.isEmpty else { return bare }
        return ascii.lowercased()
    }

    /// Why a URL scheme cannot be used with the chosen HTTP version, if it cannot.
    static func schemeProblem(_ scheme: String, _ version: HTTPVersion) -> String? {
        switch (version, scheme.lowercased()) {
        case (.http2, "http"):
            #"http "2" is HTTP/2 over TLS and needs https URLs; use "h2c" for HTTP/2 without TLS"#
        case (.h2c, "https"):
            #"http "h2c" is HTTP/2 without TLS and needs http URLs; use "2" for https"#
        default:
            nil
        }
    }

    // MARK: Defaults and feeders

    func defaults(_ field: Field?, feederColumns: [String: [String]]) throws(ProfileError) -> Defaults {
        guard let field else {
            return Defaults(timeout: Self.defaultTimeout, headers: [], thinkTime: .zero, maxBodyBytes: Self.defaultMaxBodyBytes)
        }
        let object = try ObjectReader(field, as: Defaults.self)
        return Defaults(
            timeout: try object["timeout"]?.timeSpan() ?? Self.defaultTimeout,
            headers: try Self.headers(object["headers"], in: ReferenceScope(allowed: .noVariables, feeders: feederColumns)),
            thinkTime: try object["thinkTime"]?.timeSpan(allowingZero: true) ?? .zero,
            maxBodyBytes: try object["maxBodyBytes"]?.integer(in: 1...Limits.bodyBytes) ?? Self.defaultMaxBodyBytes)
    }

    /// Headers Strain writes itself from the request's body: a profile's own would frame the request
    /// differently from what is sent (a body of 5 bytes under `Content-Length: 1` leaves 4 to be read
    /// as the next request on the connection).
    static let framingHeaders: Set<String> = ["content-length", "transfer-encoding"]

    static func headers(_ field: Field?, in scope: ReferenceScope) throws(ProfileError) -> [Header] {
        guard let field else { return [] }
        var headers: [Header] = []
        // Each name as first written, by its lower case: a lookup per header keeps a profile of many
        // headers linear (scanning the list took minutes for 40,000).
        var namesSeen: [String: String] = [:]
        // RFC 9110 token characters.
        let allowed = CharacterSet(charactersIn: "!#$%&'*+-.^_`|~").union(.alphanumerics)
        for (name, value) in try field.members() {
            guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
                throw ProfileError(keyPath: value.path, message: "\"\(name)\" is not a valid header name (letters, digits and !#$%&'*+-.^_`|~)",
                                   anchor: .key)
            }
            if Self.framingHeaders.contains(name.lowercased()) {
                throw ProfileError(keyPath: value.path, message: "\(name) is set by Strain from the body it sends; a header of the "
                                   + "profile's own would frame the request differently from its body", anchor: .key)
            }
            if let earlier = namesSeen.updateValue(name, forKey: name.lowercased()) {
                throw ProfileError(keyPath: value.path, message: "\"\(name)\" repeats \"\(earlier)\" (header names are compared "
                                   + "without case): give each header once", anchor: .key)
            }
            if value.value.stringContainsHeaderControl {
                throw value.error("a header value cannot contain a control character other than tab (CR and LF would end the "
                                  + "header and start another)")
            }
            headers.append(Header(name: name, value: try value.template(in: scope)))
        }
        return headers
    }

    func feeders(_ field: Field?) throws(ProfileError) -> [Feeder] {
        guard let field else { return [] }
        var feeders: [Feeder] = []
        for (name, member) in try field.members() {
            guard name.isVariableName, name != "env" else {
                throw ProfileError(keyPath: member.path,
                                   message: "feeder names are letters, digits and _ so that ${\(name).column} can name them (\"env\" is reserved)",
                                   anchor: .key)
            }
            let object = try ObjectReader(member, as: Feeder.self)
            let csvField = try object.required("csv")
            let file = try files.existingFile(csvField)
            feeders.append(Feeder(name: name, file: file, mode: try object["mode"]?.choice(FeederMode.self) ?? .sequential,
                                  columns: try files.csvHeader(of: file, field: csvField)))
        }
        return feeders
    }

    // MARK: Thresholds and diagnose

    /// The thresholds that read; problems are recorded. Scope names are only checked when every
    /// scenario read, as a missing one may be the scenario that had a problem (metrics always are).
    func thresholds(_ field: Field?, scenarios: [Scenario], scenariosComplete: Bool) -> [Threshold] {
        guard let field, case .success(let members) = problems.attempt({ () throws(ProfileError) in try field.members() }) else { return [] }
        var thresholds: [Threshold] = []
        for (key, member) in members {
            let scope: ThresholdScope
            let metric: Metric
            do {
                (scope, metric) = try Threshold.target(ofKey: key, scenarios: scenarios)
            } catch {
                let metricIsKnown = key.split(separator: ".").last.map { Metric(rawValue: String($0)) != nil } ?? false
                if scenariosComplete || !metricIsKnown {
                    problems.record(ProfileError(keyPath: member.path, message: error.message, suggestion: error.suggestion, anchor: .key))
                }
                continue
            }
            let conditions = problems.attempt { () throws(ProfileError) -> [Field] in
                guard case .array = member.value else { throw member.mismatch(#"a list like ["p(99) < 300ms"]"#) }
                let conditions = try member.array()
                guard !conditions.isEmpty else { throw member.error(#"must list at least one condition, like ["p(99) < 300ms"]"#) }
                return conditions
            }
            for condition in (try? conditions.get()) ?? [] {
                let threshold = problems.attempt { () throws(ProfileError) -> Threshold in
                    var expression = condition
                    var abortOnFail = false
                    switch condition.value {
                    case .string:
                        break
                    case .object:
                        let object = try ObjectReader(condition, as: Threshold.self)
                        expression = try object.required("threshold")
                        abortOnFail = try object["abortOnFail"]?.bool() ?? false
                    default:
                        throw condition.mismatch(#"a condition like "p(99) < 300ms" or { threshold: "p(99) < 300ms", abortOnFail: true }"#)
                    }
                    return try expression.parsed(Threshold.expectedForm) { (text) throws(ValueError) in
                        try Threshold(scope: scope, metric: metric, expression: text, abortOnFail: abortOnFail)
                    }
                }
                if case .success(let threshold) = threshold { thresholds.append(threshold) }
            }
        }
        return thresholds
    }

    func diagnose(_ field: Field?) throws(ProfileError) -> DiagnoseOptions? {
        guard let field else { return nil }
        let object = try ObjectReader(field, as: DiagnoseOptions.self)
        let environmentOnly = ReferenceScope(allowed: .environmentOnly)
        var nodeExporter: URL?
        if let nodeExporterField = object["nodeExporter"] {
            nodeExporter = try Self.httpURL(nodeExporterField)
        }
        var dependencies: [Dependency] = []
        if let dependenciesField = object["dependencies"] {
            for (name, url) in try dependenciesField.members() {
                // The name heads the dependency's finding and evidence, as a step's name does.
                if let problem = Field.nameProblem(name) {
                    throw ProfileError(keyPath: url.path, message: "a dependency's name \(problem)", anchor: .key)
                }
                dependencies.append(Dependency(name: name, url: try Self.httpURL(url)))
            }
        }
        return DiagnoseOptions(
            postgres: try object["postgres"]?.template(in: environmentOnly),
            pid: try object["pid"]?.integer(in: 1...Int(Int32.max)),
            pgbouncer: try object["pgbouncer"]?.template(in: environmentOnly),
            nodeExporter: nodeExporter,
            dependencies: dependencies,
            explainAnalyze: try object["explainAnalyze"]?.bool() ?? false,
            idleInTransactionAfter: try object["idleInTransactionAfter"]?.timeSpan() ?? TimeSpan(seconds: 5))
    }
}

/// Files a profile names (CSV feeders, request bodies, CA certificates), relative to the profile's folder.
/// The only file access during validation.
struct ProfileFiles {
    let baseDirectory: URL

    func existingFile(_ field: Field) throws(ProfileError) -> URL {
        let path = try field.nonEmptyString()
        let url = (path.hasPrefix("/") ? URL(fileURLWithPath: path) : baseDirectory.appendingPathComponent(path)).standardizedFileURL
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw field.error("file not found: \(url.path) (relative paths start at the profile's folder)")
        }
        // A folder, a device such as /dev/zero or a FIFO would be read without end, or not at all.
        do {
            try InputFile.checkReadable(url.path)
        } catch {
            throw field.error("cannot read \(url.path): \(error.reason)")
        }
        return url
    }

    /// The header row of a feeder's CSV file, which must also hold at least one data row.
    func csvHeader(of file: URL, field: Field) throws(ProfileError) -> [String] {
        guard let data = FileManager.default.contents(atPath: file.path), let text = String(data: data, encoding: .utf8) else {
            throw field.error("cannot read \(file.path) as UTF-8 text")
        }
        let records: [[String]]
        do {
            records = try CSV.records(in: text, limit: 2)
        } catch {
            throw field.error("\(file.path): \(error.message)")
        }
        guard let header = records.first else {
            throw field.error("\(file.path) is empty; its first row must name the columns, like \"id,email\"")
        }
        let columns = header.map { $0.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\u{FEFF}"))) }
        if let empty = columns.firstIndex(of: "") {
            throw field.error("column \(empty + 1) of the header row of \(file.path) has no name")
        }
        // In one pass: a header of many thousand columns must not take its square in time.
        var seen = Set<String>()
        if let repeated = columns.first(where: { !seen.insert($0).inserted }) {
            throw field.error("the header row of \(file.path) names \"\(repeated)\" twice")
        }
        guard records.count > 1 else {
            throw field.error("\(file.path) has a header row but no data rows")
        }
        return columns
    }
}

extension String {
    /// Letters, digits and `_`, not starting with a digit: usable as `${name}` and `${name.column}`.
    var isVariableName: Bool {
        isIdentifier && !contains("$")
    }
}

// MARK: Object shapes

extension Profile: ProfileObject {
    static let schemaName = "profile"
    static let knownKeys = ["$schema", "name", "description", "target", "defaults", "feeders", "load", "scenarios",
                            "thresholds", "diagnose"]
}

extension Target: ProfileObject {
    static let schemaName = "target"
    static let knownKeys = ["baseURL", "allow", "http", "tls", "redirects", "cookies", "compression"]
}

extension TLSOptions: ProfileObject {
    static let schemaName = "tls"
    static let knownKeys = ["caFile", "insecure"]
}

extension Defaults: ProfileObject {
    static let schemaName = "defaults"
    static let knownKeys = ["timeout", "headers", "thinkTime", "maxBodyBytes"]
}

extension Feeder: ProfileObject {
    static let schemaName = "feeder"
    static let knownKeys = ["csv", "mode"]
}

extension Threshold: ProfileObject {
    static let schemaName = "thresholdCondition"
    static let knownKeys = ["threshold", "abortOnFail"]
}

extension DiagnoseOptions: ProfileObject {
    static let schemaName = "diagnose"
    static let knownKeys = ["postgres", "pid", "pgbouncer", "nodeExporter", "dependencies", "explainAnalyze",
                            "idleInTransactionAfter"]
}

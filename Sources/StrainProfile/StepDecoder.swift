import Foundation
import StrainContract

/// Reads one step of a scenario: an HTTP request or a SQL query, its extractions and checks.
struct StepDecoder {
    let files: ProfileFiles
    let target: Target
    let defaults: Defaults
    let scenario: String
    let kind: ScenarioKind
    /// A PostgreSQL scenario in pipeline mode, where steps cannot control transactions.
    let pipelined: Bool
    /// How a PostgreSQL scenario sends its statements (nil: not one, or its settings did not decode).
    let queryProtocol: QueryProtocol?
    /// What `${…}` may name here: feeders, generators, env and the variables of earlier steps.
    let scope: ReferenceScope

    static let httpKeys = ["method", "url", "path", "headers", "body"]

    func step(_ field: Field) throws(ProfileError) -> Step {
        let object = try ObjectReader(field, as: Step.self)
        let action: Step.Action
        let defaultName: String
        switch kind {
        case .http:
            if object.contains("sql") {
                throw object.keyError("sql", "sql steps need a PostgreSQL scenario: add postgres: { conninfo: \"${env.DATABASE_URL}\" } to scenario \"\(scenario)\", or move this step into a PostgreSQL scenario")
            }
            if object.contains("params") {
                throw object.keyError("params", "params belong to sql steps, and scenario \"\(scenario)\" is an HTTP scenario")
            }
            let request = try httpRequest(object)
            action = .http(request.request)
            defaultName = request.defaultName
        case .postgres:
            for key in Self.httpKeys where object.contains(key) {
                throw object.keyError(key, "\(key) is an HTTP setting, but scenario \"\(scenario)\" is a PostgreSQL scenario (it has postgres); move this step into an HTTP scenario, or give it sql instead")
            }
            let query = try sqlQuery(object)
            action = .sql(query)
            defaultName = SQLText.summary(of: query.sql)
        }
        return Step(
            name: try object["name"]?.name() ?? Self.shortened(defaultName),
            action: action,
            timeout: try object["timeout"]?.timeSpan() ?? defaults.timeout,
            maxBodyBytes: try maxBodyBytes(object),
            extract: try extractions(object["extract"]),
            check: try check(object["check"]))
    }

    // MARK: HTTP

    private func maxBodyBytes(_ object: ObjectReader) throws(ProfileError) -> Int {
        guard let field = object["maxBodyBytes"] else { return defaults.maxBodyBytes }
        guard kind == .http else {
            throw object.keyError("maxBodyBytes", "maxBodyBytes caps an HTTP response body; scenario \"\(scenario)\" is a PostgreSQL scenario")
        }
        return try field.integer(in: 1...Limits.bodyBytes)
    }

    /// A default name (a URL, a query's first words) cut to 80 characters, as `strain import` cuts
    /// paths: a 3 MB literal made a 3 MB name that every report repeated.
    static func shortened(_ name: String) -> String {
        name.count <= 80 ? name : String(name.prefix(79)) + "…"
    }

    private func httpRequest(_ object: ObjectReader) throws(ProfileError) -> (request: HTTPRequest, defaultName: String) {
        let method = try object["method"]?.parsed(#"an HTTP method like "GET""#) { (text) throws(ValueError) in
            guard !text.isEmpty, text.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("a"..."z").contains($0) }) else {
                throw ValueError(#"expected an HTTP method like "GET" or "POST", found "\#(text)""#)
            }
            return text.uppercased()
        } ?? "GET"

        let url: Template
        let written: String
        switch (object["url"], object["path"]) {
        case (_?, _?):
            throw object.keyError("path", "set either url (absolute) or path (relative to target.baseURL), not both")
        case (nil, nil):
            throw object.field.error(#"missing url or path: set url: "http://127.0.0.1:8080/…", or path: "/…" together with target.baseURL"#)
        case (let urlField?, nil):
            url = try urlField.template(in: scope)
            written = url.description
            try checkSendable(url, field: urlField)
            try checkHost(of: url, field: urlField)
        case (nil, let pathField?):
            guard let baseURL = target.baseURL else {
                throw pathField.error("path needs target.baseURL; set target.baseURL, or use an absolute url")
            }
            let path = try pathField.template(in: scope)
            try checkSendable(path, field: pathField)
            guard path.description.hasPrefix("/") else {
                throw pathField.error("must start with \"/\", found \"\(path.description)\"")
            }
            var base = baseURL.absoluteString
            while base.hasSuffix("/") { base.removeLast() }
            url = path.prefixed(by: base)
            written = path.description
        }

        let stepHeaders = try ProfileDecoder.headers(object["headers"], in: scope)
        let stepNames = Set(stepHeaders.map { $0.name.lowercased() })
        var headers = defaults.headers.filter { !stepNames.contains($0.name.lowercased()) } + stepHeaders
        var body: Body?
        if let bodyField = object["body"] {
            body = try self.body(bodyField)
        }
        if case .json? = body, !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            headers.append(Header(name: "Content-Type", value: Template(literal: "application/json")))
        }
        return (HTTPRequest(method: method, url: url, headers: headers, body: body), "\(method) \(URLText.redacted(written))")
    }

    /// What a URL's template writes out goes on the wire as is (what `${…}` renders is checked per request).
    private func checkSendable(_ url: Template, field: Field) throws(ProfileError) {
        for case .literal(let text) in url.parts {
            if let problem = URLText.unsendableCharacter(in: text) { throw field.error(problem) }
        }
    }

    /// The scheme and host of an absolute `url` must be written out, so they can be checked before any load is sent.
    private func checkHost(of url: Template, field: Field) throws(ProfileError) {
        let literalStart = if case .literal(let text)? = url.parts.first { text } else { "" }
        guard let schemeEnd = literalStart.range(of: "://") else {
            throw field.error(#"expected an absolute URL like "http://127.0.0.1:8080/path" (or a path with target.baseURL), found "\#(URLText.redacted(url.description))""#)
        }
        let authorityEnd = literalStart[schemeEnd.upperBound...].firstIndex(where: { "/?#".contains($0) })
        guard authorityEnd != nil || url.parts.count == 1 else {
            throw field.error("the scheme and host of url must be written out (no ${…}) so they can be checked against target.allow")
        }
        let origin = String(literalStart[..<(authorityEnd ?? literalStart.endIndex)])
        guard let components = URLComponents(string: origin), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else {
            throw field.error(#"expected an absolute http:// or https:// URL like "http://127.0.0.1:8080/path", found "\#(URLText.redacted(url.description))""#)
        }
        if let problem = ProfileDecoder.schemeProblem(scheme, target.httpVersion) ?? URLText.portProblem(in: origin) {
            throw field.error(problem)
        }
        guard target.allowedHosts.contains(ProfileDecoder.normalizedHost(host)) else {
            let allowed = target.allowedHosts.isEmpty ? "empty" : target.allowedHosts.joined(separator: ", ")
            throw field.error("host \"\(host)\" is not in target.allow (\(allowed)); add it there if load may go to it")
        }
    }

    private func body(_ field: Field) throws(ProfileError) -> Body {
        if case .object(let members) = field.value, members.count == 1, let file = members["file"] {
            return .file(try files.existingFile(field.field(at: field.path.appending("file"), file)))
        }
        switch field.value {
        case .string:
            return .text(try field.template(in: scope))
        case .object, .array:
            return .json(try jsonTemplate(field))
        default:
            throw field.mismatch(#"a string, a JSON object or array, or { file: "body.json" }"#)
        }
    }

    private func jsonTemplate(_ field: Field) throws(ProfileError) -> JSONTemplate {
        switch field.value {
        case .null:
            return .null
        case .bool(let bool):
            return .bool(bool)
        case .number(let number):
            guard number.isFinite else { throw field.error("JSON has no Infinity or NaN") }
            return .number(number)
        case .string:
            return .string(try field.template(in: scope))
        case .array:
            var elements: [JSONTemplate] = []
            for element in try field.array() {
                elements.append(try jsonTemplate(element))
            }
            return .array(elements)
        case .object:
            var members: [JSONTemplate.Member] = []
            for (key, member) in try field.members() {
                members.append(JSONTemplate.Member(key: key, value: try jsonTemplate(member)))
            }
            return .object(members)
        }
    }

    // MARK: SQL

    private func sqlQuery(_ object: ObjectReader) throws(ProfileError) -> SQLQuery {
        let sqlField = try object.required("sql")
        let sql = try sqlField.nonEmptyString()
        if sql.contains("${") {
            throw sqlField.error("sql is sent as written, so it cannot contain ${…}; write $1, $2 … and pass the values in params")
        }
        // Pipeline mode interleaves the statements of many iterations on one connection, so no
        // iteration can hold a transaction of its own open there: after an error it would stay
        // aborted under the statements of the iterations that follow.
        if pipelined, SQLText.controlsTransaction(sql) {
            throw sqlField.error("transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT …) cannot run in pipeline mode, where the statements of many iterations share one connection; remove postgres.pipeline to run transactions, or drop this step (each pipeline batch already runs as one implicit transaction)")
        }
        if SQLText.copiesThroughTheConnection(sql) {
            throw sqlField.error("COPY … FROM STDIN / TO STDOUT streams data through the connection, which a load step cannot do; use INSERT or SELECT, or COPY to or from a server-side file")
        }
        let statements = SQLText.statements(in: sql)
        if statements.count > 1 {
            if let queryProtocol, queryProtocol != .simple {
                throw sqlField.error("the SQL holds \(statements.count) statements, and protocol \"\(queryProtocol.rawValue)\" sends one (PostgreSQL "
                                     + "refuses: \"cannot insert multiple commands into a prepared statement\"); split them into steps, or use protocol \"simple\"")
            }
            // The session follows a transaction step by step, to roll it back when a step fails.
            if statements.contains(where: SQLText.controlsTransaction) {
                throw sqlField.error("transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT …) must be a step of its own, not one of several "
                                     + "statements in a step: Strain follows a transaction step by step, to roll it back when a step fails")
            }
        }
        var parameters: [Template] = []
        if let paramsField = object["params"] {
            for parameter in try paramsField.array() {
                parameters.append(try sqlText(parameter))
            }
        }
        let placeholders = SQLText.highestPlaceholder(in: sql)
        if placeholders != parameters.count {
            let uses = placeholders == 0 ? "has no placeholders" : placeholders == 1 ? "uses $1" : "uses $1 … $\(placeholders)"
            let problem = "the SQL \(uses), so params needs \(placeholders) value\(placeholders == 1 ? "" : "s"); found \(parameters.count)"
            throw (object["params"] ?? sqlField).error(problem)
        }
        return SQLQuery(sql: sql, parameters: parameters)
    }

    // MARK: Extractions and checks

    private func extractions(_ field: Field?) throws(ProfileError) -> [Extraction] {
        guard let field else { return [] }
        var extractions: [Extraction] = []
        for (variable, source) in try field.members() {
            guard variable.isVariableName else {
                throw ProfileError(keyPath: source.path, message: "variable names are letters, digits and _ (not starting with a digit), found \"\(variable)\"",
                                   anchor: .key)
            }
            extractions.append(Extraction(variable: variable, source: try extractionSource(source)))
        }
        return extractions
    }

    private func extractionSource(_ field: Field) throws(ProfileError) -> Extraction.Source {
        switch (kind, field.value) {
        case (.postgres, .string):
            return .column(try field.nonEmptyString())
        case (.postgres, _):
            throw field.mismatch(#"a column name of the first row, like "amount""#)
        case (.http, .string):
            return .jsonPath(try field.parsed(JSONPath.expectedForm, JSONPath.init(parsing:)))
        case (.http, .object):
            let object = try ObjectReader(field, as: Extraction.self)
            switch (object["header"], object["regex"]) {
            case (let header?, nil):
                return .header(try header.nonEmptyString())
            case (nil, let regex?):
                let pattern = try regex.nonEmptyString()
                do {
                    _ = try NSRegularExpression(pattern: pattern)
                } catch {
                    throw regex.error("not a valid regular expression: \"\(pattern)\"")
                }
                return .regex(pattern)
            default:
                throw field.error(#"set exactly one of header (like { header: "X-Request-Id" }) or regex (like { regex: "id=(\\d+)" })"#)
            }
        case (.http, _):
            throw field.mismatch(#"a JSON path like "$.token", { header: "X-Request-Id" } or { regex: "id=(\\d+)" }"#)
        }
    }

    private func check(_ field: Field?) throws(ProfileError) -> Check {
        guard let field else { return Check(status: nil, bodyContains: nil, json: [], rows: nil) }
        let object = try ObjectReader(field, as: Check.self)
        switch kind {
        case .http:
            for key in ["rows", "values"] where object.contains(key) {
                throw object.keyError(key, "\(key) checks the result of a sql step; HTTP steps check status, bodyContains or json")
            }
        case .postgres:
            for key in ["status", "bodyContains", "json"] where object.contains(key) {
                throw object.keyError(key, "\(key) checks HTTP responses; a sql step can check rows or values")
            }
        }
        var status: [Int]?
        if let statusField = object["status"] {
            let codes = if case .array = statusField.value { try statusField.array() } else { [statusField] }
            guard !codes.isEmpty else { throw statusField.error("must list at least one status, like [200]") }
            status = []
            for code in codes {
                guard case .number = code.value else { throw code.mismatch("an HTTP status like 200") }
                status?.append(try code.integer(in: 100...599))
            }
        }
        var json: [JSONCheck] = []
        if let jsonField = object["json"] {
            for (key, expected) in try jsonField.members() {
                let path: JSONPath
                do {
                    path = try JSONPath(parsing: key)
                } catch {
                    throw ProfileError(keyPath: expected.path, message: error.message, anchor: .key)
                }
                json.append(JSONCheck(path: path, expected: try jsonTemplate(expected)))
            }
        }
        var values: [ValueCheck] = []
        if let valuesField = object["values"] {
            let members = try valuesField.members()
            guard !members.isEmpty else {
                throw valuesField.error(#"must name at least one column, like { balance: "0" }"#)
            }
            for (column, expected) in members {
                values.append(ValueCheck(column: column, expected: try sqlText(expected)))
            }
        }
        return Check(
            status: status,
            bodyContains: try object["bodyContains"]?.template(in: scope),
            json: json,
            rows: try object["rows"]?.integer(in: 0...Int(Int32.max)),
            values: values)
    }

    /// A parameter or an expected column value: a template, or a number written as text.
    private func sqlText(_ field: Field) throws(ProfileError) -> Template {
        switch field.value {
        case .string: try field.template(in: scope)
        case .number(let number) where number.isFinite: Template(literal: JSONTemplate.text(of: number))
        default: throw field.mismatch("a string or a number")
        }
    }
}

/// What the decoder needs to know about SQL text without parsing SQL.
public enum SQLText {
    /// The highest `$n` placeholder outside string literals, quoted identifiers, dollar quotes and comments.
    static func highestPlaceholder(in sql: String) -> Int {
        let (scalars, code) = codeMask(of: sql)
        func isDigit(_ index: Int) -> Bool { index < scalars.count && ("0"..."9").contains(scalars[index]) }
        var highest = 0
        var index = 0
        while index < scalars.count {
            if code[index], scalars[index] == "$", isDigit(index + 1) {
                var end = index + 1
                while isDigit(end) { end += 1 }
                highest = max(highest, Int(String(String.UnicodeScalarView(scalars[(index + 1)..<end]))) ?? 0)
                index = end
            } else {
                index += 1
            }
        }
        return highest
    }

    /// The statements of `sql`, split at the semicolons that end them (not those inside literals,
    /// quoted identifiers, dollar quotes or comments); blank ones left out. A simple query may hold
    /// several.
    static func statements(in sql: String) -> [String] {
        let (scalars, code) = codeMask(of: sql)
        var statements: [String] = []
        var start = 0
        for index in 0...scalars.count where index == scalars.count || (code[index] && scalars[index] == ";") {
            let text = String(String.UnicodeScalarView(scalars[start..<index]))
            if !firstWords(of: text).isEmpty { statements.append(text) }
            start = index + 1
        }
        return statements
    }

    /// `sql`'s scalars, and which of them are SQL itself rather than inside a string literal, a
    /// quoted identifier, a dollar quote ($$…$$, $tag$…$tag$) or a comment.
    private static func codeMask(of sql: String) -> (scalars: [Unicode.Scalar], code: [Bool]) {
        let scalars = Array(sql.unicodeScalars)
        var code = [Bool](repeating: true, count: scalars.count)
        func skip(past terminator: [Unicode.Scalar], from start: Int) -> Int {
            var index = start
            while index < scalars.count, !scalars[index...].starts(with: terminator) { index += 1 }
            return min(scalars.count, index + terminator.count)
        }
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            let rest = scalars[index...]
            var end = index
            if scalar == "'", index > 0, scalars[index - 1] == "E" || scalars[index - 1] == "e",
               index < 2 || !Self.continuesAWord(scalars[index - 2]) {
                // E'…': a backslash escapes the next character, a quote included (E'it\'s').
                end = index + 1
                while end < scalars.count, scalars[end] != "'" { end += scalars[end] == "\\" ? 2 : 1 }
                end = min(scalars.count, end + 1)
            } else if scalar == "'" || scalar == "\"" {
                end = skip(past: [scalar], from: index + 1)
            } else if rest.starts(with: "--".unicodeScalars) {
                end = skip(past: ["\n"], from: index)
            } else if rest.starts(with: "/*".unicodeScalars) {
                end = skip(past: Array("*/".unicodeScalars), from: index + 2)
            } else if scalar == "$", index + 1 < scalars.count, !("0"..."9").contains(scalars[index + 1]),
                      let close = scalars[(index + 1)...].firstIndex(of: "$"),
                      scalars[(index + 1)..<close].allSatisfy({ $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }) {
                end = skip(past: Array(scalars[index...close]), from: close + 1)
            }
            if end > index {
                for quoted in index..<end { code[quoted] = false }
                index = end
            } else {
                index += 1
            }
        }
        return (scalars, code)
    }

    /// A letter, digit, `_` or `$`: part of an identifier or keyword, so an `E` after one is not an
    /// escape-string prefix (`name'…'` is no E'…').
    private static func continuesAWord(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar == "$" || scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
    }

    /// Whether one of the statements of `sql` is a COPY that streams data through the connection.
    static func copiesThroughTheConnection(_ sql: String) -> Bool {
        statements(in: sql).contains { statement in
            firstWords(of: statement) == "copy" && ["STDIN", "STDOUT"].contains(where: statement.uppercased().contains)
        }
    }

    /// Whether `sql` starts or ends a transaction block: BEGIN, START TRANSACTION, COMMIT, END,
    /// ROLLBACK, ABORT, SAVEPOINT, RELEASE or PREPARE TRANSACTION (not PREPARE name AS …).
    public static func controlsTransaction(_ sql: String) -> Bool {
        transactionKeywords.contains(firstWords(of: sql))
    }

    enum TransactionEffect { case opens, closes }

    /// Whether `sql` opens a transaction block (BEGIN, START TRANSACTION) or ends one (COMMIT, END,
    /// ROLLBACK, ABORT); nil for anything else.
    static func transactionEffect(of sql: String) -> TransactionEffect? {
        switch firstWords(of: sql) {
        case "begin", "start": .opens
        case "commit", "end", "rollback", "abort": .closes
        default: nil
        }
    }

    /// Leading words of the statements that start or end transactions, lowercased.
    private static let transactionKeywords: Set<String> = [
        "begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release", "prepare transaction",
    ]

    /// The first word of `sql` after whitespace and comments, lowercased, or its first two words
    /// when it is PREPARE (PREPARE TRANSACTION ends a transaction, PREPARE name does not).
    static func firstWords(of sql: String) -> String {
        var rest = Substring(sql)
        while true {
            rest = rest.drop(while: \.isWhitespace)
            if rest.hasPrefix("--") {
                rest = rest.drop(while: { $0 != "\n" })
            } else if rest.hasPrefix("/*"), let close = rest.firstRange(of: "*/") {
                rest = rest[close.upperBound...]
            } else {
                break
            }
        }
        let words = rest.split(maxSplits: 2, whereSeparator: { !$0.isLetter }).prefix(2).map { $0.lowercased() }
        return words.first == "prepare" ? words.joined(separator: " ") : words.first ?? ""
    }

    /// The first words of a query, as a default step name: "SELECT abalance FROM pgbench_accounts".
    static func summary(of sql: String) -> String {
        // A name is one line without control characters (`Field.name()`), even when made from SQL.
        let words = sql.split(whereSeparator: \.isWhitespace).prefix(4).joined(separator: " ")
        return String(String.UnicodeScalarView(words.unicodeScalars.filter { !TerminalText.isControlInOneLine($0) }))
    }
}

extension Template {
    /// Text without references (a literal `${` is kept as written).
    init(literal text: String) {
        self.init(parts: text.isEmpty ? [] : [.literal(text)], description: text.replacingOccurrences(of: "${", with: "$${"))
    }

    /// The template with `prefix` in front, e.g. the base URL before a step's path.
    func prefixed(by prefix: String) -> Template {
        var parts = parts
        if case .literal(let first)? = parts.first {
            parts[0] = .literal(prefix + first)
        } else {
            parts.insert(.literal(prefix), at: 0)
        }
        return Template(parts: parts, description: prefix + description)
    }
}

extension Step: ProfileObject {
    static let schemaName = "step"
    static let knownKeys = ["name", "method", "url", "path", "headers", "body", "sql", "params", "extract", "check", "timeout", "maxBodyBytes"]
}

extension Extraction: ProfileObject {
    static let schemaName = "extractFrom"
    static let knownKeys = ["header", "regex"]
}

extension Check: ProfileObject {
    static let schemaName = "check"
    static let knownKeys = ["status", "bodyContains", "json", "rows", "values"]
}

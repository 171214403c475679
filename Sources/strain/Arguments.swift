import StrainContract
import StrainProfile

/// A usage mistake: printed with the subcommand's usage line, exit status `badInput`. One line: the
/// words it quotes may hold line feeds.
struct UsageError: Error, CustomStringConvertible {
    let description: String

    init(description: String) {
        self.description = TerminalText.oneLine(description)
    }
}

/// The parsed arguments of one subcommand: boolean flags, options that take a value
/// (`--name value` or `--name=value`) and positionals. Anything undeclared is rejected with a
/// suggestion, because a silently ignored `--rtae` makes a benchmark lie; an option given twice is
/// rejected unless it is `repeatable`, because `--rate 10 … --rate 1000` would run one silently.
struct Arguments {
    /// Options that collect every value given (read with `allValues`), in any subcommand.
    static let repeatable: Set<String> = ["--output", "--url", "--threshold", "-H", "--header", "--slo", "--dependency"]

    private(set) var positionals: [String] = []
    private var values: [String: [String]] = [:]
    private var setFlags: Set<String> = []

    init(_ words: [String], flags: Set<String> = [], options: Set<String> = []) throws(UsageError) {
        var index = 0
        var onlyPositionals = false
        while index < words.count {
            let word = words[index]
            index += 1
            if onlyPositionals || !word.hasPrefix("-") || word == "-" {
                positionals.append(word)
                continue
            }
            if word == "--" {
                onlyPositionals = true
                continue
            }
            var name = word
            var inlineValue: String?
            if let equals = word.firstIndex(of: "=") {
                name = String(word[..<equals])
                inlineValue = String(word[word.index(after: equals)...])
            }
            if flags.contains(name), inlineValue == nil {
                setFlags.insert(name)
            } else if options.contains(name) {
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else if index < words.count {
                    value = words[index]
                    index += 1
                } else {
                    throw UsageError(description: "option \(name) needs a value")
                }
                // No option means anything by an empty value: `--out ""` would write into the current folder.
                guard !value.isEmpty else { throw UsageError(description: "option \(name) needs a value, found an empty one") }
                guard values[name] == nil || Self.repeatable.contains(name) else {
                    throw UsageError(description: "option \(name) is given more than once; give it once")
                }
                values[name, default: []].append(value)
            } else {
                let known = Array(flags) + Array(options)
                let hint = Suggestion.closest(to: name, among: known).map { "; did you mean \($0)?" } ?? ""
                throw UsageError(description: "unknown option \(word)\(hint)")
            }
        }
    }

    func flag(_ name: String) -> Bool { setFlags.contains(name) }

    func value(_ name: String) -> String? { values[name]?.first }

    /// `--out` of a command that writes one file: nil for standard output, which "-" also names (as
    /// for curl's `-o -`), rather than a file called "-".
    var outputFile: String? {
        value("--out").flatMap { $0 == "-" ? nil : $0 }
    }

    /// `--out` of a command that writes a folder of files: nil when not given; "-" is refused rather
    /// than made a folder called "-". `writer` names what writes them ("a run"); `hint` ends the error.
    func outputFolder(writer: String, hint: String = "") throws(UsageError) -> String? {
        let folder = value("--out")
        guard folder != "-" else {
            throw UsageError(description: "--out -: \(writer) writes several files, so it needs a folder\(hint.isEmpty ? "" : "; " + hint)")
        }
        return folder
    }

    func allValues(_ name: String) -> [String] {
        assert(Self.repeatable.contains(name), "\(name) is read as repeatable but not declared so")
        return values[name] ?? []
    }
}

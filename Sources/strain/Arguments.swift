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
/// (`--name value` or `--name=value`, repeatable) and positionals. Anything undeclared is rejected
/// with a suggestion, because a silently ignored `--rtae` makes a benchmark lie.
struct Arguments {
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
                values[name, default: []].append(value)
            } else {
                let known = Array(flags) + Array(options)
                let hint = Suggestion.closest(to: name, among: known).map { "; did you mean \($0)?" } ?? ""
                throw UsageError(description: "unknown option \(word)\(hint)")
            }
        }
    }

    func flag(_ name: String) -> Bool { setFlags.contains(name) }

    func value(_ name: String) -> String? { values[name]?.last }

    func allValues(_ name: String) -> [String] { values[name] ?? [] }
}

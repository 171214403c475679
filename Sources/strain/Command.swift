import Foundation
import StrainContract
import StrainReport

/// One `strain` subcommand. Each declares its own help so `strain help NAME` and
/// `strain NAME --help` print the same text.
protocol Command: Sendable {
    static var name: String { get }
    static var summary: String { get }
    /// The full help: usage line, description, options.
    static var help: String { get }
    /// It measures, and is stopped gracefully: SIGINT, SIGTERM and SIGHUP ask it to stop from its
    /// first instant to its last (`SignalWatcher`); other commands end at once, as any tool does.
    static var stopsGracefully: Bool { get }
    static func run(_ words: [String], output: Output) -> ExitStatus
}

extension Command {
    static var stopsGracefully: Bool { false }
}

/// Where a command writes: results to stdout, diagnostics to stderr, so `strain … > file` stays clean.
struct Output {
    /// Any control character in what is printed (names and messages from profiles, run files,
    /// servers) is shown escaped (`TerminalText`); `styled` text, rendered in colour, keeps our colours.
    func print(_ text: String, terminator: String = "\n", styled: Bool = false) {
        Swift.print(TerminalText.visible(text, keepingStyles: styled), terminator: terminator)
    }

    /// JSON as it is, but for the control characters a terminal would act on, written as JSON escapes.
    func printJSON(_ json: String) throws(FileIOError) {
        try StandardStream.writeOutput(Data(JSONFormat.terminalSafe(json).utf8))
    }

    func error(_ text: String) {
        StandardStream.writeError(Data((TerminalText.visible(text) + "\n").utf8))
    }
}

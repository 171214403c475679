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
    /// Our own colours stay; any other control character in what is printed (names and messages
    /// from profiles, run files, servers) is shown escaped (`TerminalText`).
    func print(_ text: String, terminator: String = "\n") {
        Swift.print(TerminalText.visible(text, keepingStyles: true), terminator: terminator)
    }

    func error(_ text: String) {
        StandardStream.writeError(Data((TerminalText.visible(text) + "\n").utf8))
    }
}

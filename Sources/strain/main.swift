import Foundation
import StrainLoad
import StrainProfile
import StrainReport

/// The `strain` CLI: a thin layer that parses arguments, calls the libraries and maps outcomes to
/// the exit codes in `ExitStatus`.
enum Strain {
    static let version = "0.1.0"

    static let commands: [any Command.Type] = [ValidateCommand.self, RunCommand.self, CapacityCommand.self, VerifyCommand.self, MergeCommand.self, K8sCommand.self, DiagnoseCommand.self, ReportCommand.self, CompareCommand.self, ImportCommand.self, HelpCommand.self]

    static func command(named name: String) -> (any Command.Type)? {
        commands.first { $0.name == name }
    }

    static var overview: String {
        let width = commands.map { $0.name.count }.max() ?? 0
        let list = commands.map { "  \($0.name.padding(toLength: width + 2, withPad: " ", startingAt: 0))\($0.summary)" }
        return """
        strain \(version): load testing and performance diagnosis

        usage: strain <command> [options]
               strain --version
               strain help <command>

        commands:
        \(list.joined(separator: "\n"))

        Exit codes: \(ExitStatus.allCases.map { "\($0.rawValue) \($0.meaning)" }.joined(separator: "; ")).
        """
    }

    static func main(_ words: [String], output: Output) -> ExitStatus {
        guard let first = words.first else {
            output.error(overview)
            return .badInput
        }
        switch first {
        case "--help", "-h":
            output.print(overview)
            return .ok
        case "--version", "-V":
            output.print("strain \(version)")
            return .ok
        default:
            guard let command = command(named: first) else {
                let hint = Suggestion.closest(to: first, among: commands.map { $0.name }, shortWords: true)
                    .map { "; did you mean '\($0)'?" } ?? "; run 'strain --help' for the list"
                output.error("strain: unknown command '\(first)'\(hint)")
                return .badInput
            }
            let rest = Array(words.dropFirst())
            if rest.contains("--help") || rest.contains("-h") {
                output.print(command.help)
                return .ok
            }
            if command.stopsGracefully { SignalWatcher.takeOverStopSignals() }
            return command.run(rest, output: output)
        }
    }
}

// A reader that goes away (`strain report … | head`, a peer closing a socket) must surface as a
// write error, not kill a run before it has written its results.
signal(SIGPIPE, SIG_IGN)
exit(Strain.main(Array(CommandLine.arguments.dropFirst()), output: Output()).rawValue)

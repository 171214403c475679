import StrainReport

enum HelpCommand: Command {
    static let name = "help"
    static let summary = "show help for strain or one of its commands"
    static let help = """
    usage: strain help [command]

    Prints the overview, or the full help of one command (the same as 'strain COMMAND --help').
    """

    static func run(_ words: [String], output: Output) -> ExitStatus {
        guard let name = words.first else {
            output.print(Strain.overview)
            return .ok
        }
        guard words.count == 1, let command = Strain.command(named: name) else {
            output.error("strain help: no command '\(words.joined(separator: " "))'; run 'strain --help' for the list")
            return .badInput
        }
        output.print(command.help)
        return .ok
    }
}

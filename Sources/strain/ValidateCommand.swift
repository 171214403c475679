import StrainLoad
import StrainProfile
import StrainReport

enum ValidateCommand: Command {
    static let name = "validate"
    static let summary = "check profiles and print the load plan"
    static let help = """
    usage: strain validate [--quiet] PROFILE...

    Checks each profile — JSON5 syntax, unknown or misspelled keys, value types and units, references
    between steps, feeders and thresholds — and prints its plan: the scenarios, the load shape over
    time, the expected requests and the connections. Nothing is sent anywhere.

    Errors are printed as FILE:LINE:COLUMN: KEY.PATH: message. All profiles are checked even when one
    fails; the exit status is 0 when every profile is valid and 2 otherwise.

    options:
      --quiet   print errors only, no plans
    """

    static func run(_ words: [String], output: Output) -> ExitStatus {
        let arguments: Arguments
        do {
            arguments = try Arguments(words, flags: ["--quiet"])
        } catch {
            output.error("strain validate: \(error)\nusage: strain validate [--quiet] PROFILE...")
            return .badInput
        }
        guard !arguments.positionals.isEmpty else {
            output.error("strain validate: no profile given\nusage: strain validate [--quiet] PROFILE...")
            return .badInput
        }
        var status = ExitStatus.ok
        for path in arguments.positionals {
            do {
                let profile = try ProfileLoader.load(path: path)
                try RunInputs.checkFeeders(of: profile)
                if !arguments.flag("--quiet") {
                    output.print("\(path): valid\n\n\(Plan(profile).describe())\n")
                }
            } catch let error as ProfileError {
                output.error(error.description)
                status = .badInput
            } catch {
                // A feeder's rows: the message names the feeder and its file.
                output.error("\(path): \(error)")
                status = .badInput
            }
        }
        return status
    }
}

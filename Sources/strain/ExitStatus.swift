import Foundation

/// Every exit code `strain` can return, in one place; the README's table is generated from the same
/// names (keep the two in step). CI systems branch on these, so a code never changes meaning.
enum ExitStatus: Int32, CaseIterable {
    /// The command did what was asked (profiles valid, …).
    case ok = 0
    /// Bad input: an invalid profile, an unknown subcommand or option, a missing argument.
    case badInput = 2

    var meaning: String {
        switch self {
        case .ok: "success"
        case .badInput: "bad profile or usage: the message says what and where"
        }
    }
}

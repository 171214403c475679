import Foundation
import StrainReport

/// One `strain` subcommand. Each declares its own help so `strain help NAME` and
/// `strain NAME --help` print the same text.
protocol Command: Sendable {
    static var name: String { get }
    static var summary: String { get }
    /// The full help: usage line, description, options.
    static var help: String { get }
    static func run(_ words: [String], output: Output) -> ExitStatus
}

/// Where a command writes: results to stdout, diagnostics to stderr, so `strain … > file` stays clean.
struct Output {
    func print(_ text: String, terminator: String = "\n") {
        Swift.print(text, terminator: terminator)
    }

    /// Error text quotes what it was given (a profile's values, files' names, options): control
    /// characters in it are written escaped, so that text cannot move the cursor, retitle the
    /// terminal or hide a line.
    func error(_ text: String) {
        FileHandle.standardError.write(Data((Self.visible(text) + "\n").utf8))
    }

    /// `text` with every control character but line feed and tab written as `\u{…}`.
    static func visible(_ text: String) -> String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool {
            scalar != "\n" && scalar != "\t" && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value))
        }
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var visible = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                visible.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                visible.append(scalar)
            }
        }
        return String(visible)
    }
}

import StrainContract

/// Why a run could not start or go on, classed the way `strain run` maps errors to exit codes.
public struct LoadError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The profile or the command line asks for something impossible (a missing environment
        /// variable, an unreadable feeder file).
        case badInput
        /// The machine or a library failed us (a thread, a curl handle, the output folder).
        case infrastructure
    }

    public let kind: Kind
    public let message: String

    /// One line: the names and files it quotes may hold line feeds.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = TerminalText.oneLine(message)
    }

    public var description: String { message }
}

/// The fixed vocabulary of failure labels, so tallies from different workers (and runs) merge.
/// Engines add their own as static constants in an extension.
public struct ErrorLabel: Hashable, Sendable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) {
        self.name = name
    }

    public var description: String { name }

    /// The server answered with a 4xx the step's check does not accept.
    public static let status4xx = ErrorLabel("4xx")
    /// The server answered with a 5xx the step's check does not accept.
    public static let status5xx = ErrorLabel("5xx")
    /// A response arrived but a check on it failed (status outside the list, body, JSON value).
    public static let checkFailed = ErrorLabel("check failed")
    /// A value to extract for later steps was not in the response.
    public static let extractionFailed = ErrorLabel("extraction failed")
    /// No response within the step's timeout.
    public static let timeout = ErrorLabel("timeout")
    /// Still waiting for its response when the run stopped waiting: the drain period after the end
    /// (the longest step timeout, at most 10 s) or a second after a signal had passed.
    public static let unfinished = ErrorLabel("unfinished")
    /// A `${…}` could not be rendered (a variable an earlier step did not set).
    public static let template = ErrorLabel("template")
}

/// One failed step: its label and the full message of this occurrence.
public struct StepFailure: Error, Sendable, Equatable {
    public let label: ErrorLabel
    public let message: String
    /// The iteration cannot go on: a later step would miss a value this one should have provided.
    /// Other failures (a failed check, an error status, no response) are counted and the iteration
    /// continues with its next step.
    public let endsIteration: Bool

    public init(_ label: ErrorLabel, _ message: String, endsIteration: Bool = false) {
        self.label = label
        self.message = Self.bounded(message, to: Self.messageCharacters)
        self.endsIteration = endsIteration
    }

    /// What is kept of a message: it may quote what the target sent (a value, an error text), and
    /// each label's example goes into every report (a 5 MB value made a 1 s run's reports 5 MB each).
    static let messageCharacters = 500

    /// `text` cut to `limit` characters, saying so. Messages quote values through it first, so a
    /// huge value is not copied into a message only to be cut.
    static func bounded(_ text: String, to limit: Int = 200) -> String {
        guard text.utf8.count > limit else { return text }
        let kept = text.prefix(limit)
        return kept.endIndex == text.endIndex ? text : kept + "… (cut at \(limit) characters)"
    }

    /// A header rendered from env, a feeder or an extracted value holds a control character. The
    /// value may be a secret: only the header is named.
    static func unsafeHeader(_ name: String) -> StepFailure {
        StepFailure(.invalidHeaderValue, "header \"\(name)\" has a control character other than tab (CR, LF, NUL, ESC …) in its value; "
                    + "the request was not sent")
    }
}

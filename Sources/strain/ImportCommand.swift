import Foundation
import StrainContract
import StrainProfile
import StrainReport

enum ImportCommand: Command {
    static let name = "import"
    static let summary = "write a profile from a HAR recording or a curl command line"
    static let usage = "usage: strain import har FILE [--out PROFILE] [--keep-credentials]\n       strain import curl [--out PROFILE] [--keep-credentials] -- curl URL [curl options]"
    static let help = """
    \(usage)

    Writes a profile (JSON5, like profiles/*.json5) that replays the requests once, in order, for you
    to edit: one scenario with a closed load of one connection and one iteration, a step per request
    with its method, URL, headers and body, and target.allow listing the hosts seen. It validates
    before it is written. Without --out it goes to standard output.

    har FILE     every entry of a HAR recording (a browser's "Save all as HAR"); responses are ignored
    curl -- …    one curl command line (e.g. a browser's "Copy as cURL"), after --, or pasted whole as
                 one quoted word. Understood: -X, -H, -d/--data/--data-raw/--data-binary/--data-urlencode,
                 --json, -u, -b NAME=VALUE, -A, -e, -G, -I, -k, -L, --compressed, --url; output options
                 (-s, -v, -o …) are ignored; anything else is refused

    Headers the HTTP client sets itself (Host, Connection, Content-Length …) are left out, and so are
    Cookie, Authorization and Proxy-Authorization — a recorded session's credentials — unless
    --keep-credentials; the profile's comments say what was left out. Literal "${" is written "$${".

    options:
      --out PROFILE         write the profile here (replacing the file) instead of standard output ("-": standard output)
      --keep-credentials    keep Cookie and Authorization headers

    exit status: 0 written, 2 bad input (malformed or unsupported recording or command line: the message
    says where), 5 the profile could not be written.
    """

    static func run(_ words: [String], output: Output) -> ExitStatus {
        // For curl, everything after "--" is curl's, never strain's.
        let separator = words.firstIndex(of: "--")
        let own = separator.map { Array(words[..<$0]) } ?? words
        let curlWords = separator.map { Array(words[($0 + 1)...]) } ?? []
        let draft: ProfileDraft
        let arguments: Arguments
        do {
            arguments = try Arguments(own, flags: ["--keep-credentials"], options: ["--out"])
            let keep = arguments.flag("--keep-credentials")
            switch arguments.positionals.first {
            case "har":
                guard arguments.positionals.count == 2, separator == nil else {
                    throw UsageError(description: "import har takes one HAR file")
                }
                draft = try HARImport.draft(path: arguments.positionals[1], keepCredentials: keep)
            case "curl":
                let command = Array(arguments.positionals.dropFirst()) + curlWords
                guard !command.isEmpty else { throw UsageError(description: "import curl needs a curl command line after --") }
                draft = try CurlImport.draft(command, keepCredentials: keep)
            case let kind?:
                let hint = Suggestion.closest(to: kind, among: ["har", "curl"]).map { "; did you mean \($0)?" } ?? ""
                throw UsageError(description: "cannot import \"\(kind)\"\(hint): expected har or curl")
            case nil:
                throw UsageError(description: "expected what to import: har FILE, or curl -- COMMAND")
            }
        } catch let error as UsageError {
            output.error("strain import: \(error)\n\(usage)")
            return .badInput
        } catch let error as ProfileError {
            output.error(error.description)
            return .badInput
        } catch {
            output.error("strain import curl: \(error)")
            return .badInput
        }

        let text: String
        do {
            // Whatever was recorded, what is written must be a profile `strain validate` accepts.
            text = try draft.validatedJSON5(baseDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        } catch {
            output.error("strain import: \(error)")
            return .badInput
        }
        let destination = arguments.outputFile
        guard let destination else {
            output.print(text, terminator: "")
            return .ok
        }
        do {
            try AtomicFile.write(Data(text.utf8), to: URL(fileURLWithPath: destination))
        } catch {
            output.error("strain import: cannot write \(destination): \(error)")
            return .infrastructure
        }
        output.error("strain import: wrote \(destination) (\(draft.requests.count) step\(draft.requests.count == 1 ? "" : "s")); edit its load, then: strain validate \(destination)")
        return .ok
    }
}

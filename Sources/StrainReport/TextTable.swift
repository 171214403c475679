import Foundation
import StrainContract

/// A table of text cells rendered with aligned columns (terminal) or as a Markdown table: the
/// renderers build the cells once and choose the form.
struct TextTable {
    enum Alignment { case left, right }

    struct Column {
        var title: String
        var alignment: Alignment
    }

    var columns: [Column]
    var rows: [[String]] = []

    /// The first column is left-aligned (names), the others right-aligned (numbers).
    init(_ titles: [String]) {
        columns = titles.enumerated().map { Column(title: $1, alignment: $0 == 0 ? .left : .right) }
    }

    init(columns: [Column]) {
        self.columns = columns
    }

    /// Cells are one line each: a server's error message or a run file's name can hold line breaks
    /// and escape sequences, which would forge lines of the table or drive the terminal.
    mutating func append(_ cells: [String]) {
        precondition(cells.count == columns.count, "a row of \(cells.count) cells for \(columns.count) columns")
        rows.append(cells.map { TerminalText.visible($0.replacingOccurrences(of: "\n", with: " ")) })
    }

    var isEmpty: Bool { rows.isEmpty }

    /// Plain text, columns two spaces apart, every line prefixed with `indent`, no trailing spaces.
    func plain(indent: String = "") -> [String] {
        let widths = columns.indices.map { index in
            ([columns[index].title] + rows.map { $0[index] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return columns[index].alignment == .left ? cell + padding : padding + cell
            }
            let text = indent + padded.joined(separator: "  ")
            return String(text.reversed().drop(while: { $0 == " " }).reversed())
        }
        return [line(columns.map(\.title))] + rows.map(line)
    }

    /// A GitHub-flavoured Markdown table.
    func markdown() -> [String] {
        let header = "| " + columns.map { Markdown.escapeCell($0.title) }.joined(separator: " | ") + " |"
        let rule = "|" + columns.map { $0.alignment == .left ? "---|" : "---:|" }.joined()
        return [header, rule] + rows.map { "| " + $0.map(Markdown.escapeCell).joined(separator: " | ") + " |" }
    }
}

enum Markdown {
    /// Cell text that cannot break the table: pipes escaped, newlines as spaces, and names from
    /// profiles and servers never read as HTML (`text`).
    static func escapeCell(_ text: String) -> String {
        Self.text(TerminalText.visible(text)).replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    /// Text whose `<`, `>` and `&` show as themselves rather than open an HTML tag or entity, whose
    /// `[`, `]` open no link or image, and whose `*`, `~` and `_` (but inside a word, as in
    /// `order_items`, where it never is) make no emphasis or strikethrough (two `count(*)` in one
    /// statement would set what lies between in italics, and hide both asterisks): names come from profiles, run folders, servers and databases.
    /// Code spans are left as they are, since a renderer shows their content literally (an entity
    /// there would show as one). Backslashes outside them are doubled: `\`` is no code span to
    /// CommonMark, so text read as one here would otherwise reach the renderer as HTML.
    static func text(_ text: String) -> String {
        guard text.contains(where: { "<>&[]\\*_~".contains($0) }) else { return text }
        var result = ""
        var rest = Substring(text)
        while let tick = rest.firstIndex(of: "`") {
            result += escapeOutsideCode(rest[..<tick])
            let fence = rest[tick...].prefix { $0 == "`" }
            let afterFence = rest[fence.endIndex...]
            // A code span ends at the next run of exactly as many backticks (CommonMark).
            var search = afterFence.startIndex
            var close: Range<Substring.Index>?
            while let found = afterFence[search...].range(of: String(fence)) {
                let run = afterFence[found.lowerBound...].prefix { $0 == "`" }
                if run.count == fence.count { close = found; break }
                search = run.endIndex
            }
            guard let close else {
                result += fence
                rest = afterFence
                continue
            }
            result += rest[tick..<close.upperBound]
            rest = afterFence[close.upperBound...]
        }
        return result + escapeOutsideCode(rest)
    }

    private static func escapeOutsideCode(_ text: Substring) -> String {
        escapingUnderscores(text.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "[", with: "\\[").replacingOccurrences(of: "]", with: "\\]")
            .replacingOccurrences(of: "*", with: "\\*").replacingOccurrences(of: "~", with: "\\~"))
    }

    /// `_` escaped unless a letter or digit stands on both sides of it: only there can it open or
    /// close no emphasis (CommonMark), so identifiers like `order_items` stay as written. Runs after
    /// backslashes are doubled, so that the ones it adds stay single.
    private static func escapingUnderscores(_ text: String) -> String {
        guard text.contains("_") else { return text }
        let characters = Array(text)
        var result = ""
        for (index, character) in characters.enumerated() {
            if character == "_" {
                let isWord = { (neighbour: Character?) in neighbour.map { $0.isLetter || $0.isNumber } ?? false }
                if !(isWord(index > 0 ? characters[index - 1] : nil) && isWord(index + 1 < characters.count ? characters[index + 1] : nil)) {
                    result += "\\"
                }
            }
            result.append(character)
        }
        return result
    }

    /// One line of untrusted text outside a table (a heading, an evidence item): `text`, with
    /// control characters shown escaped and no line break to end the heading or the item early.
    static func line(_ line: String) -> String {
        text(TerminalText.visible(TerminalText.oneLine(line)))
    }

    /// Inline code that survives backticks inside the text: its fence is longer than any run of
    /// backticks in it. Control characters are shown escaped.
    static func code(_ text: String) -> String {
        var longestRun = 0, run = 0
        for character in text {
            run = character == "`" ? run + 1 : 0
            longestRun = max(longestRun, run)
        }
        let fence = String(repeating: "`", count: longestRun + 1)
        let padding = text.hasPrefix("`") || text.hasSuffix("`") ? " " : ""
        return fence + padding + TerminalText.visible(text.replacingOccurrences(of: "\n", with: " ")) + padding + fence
    }
}

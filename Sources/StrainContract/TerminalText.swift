/// Text bound for a terminal. Profiles, run files, server responses and error messages from
/// databases are untrusted: an escape sequence in them could move the cursor, retitle the window
/// or hide a line. Every control character but line feed and tab is written as `\u{…}` instead.
public enum TerminalText {
    /// The styles Strain's own output uses (`ESC [ code m`), the only sequences `keepingStyles` lets
    /// through: a database name or a server's message can carry others (conceal, black on black)
    /// that would hide what follows.
    public enum Style: String, CaseIterable, Sendable {
        case bad = "1;31"
        case good = "32"
        case bold = "1"
        case reset = "0"

        /// The escape sequence that turns it on.
        public var sequence: String { "\u{1B}[\(rawValue)m" }
    }

    /// `text` made safe to print. With `keepingStyles`, Strain's own `Style` sequences are kept: they
    /// change how text looks, not where it goes.
    public static func visible(_ text: String, keepingStyles: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        let scalars = Array(text.unicodeScalars)
        var visible = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if keepingStyles, scalar == "\u{1B}", let end = styleEnd(in: scalars, from: index) {
                visible.append(contentsOf: scalars[index...end])
                index = end + 1
                continue
            }
            if isControl(scalar) {
                visible.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                visible.append(scalar)
            }
            index += 1
        }
        return String(visible)
    }

    /// Text meant as one line (a title, a name, an evidence item, an error message) from untrusted
    /// sources: its line feeds, and the line and paragraph separators some viewers break lines at,
    /// shown escaped like every other control character, so it cannot start a forged line.
    public static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: breaksLine) else { return text }
        var line = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if breaksLine(scalar) {
                line.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                line.append(scalar)
            }
        }
        return String(line)
    }

    private static func breaksLine(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\n" || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    /// A control character where text is one line (a name, an identifier): line feed and tab included.
    public static func isControlInOneLine(_ scalar: Unicode.Scalar) -> Bool {
        isControl(scalar) || scalar == "\n" || scalar == "\t"
    }

    /// A C0 or C1 control character (or DEL), line feed and tab excepted, or a bidirectional embedding,
    /// override or isolate: those reorder what follows them on screen, so that a statement or a line
    /// would read differently from what it is ("Trojan Source").
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar != "\n" && scalar != "\t"
            && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || isBidiControl(scalar))
    }

    /// U+202A–U+202E and U+2066–U+2069 (the marks U+200E, U+200F and U+061C only set a direction).
    public static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }

    /// How a message names a character without writing it: "U+001B".
    public static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// The index of the `m` ending one of Strain's `Style` sequences at `start`, if one is there.
    private static func styleEnd(in scalars: [Unicode.Scalar], from start: Int) -> Int? {
        guard start + 2 < scalars.count, scalars[start + 1] == "[" else { return nil }
        var index = start + 2
        var code = ""
        while index < scalars.count, ("0"..."9").contains(scalars[index]) || scalars[index] == ";" {
            code.unicodeScalars.append(scalars[index])
            index += 1
        }
        guard index < scalars.count, scalars[index] == "m", Style(rawValue: code) != nil else { return nil }
        return index
    }
}

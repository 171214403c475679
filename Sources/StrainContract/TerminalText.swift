/// Text bound for a terminal. Profiles, run files, server responses and error messages from
/// databases are untrusted: an escape sequence in them could move the cursor, retitle the window
/// or hide a line. Every control character but line feed and tab is written as `\u{…}` instead.
public enum TerminalText {
    /// The styles Strain's own output uses (`ESC [ code m`). A renderer writes a style's `marker`;
    /// `visible(_:keepingStyles: true)` turns markers into sequences once every control character of
    /// the text is escaped. A database name or a server's message may hold a sequence that looks like
    /// ours, or one that hides what follows (conceal, black on black): escaped like any other, since
    /// a marker's nonce, random per process, cannot be written into them in advance.
    public enum Style: String, CaseIterable, Sendable {
        case bad = "1;31"
        case good = "32"
        case bold = "1"
        case reset = "0"

        /// The escape sequence that turns it on.
        public var sequence: String { "\u{1B}[\(rawValue)m" }

        /// What a renderer writes where the style begins: U+FFFF (a noncharacter), the nonce, the code.
        public var marker: String { TerminalText.markerStart + rawValue + "\u{FFFF}" }
    }

    /// U+FFFF and 64 random bits, once per process.
    private static let markerStart = "\u{FFFF}" + String(UInt64.random(in: .min ... .max), radix: 36) + ":"

    /// `text` made safe to print: every control character shown escaped. Style markers become their
    /// escape sequences with `keepingStyles`, and are dropped without: they change how text looks,
    /// not where it goes.
    public static func visible(_ text: String, keepingStyles: Bool = false) -> String {
        var visible = escaping(text, where: isControl)
        guard visible.contains(markerStart) else { return visible }
        for style in Style.allCases {
            visible = visible.replacing(style.marker, with: keepingStyles ? style.sequence : "")
        }
        return visible
    }

    /// Text meant as one line (a title, a name, an evidence item, an error message) from untrusted
    /// sources: its line feeds, and the line and paragraph separators some viewers break lines at,
    /// shown escaped like every other control character, so it cannot start a forged line.
    public static func oneLine(_ text: String) -> String {
        escaping(text, where: breaksLine)
    }

    /// `text` with each scalar that `matches` written as `\u{…}`.
    private static func escaping(_ text: String, where matches: (Unicode.Scalar) -> Bool) -> String {
        guard text.unicodeScalars.contains(where: matches) else { return text }
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if matches(scalar) {
                escaped.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                escaped.append(scalar)
            }
        }
        return String(escaped)
    }

    private static func breaksLine(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\n" || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    /// A control character where text is one line (a name, an identifier): line feed, tab and the
    /// line and paragraph separators included.
    public static func isControlInOneLine(_ scalar: Unicode.Scalar) -> Bool {
        isControl(scalar) || breaksLine(scalar) || scalar == "\t"
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
}

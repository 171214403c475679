/// "Did you mean …?" for misspelled keys, names and units.
public enum Suggestion {
    /// The candidate closest to `word`, if it is close enough to be a plausible misspelling:
    /// at most one edit per three characters (case ignored, a swap of neighbours counts as one edit).
    /// `shortWords` allows one edit in a two-letter word too: right for command names (`rn` → `run`),
    /// too loose for profile keys.
    public static func closest(to word: String, among candidates: [String], shortWords: Bool = false) -> String? {
        let typed = Array(word.lowercased().unicodeScalars)
        let allowed = typed.count < (shortWords ? 2 : 3) ? 0 : max(1, typed.count / 3)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates where candidate != word {
            let distance = editDistance(typed, Array(candidate.lowercased().unicodeScalars))
            if distance <= allowed, distance < best?.distance ?? .max {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousRow = [Int](repeating: 0, count: b.count + 1)
        var row = Array(0...b.count)
        for i in 1...a.count {
            let beforePrevious = previousRow
            previousRow = row
            row = [Int](repeating: 0, count: b.count + 1)
            row[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                row[j] = min(previousRow[j] + 1, row[j - 1] + 1, previousRow[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    row[j] = min(row[j], beforePrevious[j - 2] + 1)
                }
            }
        }
        return row[b.count]
    }
}

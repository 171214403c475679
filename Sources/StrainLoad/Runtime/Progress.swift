import Foundation
import StrainContract

/// How `LoadRun` reports progress while it runs (on standard error).
public enum ProgressStyle: Sendable, Equatable {
    case none
    /// One line rewritten every second (a terminal).
    case live
    /// A plain line every `seconds` seconds (CI logs, pipes).
    case periodic(seconds: Int)
}

/// The text of one progress line, for the interval that just ended.
struct ProgressLine {
    var elapsed: Double
    /// The planned duration, when known.
    var planned: Double?
    var intervalSeconds: Double
    var requests: UInt64
    var failures: UInt64
    /// Latency of the interval, all steps together.
    var latency: Histogram

    var text: String {
        var parts: [String] = []
        if let planned {
            parts.append("\(Self.seconds(elapsed))/\(Self.seconds(planned))")
        } else {
            parts.append(Self.seconds(elapsed))
        }
        let rate = intervalSeconds > 0 ? Double(requests) / intervalSeconds : 0
        parts.append("\(Self.grouped(Int(rate.rounded()))) req/s")
        let share = requests > 0 ? Double(failures) / Double(requests) * 100 : 0
        parts.append(failures == 0 ? "0 errors" : "\(Self.grouped(Int(failures))) errors (\(String(format: "%.1f", share))%)")
        if !latency.isEmpty {
            parts.append("p50 \(Milliseconds.text(latency.percentile(50)))")
            parts.append("p99 \(Milliseconds.text(latency.percentile(99)))")
        }
        if let planned {
            parts.append("\(Self.seconds(max(0, planned - elapsed))) left")
        }
        return parts.joined(separator: "  ")
    }

    private static func seconds(_ value: Double) -> String {
        "\(Int(value.rounded()))s"
    }

    private static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var text = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { text += "," }
            text.append(digit)
        }
        return text
    }
}

/// Writes progress lines to standard error in the chosen style.
struct ProgressPrinter {
    let style: ProgressStyle
    private var lastPrinted: Double = 0
    private var lineIsOpen = false

    init(style: ProgressStyle) {
        self.style = style
    }

    mutating func show(_ line: ProgressLine) {
        switch style {
        case .none:
            return
        case .live:
            // Return to the line start, rewrite, clear what the previous line left beyond.
            write("\r" + line.text + "\u{1B}[K")
            lineIsOpen = true
        case .periodic(let every):
            guard line.elapsed - lastPrinted >= Double(every) else { return }
            lastPrinted = line.elapsed
            write(line.text + "\n")
        }
    }

    /// A message on its own line (ends a live line first).
    mutating func note(_ text: String) {
        guard style != .none else { return }
        finish()
        write(text + "\n")
    }

    /// Ends the live line so later output starts on a fresh one.
    mutating func finish() {
        if lineIsOpen { write("\n") }
        lineIsOpen = false
    }

    private func write(_ text: String) {
        StandardStream.writeError(Data(text.utf8))
    }
}

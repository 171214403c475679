import Foundation
import StrainContract

/// Reads a web server's access log for a window, a line at a time (a log may be far larger than memory).
public enum AccessLogReader {
    /// The requests of `path` whose logged time falls in [start, end]; lines it cannot read are
    /// skipped and counted, never fatal. Throws only when the file itself cannot be read.
    public static func read(_ path: String, start: Date, end: Date) throws(FileIOError) -> AccessLog.WindowSummary {
        var summary = AccessLog.WindowSummary(source: path, start: start, end: end)
        try InputFile.forEachLine(path, maxLineBytes: AccessLog.maximumLineBytes) { line, number in
            summary.add(line, number: number)
        }
        return summary
    }
}

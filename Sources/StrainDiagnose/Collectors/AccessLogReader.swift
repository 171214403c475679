import Foundation
import StrainContract

/// Reads a web server's access log for a window, a line at a time (a log may be far larger than memory).
public enum AccessLogReader {
    /// The requests of `path` whose logged time falls in [start, end]; lines it cannot read are
    /// skipped and counted, never fatal. Throws only when the file itself cannot be read. Reads the
    /// log as long as it was when opened; `complete` is false when `stop` ended the reading early.
    public static func read(_ path: String, start: Date, end: Date, stop: () -> Bool = { false })
        throws(FileIOError) -> (summary: AccessLog.WindowSummary, complete: Bool) {
        var summary = AccessLog.WindowSummary(source: path, start: start, end: end)
        let complete = try InputFile.forEachLine(path, maxLineBytes: AccessLog.maximumLineBytes, stop: stop) { line, number in
            summary.add(line, number: number)
        }
        return (summary, complete)
    }
}

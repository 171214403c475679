import Foundation
import StrainContract
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Atomic replacement renames a new file over the old one: only ever over a regular file.
struct AtomicFileTests {
    @Test func replacesARegularFileAndCreatesANewOne() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("report.md")
            try AtomicFile.write(Data("first".utf8), to: url)
            try AtomicFile.write(Data("second".utf8), to: url)
            #expect(try String(contentsOf: url, encoding: .utf8) == "second")
        }
    }

    /// `--out /dev/null` or a symlink must not be turned into a plain file (nor the link's target rewritten).
    @Test(arguments: ["symlink", "fifo", "folder"])
    func refusesToReplaceWhatIsNotARegularFile(kind: String) throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("out")
            let target = directory.appendingPathComponent("target.txt")
            try Data("kept".utf8).write(to: target)
            switch kind {
            case "symlink": try FileManager.default.createSymbolicLink(at: url, withDestinationURL: target)
            case "fifo": #expect(mkfifo(url.path, 0o644) == 0)
            default: try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
            }
            let error = #expect(throws: FileIOError.self) { try AtomicFile.write(Data("report".utf8), to: url) }
            #expect(error?.description.contains("exists and is not a regular file") == true)
            #expect(try String(contentsOf: target, encoding: .utf8) == "kept")
            var status = stat()
            #expect(lstat(url.path, &status) == 0 && status.st_mode & S_IFMT != S_IFREG)
        }
    }
}

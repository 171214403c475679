import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A failed file-system call, with the file and the system's reason.
public struct FileIOError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var operation: String
    public var errorNumber: Int32
    /// Why, when it is not a system error (a device instead of a file, a file too large).
    public var problem: String?

    public init(path: String, operation: String, errorNumber: Int32, problem: String? = nil) {
        self.path = path
        self.operation = operation
        self.errorNumber = errorNumber
        self.problem = problem
    }

    /// The system's reason, or the problem found.
    public var reason: String {
        problem ?? String(cString: strerror(errorNumber))
    }

    public var description: String {
        "\(path): \(operation) failed: \(reason)"
    }
}

/// Reading files Strain did not necessarily write (run folders, profiles): a symlink to /dev/zero, a
/// FIFO or a huge file must fail with a clear error, not fill memory or block forever.
public enum InputFile {
    /// The most a run file (run.json, timeline.ndjson, diagnosis.json, evidence.json) may hold.
    public static let maxRunFileBytes = 1 << 30

    /// The whole regular file at `path` (symlinks followed), refusing anything else and anything
    /// over `maxBytes`.
    public static func read(_ path: String, maxBytes: Int) throws(FileIOError) -> Data {
        let (descriptor, size) = try openRegular(path)
        defer { close(descriptor) }
        let tooLarge = FileIOError(path: path, operation: "read", errorNumber: EFBIG,
                                   problem: "larger than \(maxBytes >> 20) MiB, the most Strain reads")
        guard size <= maxBytes else { throw tooLarge }
        let contents = try POSIXFile.readAll(descriptor, path: path, maxBytes: maxBytes)
        // It may have grown since fstat.
        guard contents.count <= maxBytes else { throw tooLarge }
        return contents
    }

    /// Calls `body` with each line of the regular file at `path` (symlinks followed) and its 1-based
    /// number, without holding the file whole: the line's text without its newline, or nil when it
    /// is longer than `maxLineBytes` (its bytes are dropped as they come). Invalid UTF-8 is replaced.
    /// A failed read names the line it stopped at ("FILE:LINE"). Reads the file as long as it was
    /// when opened (a log written to meanwhile would keep the reader going), and stops early when
    /// `stop` says so between reads: false then, true when every line was read.
    @discardableResult
    public static func forEachLine(_ path: String, maxLineBytes: Int, stop: () -> Bool = { false },
                                   _ body: (Substring?, Int) -> Void) throws(FileIOError) -> Bool {
        let (descriptor, size) = try openRegular(path)
        defer { close(descriptor) }
        var unread = size
        var pending: [UInt8] = []
        var overflowed = false
        var number = 0
        func finishLine() {
            number += 1
            body(overflowed ? nil : Substring(String(decoding: pending, as: UTF8.self)), number)
            pending.removeAll(keepingCapacity: true)
            overflowed = false
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while unread > 0 {
            if stop() { return false }
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, min($0.count, unread)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileIOError(path: "\(path):\(number + 1)", operation: "read", errorNumber: errno)
            }
            if count == 0 { break }
            unread -= count
            var start = 0
            while start < count {
                let newline = chunk[start..<count].firstIndex(of: UInt8(ascii: "\n"))
                let end = newline ?? count
                if !overflowed {
                    pending.append(contentsOf: chunk[start..<end])
                    if pending.count > maxLineBytes {
                        overflowed = true
                        pending.removeAll(keepingCapacity: true)
                    }
                }
                guard let newline else { break }
                finishLine()
                start = newline + 1
            }
        }
        if !pending.isEmpty || overflowed { finishLine() }
        return true
    }

    /// Throws unless `path` is a regular file this process can open for reading.
    public static func checkReadable(_ path: String) throws(FileIOError) {
        close(try openRegular(path).descriptor)
    }

    /// A descriptor on the regular file at `path`, and its size; a FIFO, device or directory is refused.
    private static func openRegular(_ path: String) throws(FileIOError) -> (descriptor: Int32, size: Int) {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore it.
        let descriptor = try POSIXFile.open(path, flags: O_RDONLY | O_NONBLOCK)
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let failure = FileIOError(path: path, operation: "stat", errorNumber: errno)
            close(descriptor)
            throw failure
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw FileIOError(path: path, operation: "read", errorNumber: EINVAL, problem: "not a regular file")
        }
        return (descriptor, Int(status.st_size))
    }
}

/// Appending to a file named by the environment (a CI system's job summary): a FIFO, device or
/// directory there must fail with a clear error, not block the command until a reader comes.
public enum AppendedFile {
    /// Appends `data` to the regular file at `path` (created if missing; symlinks followed).
    public static func append(_ data: Data, to path: String) throws(FileIOError) {
        // O_NONBLOCK: opening a FIFO without a reader fails (ENXIO) instead of waiting for one.
        let descriptor: Int32
        do {
            descriptor = try POSIXFile.open(path, flags: O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK)
        } catch where error.errorNumber == ENXIO {
            throw FileIOError(path: path, operation: "append", errorNumber: ENXIO, problem: "not a regular file")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw FileIOError(path: path, operation: "stat", errorNumber: errno)
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw FileIOError(path: path, operation: "append", errorNumber: EINVAL, problem: "not a regular file")
        }
        try POSIXFile.writeAll(data, to: descriptor, path: path)
    }
}

/// Standard output and error, written with write(2): FileHandle's `write(_:)` traps on a closed pipe
/// or a full disk, and a write error there is to be reported (or ignored), not a crash.
public enum StandardStream {
    /// Writes all of `data` to standard output; throws with the system's reason.
    public static func writeOutput(_ data: Data) throws(FileIOError) {
        try POSIXFile.writeAll(data, to: STDOUT_FILENO, path: "standard output")
    }

    /// Writes all of `data` to standard error, if it can: there is nowhere left to report a failure.
    public static func writeError(_ data: Data) {
        try? POSIXFile.writeAll(data, to: STDERR_FILENO, path: "standard error")
    }
}

/// Thin wrappers over POSIX file calls: Foundation offers neither fsync nor errno-precise errors.
enum POSIXFile {
    /// Opens `path`, returning the descriptor or throwing with `errno` (naming `reportedPath` if given).
    static func open(
        _ path: String, flags: Int32, mode: mode_t = 0o644, reportedPath: String? = nil
    ) throws(FileIOError) -> Int32 {
        let descriptor = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw FileIOError(path: reportedPath ?? path, operation: "open", errorNumber: errno)
        }
        return descriptor
    }

    /// Writes all of `data`, retrying short writes and interrupted calls.
    static func writeAll(_ data: Data, to descriptor: Int32, path: String) throws(FileIOError) {
        let failure: Int32? = data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        if let failure { throw FileIOError(path: path, operation: "write", errorNumber: failure) }
    }

    /// Reads `descriptor` to its end, or to just past `maxBytes`.
    static func readAll(_ descriptor: Int32, path: String, maxBytes: Int) throws(FileIOError) -> Data {
        var contents = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 || contents.count > maxBytes { return contents }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileIOError(path: path, operation: "read", errorNumber: errno)
            }
            contents.append(contentsOf: chunk[..<count])
        }
    }

    static func fsync(_ descriptor: Int32, path: String) throws(FileIOError) {
        guard Glibc.fsync(descriptor) == 0 else { throw FileIOError(path: path, operation: "fsync", errorNumber: errno) }
    }
}

/// Replaces a file in one step: readers see the old content or the new, never a torn mix,
/// even if the process is killed or the machine loses power mid-write.
public enum AtomicFile {
    /// Writes `data` to a temporary file next to `url`, flushes it to disk, then renames it over `url`.
    /// Only a regular file is replaced: the rename would put a plain file where a device (`--out
    /// /dev/null`), a FIFO or a symlink was.
    public static func write(_ data: Data, to url: URL) throws(FileIOError) {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        var status = stat()
        if lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
            throw FileIOError(path: path, operation: "write", errorNumber: EEXIST,
                              problem: "it exists and is not a regular file (a device, a folder, a FIFO or a symlink); "
                                  + "give the path of a new or regular file")
        }
        // Same directory, so the rename never crosses file systems; the name is unique per attempt.
        let temporaryPath = "\(directory)/.\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"

        // Errors name the destination: the temporary file is an implementation detail.
        let descriptor = try POSIXFile.open(temporaryPath, flags: O_WRONLY | O_CREAT | O_EXCL, reportedPath: path)
        do {
            try POSIXFile.writeAll(data, to: descriptor, path: path)
            try POSIXFile.fsync(descriptor, path: path)
        } catch {
            close(descriptor)
            unlink(temporaryPath)
            throw error
        }
        close(descriptor)
        guard rename(temporaryPath, path) == 0 else {
            let failure = FileIOError(path: path, operation: "rename", errorNumber: errno)
            unlink(temporaryPath)
            throw failure
        }
        // Persist the rename itself; a file system that cannot sync directories still has the data.
        if let directoryDescriptor = try? POSIXFile.open(directory, flags: O_RDONLY | O_DIRECTORY) {
            _ = Glibc.fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}

/// The folder a command writes its files to.
public enum OutputFolder {
    /// Creates `url` and any missing parents (mkdir -p), saying in the system's words why not: a file
    /// already where a folder should be, no permission (Foundation's error names neither plainly).
    public static func create(_ url: URL) throws(FileIOError) {
        var path = ""
        for component in url.standardizedFileURL.path.split(separator: "/") {
            path += "/" + component
            var status = stat()
            if stat(path, &status) == 0 {
                guard status.st_mode & S_IFMT == S_IFDIR else {
                    throw FileIOError(path: path, operation: "create the output folder", errorNumber: ENOTDIR,
                                      problem: "it exists and is not a folder")
                }
                continue
            }
            guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
                throw FileIOError(path: path, operation: "create the output folder", errorNumber: errno)
            }
        }
    }
}

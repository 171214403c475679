import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The CPU a local process has used so far, read at both ends of the window: it tells step 5
/// whether the service spent its requests' time computing or waiting — without perf, which
/// needs privileges.
struct ProcessCPUClock {
    /// User + system time of all its threads, dead ones included (/proc/PID/stat).
    var cpuSeconds: Double
    /// Time each live thread has waited on a run queue for a core (/proc/PID/task/TID/schedstat).
    var runQueueSecondsByThread: [Int32: Double]

    /// Reads `pid`'s clocks, or nil when the process is gone or /proc is unreadable.
    static func read(pid: Int32) -> ProcessCPUClock? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let cpu = cpuSeconds(stat: stat, ticksPerSecond: Double(max(sysconf(Int32(_SC_CLK_TCK)), 1))) else { return nil }
        var waits: [Int32: Double] = [:]
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for task in tasks {
            guard let tid = Int32(task),
                  let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/schedstat", encoding: .utf8),
                  let wait = runQueueSeconds(schedstat: text) else { continue }
            waits[tid] = wait
        }
        return ProcessCPUClock(cpuSeconds: cpu, runQueueSecondsByThread: waits)
    }

    /// What the process used between `start` and this reading; `runnableSeconds` comes from
    /// sampling its threads' states through the window (`runnableThreads`). Threads that ended in
    /// between take their run-queue time with them: that figure is a lower bound.
    func since(_ start: ProcessCPUClock, pid: Int32, runnableSeconds: Double) -> ServiceProcessEvidence {
        let waited = runQueueSecondsByThread.reduce(0) { total, thread in
            total + max(0, thread.value - (start.runQueueSecondsByThread[thread.key] ?? 0))
        }
        return ServiceProcessEvidence(pid: pid, cpuSeconds: max(0, cpuSeconds - start.cpuSeconds), runQueueSeconds: waited,
                                      runnableSeconds: runnableSeconds)
    }

    /// How many of `pid`'s threads are running or waiting for a core right now (state R), or nil
    /// when the process is gone. Sampled often, it counts the threads a thread-per-request server
    /// starts and ends between two readings of the clocks, whose run-queue time dies with them.
    static func runnableThreads(pid: Int32) -> Int? {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
        return tasks.prefix(maximumThreadsSampled).reduce(0) { count, task in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8) else { return count }
            return count + (state(stat: stat) == "R" ? 1 : 0)
        }
    }

    /// Sampling reads a file per thread: a process with more is sampled on its first ones.
    static let maximumThreadsSampled = 2000

    /// The state letter of a /proc stat line (R running, S sleeping, D disk wait, …).
    static func state(stat: String) -> Character? {
        guard let end = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: end)...].first { $0 != " " }
    }

    /// utime + stime (fields 14 and 15) of a /proc/PID/stat line. The command name in parentheses
    /// may hold spaces and parentheses itself, so fields are counted after its last ")".
    static func cpuSeconds(stat: String, ticksPerSecond: Double) -> Double? {
        guard let end = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }

    /// The second field of a schedstat line: nanoseconds spent waiting on a run queue.
    static func runQueueSeconds(schedstat: String) -> Double? {
        let fields = schedstat.split(separator: " ")
        guard fields.count >= 2, let nanoseconds = Double(fields[1]) else { return nil }
        return nanoseconds / 1e9
    }
}

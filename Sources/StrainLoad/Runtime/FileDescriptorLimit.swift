#if canImport(Glibc)
import Glibc
#endif

/// The generator's own limit on open files: every connection is a socket. The soft limit is raised to
/// the hard one at the start, and a run that asks for more connections than that allows is refused
/// before anything is sent — otherwise its later connections would fail with EMFILE, which looks like
/// the target's fault.
enum FileDescriptorLimit {
    /// Descriptors a run needs besides its connections: standard streams, output files, each worker's
    /// timer and wake-up pipe, libcurl's and libpq's own.
    static func reserve(workers: Int) -> Int {
        64 + 4 * workers
    }

    /// Why `connections` do not fit within `limit` open files, or nil when they do. Pure.
    static func problem(connections: Int, workers: Int, limit: UInt64) -> String? {
        let needed = UInt64(connections + reserve(workers: workers))
        guard needed > limit else { return nil }
        return "the profile asks for up to \(connections) connections, which with \(reserve(workers: workers)) descriptors "
            + "for the generator itself need \(needed) open files, but this process may open only \(limit) "
            + "(ulimit -n, hard limit): lower the connections or raise the limit"
    }

    /// Raises the soft limit to the hard one and returns the limit now in force.
    static func raiseToHardLimit() -> UInt64 {
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return .max }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return UInt64(limit.rlim_cur)  // RLIM_INFINITY is UInt64.max
    }
}

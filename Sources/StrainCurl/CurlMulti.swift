internal import CCurl
#if canImport(Glibc)
import Glibc
#endif

/// One libcurl multi handle: drives many `CurlEasy` transfers concurrently on one thread.
///
/// A worker loop looks like:
///
///     try multi.add(easy)                  // as many as the load needs
///     while multi.transferCount > 0 {
///         try multi.perform()              // sends and receives whatever is ready
///         for (easy, result) in try multi.completed() { … record; reset and add again … }
///         try multi.poll(timeoutMicroseconds: 100_000)  // sleeps until a socket is ready
///     }
///
/// The transfers share the multi handle's connection cache, so connections are kept alive
/// and reused across easies. The multi retains every easy it holds until it completes or is
/// removed.
///
/// Not `Sendable`: one thread owns the multi and every easy in it. The one exception is
/// `wakeup()`, which libcurl allows from any thread while the multi is alive.
public final class CurlMulti {
    /// The `CURLM *`.
    private let handle: UnsafeMutableRawPointer
    /// The easies in the multi, by their `CURL *` (which is what `curl_multi_info_read` gives back).
    private var transfers: [UnsafeMutableRawPointer: CurlEasy] = [:]
    /// Ends `poll` at its exact deadline (a timerfd): curl's own timeout counts whole milliseconds.
    private let timer: Int32

    public init() throws {
        try ensureCurlGlobalInit()
        let timer = strain_timerfd_create()
        guard timer >= 0 else {
            throw CurlMultiError(code: CURLM_OUT_OF_MEMORY, context: "creating a timer descriptor: \(String(cString: strerror(errno)))")
        }
        guard let handle = curl_multi_init() else {
            close(timer)
            throw CurlMultiError(code: CURLM_OUT_OF_MEMORY, context: "creating a curl multi handle")
        }
        self.handle = handle
        self.timer = timer
    }

    deinit {
        close(timer)
        // libcurl wants easies removed before the multi is cleaned up; `transfers`
        // releases them afterwards.
        for easyHandle in transfers.keys { curl_multi_remove_handle(handle, easyHandle) }
        curl_multi_cleanup(handle)
    }

    /// The number of transfers currently in the multi.
    public var transferCount: Int { transfers.count }

    // MARK: Options

    /// At most this many open connections in total; transfers beyond it wait. 0 means no limit.
    public func setMaxTotalConnections(_ count: Int) throws {
        try setLong(CURLMOPT_MAX_TOTAL_CONNECTIONS, count, "setting the connection limit to \(count)")
    }

    /// At most this many open connections to one host; transfers beyond it wait. 0 means no limit.
    public func setMaxHostConnections(_ count: Int) throws {
        try setLong(CURLMOPT_MAX_HOST_CONNECTIONS, count, "setting the per-host connection limit to \(count)")
    }

    /// Whether HTTP/2 transfers may share one connection as concurrent streams.
    public func setMultiplexing(_ enabled: Bool) throws {
        try setLong(CURLMOPT_PIPELINING, enabled ? CURLPIPE_MULTIPLEX : CURLPIPE_NOTHING,
                    "turning HTTP/2 multiplexing \(enabled ? "on" : "off")")
    }

    // MARK: Transfers

    /// Starts `easy`'s transfer (it progresses in `perform()`); the multi keeps it alive until
    /// it shows up in `completed()` or is removed.
    public func add(_ easy: CurlEasy) throws {
        try check(curl_multi_add_handle(handle, easy.handle), "adding a transfer")
        // Nothing is transferred before the next perform(), so clearing afterwards is in time.
        easy.prepareForTransfer()
        transfers[easy.handle] = easy
    }

    /// Stops `easy`'s transfer, finished or not, and releases it.
    public func remove(_ easy: CurlEasy) throws {
        try check(curl_multi_remove_handle(handle, easy.handle), "removing a transfer")
        transfers[easy.handle] = nil
    }

    /// Does all the sending and receiving that can happen without waiting.
    /// Returns how many transfers are still running.
    @discardableResult
    public func perform() throws -> Int {
        var running: Int32 = 0
        try check(curl_multi_perform(handle, &running), "running transfers")
        return Int(running)
    }

    /// Waits until a transfer's socket is ready, `timeoutMicroseconds` pass, or `wakeup()`. The
    /// sockets are watched for the whole wait, however short: a response that arrives during it ends
    /// it at once (a plain sleep for the sub-millisecond rest would leave it waiting).
    public func poll(timeoutMicroseconds: UInt64) throws {
        let micros = Int64(clamping: timeoutMicroseconds)
        guard strain_timerfd_arm(timer, micros) == 0 else {
            throw CurlMultiError(code: CURLM_INTERNAL_ERROR, context: "arming the poll timer: \(String(cString: strerror(errno)))")
        }
        var wake = curl_waitfd(fd: timer, events: Int16(CURL_WAIT_POLLIN), revents: 0)
        // Rounded up, so the timer, not curl's millisecond timeout, ends the wait.
        let milliseconds = Int32(clamping: (micros + 999) / 1000 + 1)
        try check(curl_multi_poll(handle, &wake, 1, milliseconds, nil), "waiting for sockets")
    }

    /// Ends a `poll` early. Safe to call from another thread while this multi is alive.
    public func wakeup() throws {
        try check(curl_multi_wakeup(handle), "waking up the transfer loop")
    }

    /// The transfers that finished since the last call, each with its outcome. They are
    /// removed from the multi, so each can be reset and added again.
    public func completed() throws -> [(CurlEasy, Result<Void, CurlError>)] {
        var finished: [(CurlEasy, Result<Void, CurlError>)] = []
        var messagesLeft: Int32 = 0
        while let message = curl_multi_info_read(handle, &messagesLeft) {
            guard message.pointee.msg == CURLMSG_DONE,
                  let easyHandle = message.pointee.easy_handle,
                  let easy = transfers[easyHandle] else { continue }
            // Read before removing: the message belongs to the multi and is gone after that.
            let code = message.pointee.data.result
            try remove(easy)
            finished.append((easy, code == CURLE_OK ? .success(()) : .failure(easy.transferError(code))))
        }
        return finished
    }

    // MARK: Typed setopt

    private func check(_ code: CURLMcode, _ context: @autoclosure () -> String) throws {
        guard code == CURLM_OK else { throw CurlMultiError(code: code, context: context()) }
    }

    private func setLong(_ option: CURLMoption, _ value: Int, _ context: @autoclosure () -> String) throws {
        try check(strain_curl_multi_setopt_long(handle, option, value), context())
    }
}

@available(*, unavailable, message: "a CurlMulti belongs to the one thread that drives it")
extension CurlMulti: Sendable {}

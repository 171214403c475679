import Dispatch
import Foundation
import Glibc
import StrainContract
import StrainTestSupport
import Synchronization
import Testing
@testable import StrainLoad

/// A worker waits for the next send and for responses at once: a response that arrives while it waits
/// is taken when it arrives, however short the wait. A wait that sleeps without watching the sockets
/// adds up to the gap between sends to every latency, so latency would depend on the rate.
@Suite("waiting for completions watches the sockets", .serialized, .oneLoadAtATime)
struct CompletionWaitTests {
    /// A target with a fixed 200 µs cost, at rates whose gaps between sends are far above, around and
    /// below a millisecond: its median latency must be the target's, whatever the rate.
    ///
    /// The rates are interleaved over three rounds and each rate's ratio is the median of its rounds':
    /// a busy moment of a shared machine disturbs one round, a wait that ignores the sockets all.
    @Test func medianLatencyDoesNotDependOnTheRate() throws {
        let server = try LoopbackHTTPServer(.answer(after: .microseconds(200)))
        func median(at rate: Int) throws -> Double {
            let outcome = try runLoad("""
            { name: "rate-\(rate)", target: { baseURL: "\(server.url)" },
              scenarios: [{ name: "s", load: { rate: "\(rate)/s", duration: "1s" }, steps: [{ path: "/" }] }] }
            """)
            #expect(outcome.step().failures == 0)
            return Double(outcome.step().latency.percentile(50))
        }
        var ratios: [Int: [Double]] = [:]
        for _ in 0..<3 {
            let base = try median(at: 200)
            for rate in [1_200, 2_500] {
                ratios[rate, default: []].append(try median(at: rate) / base)
            }
        }
        for (rate, rounds) in ratios.sorted(by: { $0.key < $1.key }) {
            let ratio = rounds.sorted()[1]
            #expect(ratio < 1.5, "p50 at \(rate)/s is \(ratio)× the p50 at 200/s (rounds: \(rounds))")
        }
    }

    /// The PostgreSQL engine's poller: a socket that becomes readable during a sub-millisecond wait ends
    /// the wait then, not when its timeout runs out.
    @Test func thePollerEndsASubMillisecondWaitWhenASocketIsReady() throws {
        let clock = ContinuousClock()
        let rounds = 30
        // One writer thread, started beforehand: creating a thread per round takes longer than the wait.
        let socket = Mutex<Int32>(-1), writtenAt = Mutex<ContinuousClock.Instant?>(nil)
        let go = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            for _ in 0..<rounds {
                go.wait()
                usleep(50)
                writtenAt.withLock { $0 = clock.now }
                _ = write(socket.withLock { $0 }, "x", 1)
                done.signal()
            }
        }
        // How late each readiness was seen, as a share of the wait that was left when it happened.
        var lateness: [Double] = []
        for _ in 0..<rounds {
            var pair: [Int32] = [0, 0]
            #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
            defer { close(pair[0]); close(pair[1]) }
            var poller = SocketPoller()
            poller.add(pair[0], interest: .read)
            socket.withLock { $0 = pair[1] }
            let start = clock.now
            go.signal()
            let ready = try poller.wait(timeout: 900)
            let end = clock.now
            done.wait()
            guard ready == 1, let written = writtenAt.withLock({ $0 }) else { continue }
            let left = start + .microseconds(900) - written
            // Only writes with a good part of the wait still ahead tell a watched wait from a blind one.
            if left > .microseconds(300) { lateness.append((end - written) / left) }
        }
        try #require(lateness.count >= 5, "the writer thread was too slow to write early in the wait")
        let median = lateness.sorted()[lateness.count / 2]
        #expect(median < 0.5, "readiness was seen after \(median) of the wait left")
    }
}

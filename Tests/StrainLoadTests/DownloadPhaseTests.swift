import Foundation
import StrainContract
import Testing

/// The driver's `download` phase (first response byte to the last) shows a server whose small
/// writes wait for the client's delayed ACK: with Nagle's algorithm on, a body written after the
/// head is held until the head is acknowledged, and Linux delays that ACK by 40 ms on a kept-alive
/// connection. The same server writing each response at once is the control.
struct DownloadPhaseTests {
    @Test(arguments: [true, false])
    func smallWritesWithoutNoDelayStallTheDownloadByTheDelayedACK(apart: Bool) throws {
        let server = try ScriptedServer(writesHeadAndBodyApart: apart) { _ in
            ScriptedServer.response(status: "200 OK", body: String(repeating: "x", count: 100))
        }
        defer { server.stop() }
        let outcome = try runLoad("""
        { name: "nagle", target: { baseURL: "\(server.url)" },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 20 }, steps: [{ path: "/" }] }] }
        """)
        let step = outcome.step()
        let download = try #require(step.phases[Phase.download.name])
        let firstByte = try #require(step.phases[Phase.ttfb.name])
        print("download phase — head and body apart: \(apart): median download \(download.percentile(50)) µs, "
              + "median time to first byte \(firstByte.percentile(50)) µs")
        #expect(download.count == 20)
        if apart {
            // All but the first request (its ACKs are quick) wait for the delayed ACK.
            #expect(download.percentile(50) >= 30_000 && download.percentile(50) <= 250_000)
            #expect(firstByte.percentile(50) < 10_000)
        } else {
            #expect(download.percentile(90) < 10_000)
        }
    }
}

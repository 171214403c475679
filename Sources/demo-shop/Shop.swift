import Foundation
import StrainCurl
import StrainPQ
import Synchronization

/// The demo shop's endpoints. Healthy ones are written the way they should be; the faulty ones
/// are written the way they often are, each behind its `Fault` switch.
final class Shop: Sendable {
    private let pool: ConnectionPool
    private let faults: Set<Fault>
    private let downstreamURL: String
    /// How long a leaked connection stays idle in its transaction before a "reaper" takes it back.
    private let leakHold: Double
    private let checkouts = Atomic<Int>(0)
    /// With the CPU fault off, the report is computed once: it never changes.
    private let cachedReport: String
    /// With the downstream fault off, recommendations are cached for a minute.
    private let recommendations = Mutex<(body: String, fetched: Date)?>(nil)

    init(pool: ConnectionPool, faults: Set<Fault>, downstreamURL: String, leakHold: Double) {
        self.pool = pool
        self.faults = faults
        self.downstreamURL = downstreamURL
        self.leakHold = leakHold
        cachedReport = Self.computeReport()
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let parts = request.segments.map(String.init)
        do {
            switch (request.method, parts.count, parts.first) {
            case ("GET", 1, "health"): return .json(200, #"{"status":"ok"}"#)
            // The service's own account of the pool: what tests measure a leak's cost against.
            case ("GET", 1, "pool"): return .json(200, json(["waitSeconds": pool.waitedSeconds]))
            case ("GET", 2, "products"): return try product(id: parts[1])
            case ("GET", 2, "orders") where parts[1] == "search": return try searchOrders(email: request.query["email"] ?? "")
            case ("GET", 3, "customers") where parts[2] == "orders": return try customerOrders(id: parts[1])
            case ("POST", 1, "checkout"): return try checkout(customer: request.query["customer"] ?? "")
            case ("GET", 1, "recommendations"): return try recommendationsResponse()
            case ("GET", 1, "report"): return .json(200, faults.contains(.cpuHeavy) ? Self.computeReport() : cachedReport)
            default: return .json(404, #"{"error":"no such endpoint"}"#)
            }
        } catch {
            return .json(500, json(["error": "\(error)"]))
        }
    }

    // MARK: Endpoints

    private func product(id: String) throws -> HTTPResponse {
        let result = try pool.withConnection {
            try $0.execute("SELECT id, name, price_cents FROM products WHERE id = $1", parameters: [id])
        }
        guard result.rowCount == 1 else { return .json(404, #"{"error":"no such product"}"#) }
        return .json(200, json(["id": result.value(row: 0, column: 0) ?? "", "name": result.value(row: 0, column: 1) ?? "",
                                "priceCents": result.value(row: 0, column: 2) ?? ""]))
    }

    /// Fault `unindexed-search` is the database's state: no index on `orders.customer_email`
    /// (see `Seed.applyIndexFault`). The query is the same either way.
    private func searchOrders(email: String) throws -> HTTPResponse {
        let result = try pool.withConnection {
            try $0.execute("SELECT id, status, total_cents FROM orders WHERE customer_email = $1", parameters: [email])
        }
        return .json(200, json(["email": email, "orders": result.rowCount]))
    }

    private func customerOrders(id: String) throws -> HTTPResponse {
        let items = try pool.withConnection { connection -> Int in
            if faults.contains(.nPlusOne) {
                let orders = try connection.execute(
                    "SELECT id, status, total_cents FROM orders WHERE customer_id = $1 ORDER BY id", parameters: [id])
                var items = 0
                for row in 0..<orders.rowCount {
                    items += try connection.execute(
                        "SELECT product_id, quantity FROM order_items WHERE order_id = $1",
                        parameters: [orders.value(row: row, column: 0)]).rowCount
                }
                return items
            }
            return try connection.execute("""
                SELECT o.id, o.status, o.total_cents, i.product_id, i.quantity
                FROM orders o JOIN order_items i ON i.order_id = o.id
                WHERE o.customer_id = $1 ORDER BY o.id
                """, parameters: [id]).rowCount
        }
        return .json(200, json(["customer": id, "items": items]))
    }

    /// Every tenth payment is declined. The faulty error path forgets the open transaction and
    /// keeps the connection until a reaper rolls it back `leakHold` seconds later.
    private func checkout(customer: String) throws -> HTTPResponse {
        let number = checkouts.add(1, ordering: .relaxed).newValue
        let connection = pool.checkOut()
        do {
            _ = try connection.execute("BEGIN")
            let inserted = try connection.execute("""
                INSERT INTO orders (customer_id, customer_email, status, total_cents, created_at)
                SELECT id, email, 'pending', 4200, now() FROM customers WHERE id = $1 RETURNING id
                """, parameters: [customer])
            guard let orderID = inserted.value(row: 0, column: 0) else {
                _ = try connection.execute("ROLLBACK")
                pool.checkIn(connection)
                return .json(404, #"{"error":"no such customer"}"#)
            }
            if number % 10 == 0 {
                if faults.contains(.poolLeak) {
                    leak(connection)
                } else {
                    _ = try connection.execute("ROLLBACK")
                    pool.checkIn(connection)
                }
                return .json(402, #"{"error":"payment declined"}"#)
            }
            _ = try connection.execute("UPDATE orders SET status = 'paid' WHERE id = $1", parameters: [orderID])
            _ = try connection.execute("COMMIT")
            pool.checkIn(connection)
            return .json(201, json(["order": orderID]))
        } catch {
            _ = try? connection.execute("ROLLBACK")
            pool.checkIn(connection)
            throw error
        }
    }

    private func leak(_ connection: PGConnection) {
        let hold = leakHold
        let pool = self.pool
        let leaked = UncheckedConnection(connection)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: hold)
            _ = try? leaked.connection.execute("ROLLBACK")
            pool.checkIn(leaked.connection)
        }
    }

    private func recommendationsResponse() throws -> HTTPResponse {
        if !faults.contains(.slowDownstream),
           let cached = recommendations.withLock({ $0 }), Date().timeIntervalSince(cached.fetched) < 60 {
            return .json(200, cached.body)
        }
        let call = try CurlEasy()
        try call.setURL(downstreamURL)
        try call.setTimeouts(totalMilliseconds: 5000, connectMilliseconds: 1000)
        try call.perform()
        let body = String(decoding: call.responseBody, as: UTF8.self)
        guard try call.transferInfo().responseCode == 200 else { return .json(502, #"{"error":"downstream failed"}"#) }
        recommendations.withLock { $0 = (body, Date()) }
        return .json(200, body)
    }

    // MARK: Helpers

    /// Counts primes below 300,000 by trial division: a stand-in for a costly, cacheable computation.
    private static func computeReport() -> String {
        var primes = 0
        for candidate in 2..<300_000 {
            var divisor = 2
            var isPrime = true
            while divisor * divisor <= candidate {
                if candidate % divisor == 0 { isPrime = false; break }
                divisor += 1
            }
            if isPrime { primes += 1 }
        }
        return #"{"primesBelow300000":\#(primes)}"#
    }

    private func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// Moves a connection to the reaper thread; only that thread uses it afterwards.
private struct UncheckedConnection: @unchecked Sendable {
    let connection: PGConnection
    init(_ connection: PGConnection) { self.connection = connection }
}

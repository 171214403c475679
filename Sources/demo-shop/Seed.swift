import StrainPQ

/// Creates the shop's schema with realistic volume: 40k customers, 300k orders (7–8 per
/// customer, so the N+1 endpoint makes ≥ 5 item queries per request) and 600k order items.
enum Seed {
    static func run(conninfo: String, customers: Int, orders: Int) throws {
        let connection = try PGConnection(conninfo: conninfo)
        for statement in schema(customers: customers, orders: orders) {
            _ = try connection.execute(statement)
        }
    }

    private static func schema(customers: Int, orders: Int) -> [String] {
        [
            "SET client_min_messages = warning",
            "DROP TABLE IF EXISTS order_items, orders, products, customers CASCADE",
            "CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL)",
            """
            INSERT INTO customers SELECT g, 'customer' || g || '@example.com', 'Customer ' || g
            FROM generate_series(1, \(customers)) g
            """,
            "CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price_cents int NOT NULL)",
            "INSERT INTO products SELECT g, 'Product ' || g, 100 + (g * 37) % 10000 FROM generate_series(1, 1000) g",
            """
            CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, customer_email text NOT NULL,
                                 status text NOT NULL, total_cents int NOT NULL, created_at timestamptz NOT NULL)
            """,
            """
            INSERT INTO orders (customer_id, customer_email, status, total_cents, created_at)
            SELECT c, 'customer' || c || '@example.com', (ARRAY['paid', 'shipped', 'delivered'])[1 + g % 3],
                   500 + (g::bigint * 7919) % 20000, now() - (g % 365) * interval '1 day'
            FROM generate_series(1, \(orders)) g, LATERAL (SELECT 1 + (g * 7) % \(customers) AS c) spread
            """,
            "CREATE INDEX orders_customer_id_idx ON orders (customer_id)",
            """
            CREATE TABLE order_items (id bigserial PRIMARY KEY, order_id bigint NOT NULL,
                                      product_id int NOT NULL, quantity int NOT NULL)
            """,
            """
            INSERT INTO order_items (order_id, product_id, quantity)
            SELECT o, 1 + (o * 13 + k) % 1000, k FROM generate_series(1, \(orders)) o, generate_series(1, 2) k
            """,
            "CREATE INDEX order_items_order_id_idx ON order_items (order_id)",
            // Foreign keys after the bulk load: one validation pass instead of a trigger per row.
            "ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id)",
            "ALTER TABLE order_items ADD FOREIGN KEY (order_id) REFERENCES orders (id)",
            "ANALYZE",
        ]
    }

    /// The unindexed-search fault is the absence of an index. With the fault off the index is
    /// created; with it on nothing is dropped, so an index a user created as the fix survives.
    static func applyIndexFault(enabled: Bool, connection: PGConnection) throws {
        guard !enabled else { return }
        _ = try connection.execute("CREATE INDEX IF NOT EXISTS orders_customer_email_idx ON orders (customer_email)")
    }
}

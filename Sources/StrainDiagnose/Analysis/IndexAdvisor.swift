import Foundation
import StrainContract

/// An index that would let a statement stop scanning a whole table.
public struct IndexSuggestion: Sendable, Equatable {
    public var queryID: Int64
    /// Schema, table and column names as the database stores them (unquoted).
    public var schema: String?
    public var table: String
    /// Equality columns first, then at most one range column (the order a B-tree serves best).
    public var columns: [String]

    /// "fx.orders(customer_email, status)": the finding's object, quoted as SQL would need it.
    public var object: String {
        "\(qualifiedTable)(\(columnList))"
    }

    /// The statement to run: CONCURRENTLY, so building it does not block writes to the table.
    public var createStatement: String {
        "CREATE INDEX CONCURRENTLY \(SQLIdentifier.quoted(indexName)) ON \(qualifiedTable) (\(columnList));"
    }

    /// The form HypoPG accepts (it has no CONCURRENTLY and names its own indexes).
    public var hypotheticalDefinition: String {
        "CREATE INDEX ON \(qualifiedTable) (\(columnList))"
    }

    /// Asks (column `taken`, "t" or "f") whether a relation already has the index's name in the schema
    /// `createStatement` puts it in: the table's, which is the search path's choice when the plan named
    /// none. The names go as parameters, as stored: `to_regclass` cannot read the `U&"…"` quoting a
    /// name with a control character gets.
    public var nameTakenQuery: (sql: String, parameters: [String?]) {
        let sql = """
            SELECT EXISTS (
                SELECT 1 FROM pg_class AS existing
                WHERE existing.relname = $1 AND existing.relnamespace = (
                    SELECT t.relnamespace FROM pg_class AS t JOIN pg_namespace AS n ON n.oid = t.relnamespace
                    WHERE t.relname = $2 AND t.relkind IN ('r', 'p', 'm')
                      AND CASE WHEN $3::text IS NULL THEN pg_table_is_visible(t.oid) ELSE n.nspname = $3::text END)
            ) AS taken
            """
        return (sql, [indexName, table, schema])
    }

    var qualifiedTable: String { SQLIdentifier.qualified(schema, table) }
    private var columnList: String { columns.map(SQLIdentifier.quoted).joined(separator: ", ") }

    /// "orders_customer_email_status_idx", within PostgreSQL's 63-byte identifier limit. A longer one
    /// is cut and ends with 8 hex digits of the whole name's SHA-256, so two fixes on long names
    /// that share a beginning do not name the same index.
    var indexName: String {
        let bare = ([table] + columns).joined(separator: "_")
        guard bare.utf8.count > 63 - "_idx".count else { return bare + "_idx" }
        let suffix = "_" + SHA256.hexDigest(Array(bare.utf8)).prefix(8) + "_idx"
        var cut = bare
        while cut.utf8.count > 63 - suffix.utf8.count { cut.removeLast() }
        return cut + suffix
    }
}

/// Finds sequential scans that read a large table to keep a few rows, and the index that would
/// serve them. Pure: the collector uses it to pick what to try with HypoPG, the slow-query check
/// to report it, so both always agree.
public enum IndexAdvisor {
    /// Below this many rows a sequential scan is cheap and often the right plan.
    static let largeTableRows = 10_000.0
    /// A filter that keeps at most this share of the table's rows is selective.
    static let selectiveShare = 0.05

    /// A sequential scan of a large table whose filter keeps few rows.
    public struct SelectiveScan: Sendable, Equatable {
        public var node: PlanNode
        public var relation: RelationInfo
        /// Estimated (or, after ANALYZE, actual) share of the table's rows the filter keeps.
        public var keptShare: Double
    }

    public static func selectiveScans(in plan: PlanNode, relations: [RelationInfo]) -> [SelectiveScan] {
        plan.allNodes.compactMap { node in
            guard node.nodeType == "Seq Scan", node.filter != nil, let name = node.relationName,
                  let relation = relations.first(where: { $0.name == name && (node.schema == nil || $0.schema == node.schema) }),
                  relation.rows >= largeTableRows else { return nil }
            let kept: Double
            if let actual = node.actualRows, let removed = node.rowsRemovedByFilter, actual + removed > 0 {
                kept = actual / (actual + removed)
            } else {
                kept = node.totalPlanRows / relation.rows
            }
            return kept <= selectiveShare ? SelectiveScan(node: node, relation: relation, keptShare: kept) : nil
        }
    }

    /// The index for a selective scan, or nil when its filter has no indexable column or an
    /// existing index already starts with the column it would start with.
    public static func suggestion(for scan: SelectiveScan, queryID: Int64) -> IndexSuggestion? {
        guard let filter = scan.node.filter, let columns = indexableColumns(in: filter), let first = columns.first,
              // pg_get_indexdef quotes a column as SQL does ("customerId"); the filter's columns are unquoted.
              !scan.relation.indexes.contains(where: { $0.first.map(SQLIdentifier.unquoted) == first }) else { return nil }
        return IndexSuggestion(queryID: queryID, schema: scan.node.schema ?? scan.relation.schema,
                               table: scan.relation.name, columns: columns)
    }

    /// Every suggestion for one explained statement, one per table.
    public static func suggestions(for plan: StatementPlan, relations: [RelationInfo]) -> [IndexSuggestion] {
        guard let json = plan.json, let root = try? PlanNode.parse(explainJSON: json) else { return [] }
        var seen: Set<String> = []
        return selectiveScans(in: root, relations: relations).compactMap { scan in
            guard let suggestion = suggestion(for: scan, queryID: plan.queryID),
                  seen.insert(suggestion.object).inserted else { return nil }
            return suggestion
        }
    }

    // MARK: Filter text

    /// Columns compared with a constant or parameter in a filter that is a plain AND of
    /// comparisons: equalities first, then one range. Nil for anything else (OR, expressions
    /// on the column, comparisons between columns), where a simple index would not help.
    static func indexableColumns(in filter: String) -> [String]? {
        var equalities: [String] = []
        var ranges: [String] = []
        for conjunct in topLevelConjuncts(filter) {
            // `(alias.)column OP value`; the column may be quoted ("" inside for a quote) and carry a cast,
            // which PostgreSQL prints in parentheses for a varchar compared as text: `(t.email)::text = $1`.
            let pattern = /(?<open>\()?(?:[A-Za-z_][\w$]*\.|"(?:[^"]|"")+"\.)?(?<column>[A-Za-z_][\w$]*|"(?:[^"]|"")+")(?<close>\))?(?:::[\w ]+)? (?<operator>=|<=|>=|<|>) (?<value>.+)/
            guard let comparison = conjunct.wholeMatch(of: pattern), (comparison.open == nil) == (comparison.close == nil) else { continue }
            let column = SQLIdentifier.unquoted(comparison.column)
            // The other side must be fixed for the execution (constants, parameters), not another column.
            guard !referencesColumn(comparison.value) else { continue }
            if comparison.operator == "=" {
                if !equalities.contains(column) { equalities.append(column) }
            } else if !ranges.contains(column) {
                ranges.append(column)
            }
        }
        let columns = equalities + ranges.filter { !equalities.contains($0) }.prefix(1)
        return columns.isEmpty ? nil : columns
    }

    /// VERBOSE plans qualify every column ("orders.customer_id"); outside string literals, such a
    /// name means the value depends on a row.
    static func referencesColumn(_ expression: Substring) -> Bool {
        var outsideLiterals = ""
        for (character, quote) in quoting(expression) where quote != "'" { outsideLiterals.append(character) }
        return outsideLiterals.contains(/(?:[A-Za-z_][\w$]*|"(?:[^"]|"")+")\.(?:[A-Za-z_"])/)
    }

    /// Each character of SQL text with the quote it is inside: `'` in a string literal, `"` in a
    /// quoted identifier (its own quote characters included), nil outside both. A doubled quote
    /// inside either reads as leaving and entering again, which keeps the state right.
    static func quoting(_ text: Substring) -> [(character: Character, quote: Character?)] {
        var quote: Character?
        return text.map { character in
            if quote == nil, character == "'" || character == "\"" {
                quote = character
                return (character, quote)
            }
            let inside = quote
            if character == quote { quote = nil }
            return (character, inside)
        }
    }

    /// The operands of the top-level ANDs of a filter, outer parentheses removed. A top-level
    /// OR yields nothing: no single index serves it. Parentheses, AND and OR inside string
    /// literals and quoted identifiers are text.
    static func topLevelConjuncts(_ filter: String) -> [Substring] {
        let expression = strippingOuterParentheses(Substring(filter))
        let characters = quoting(expression)
        var parts: [Substring] = []
        var depth = 0
        var start = expression.startIndex
        var index = expression.startIndex
        var position = 0
        while index < expression.endIndex {
            let (character, quote) = characters[position]
            if quote == nil {
                if character == "(" { depth += 1 }
                if character == ")" { depth -= 1 }
                if depth == 0, character == " " {
                    if expression[index...].hasPrefix(" OR ") { return [] }
                    if expression[index...].hasPrefix(" AND ") {
                        parts.append(expression[start..<index])
                        index = expression.index(index, offsetBy: 5)
                        position += 5
                        start = index
                        continue
                    }
                }
            }
            index = expression.index(after: index)
            position += 1
        }
        parts.append(expression[start...])
        return parts.map(strippingOuterParentheses)
    }

    /// "((a = 1))" → "a = 1", but "(a = 1) AND (b = 2)" stays as it is. In one pass: the k-th
    /// opening parenthesis encloses the whole when its match is the k-th closing one from the end.
    static func strippingOuterParentheses(_ text: Substring) -> Substring {
        let characters = quoting(text)
        var matches = [Int](repeating: -1, count: characters.count)
        var open: [Int] = []
        for (position, (character, quote)) in characters.enumerated() where quote == nil {
            if character == "(" {
                open.append(position)
            } else if character == ")", let opening = open.popLast() {
                matches[opening] = position
            }
        }
        var layers = 0
        while layers < characters.count / 2, characters[layers].character == "(", matches[layers] == characters.count - 1 - layers {
            layers += 1
        }
        return text.dropFirst(layers).dropLast(layers)
    }
}

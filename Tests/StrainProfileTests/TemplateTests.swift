import Testing
@testable import StrainProfile

struct TemplateTests {
    static let scope = ReferenceScope(
        allowed: .everything,
        feeders: ["users": ["id", "email"]],
        variables: ["token", "orderId"],
        laterVariables: ["receipt": "fetch-receipt"])

    @Test(arguments: [
        ("Bearer ${token}", [Template.Part.literal("Bearer "), .reference(.variable("token"))]),
        ("${env.API_KEY}", [.reference(.environment("API_KEY"))]),
        ("/users/${users.id}/orders", [.literal("/users/"), .reference(.feeder(name: "users", column: "id")), .literal("/orders")]),
        ("${ random(1, 100) }", [.reference(.generator(.random(min: 1, max: 100)))]),
        ("${random(-5, -5)}", [.reference(.generator(.random(min: -5, max: -5)))]),
        ("${sequence()}", [.reference(.generator(.sequence(start: 1)))]),
        ("${sequence(1000)}", [.reference(.generator(.sequence(start: 1000)))]),
        ("${uuid()}", [.reference(.generator(.uuid))]),
        (#"${pick(red, 'green, blue', "}")}"#, [.reference(.generator(.pick(["red", "green, blue", "}"])))]),
        ("$${not a reference}", [.literal("${not a reference}")]),
        ("${token}${orderId}", [.reference(.variable("token")), .reference(.variable("orderId"))]),
        ("", []),
    ])
    func parsesReferences(text: String, parts: [Template.Part]) throws {
        let template = try Template(parsing: text, in: Self.scope)
        #expect(template.parts == parts)
        #expect(template.description == text)
    }

    @Test func literalTextIsOnlyForTemplatesWithoutReferences() throws {
        #expect(try Template(parsing: "/health", in: Self.scope).literalText == "/health")
        #expect(try Template(parsing: "/orders/${orderId}", in: Self.scope).literalText == nil)
        #expect(try Template(parsing: "/orders/${orderId}", in: Self.scope).references == [.variable("orderId")])
    }

    @Test(arguments: [
        ("${orderId}", Reference?.some(.variable("orderId"))),
        ("/orders/${orderId}", nil),
        ("${orderId}${orderId}", nil),
        ("/health", nil),
        ("", nil),
    ])
    func soleReferenceIsATemplateOfOneReferenceAlone(text: String, reference: Reference?) throws {
        #expect(try Template(parsing: text, in: Self.scope).soleReference == reference)
    }

    @Test(arguments: [
        ("Bearer ${tokn}", #"unknown reference "${tokn}": not a variable extracted by an earlier step, a feeder column (feeder.column), env.NAME or a generator"#, "token"),
        ("${users.emial}", #"feeder "users" has no column "emial" (its CSV header has id, email)"#, "users.email"),
        ("${user.email}", #"unknown feeder "user" in "${user.email}"; declare it under feeders or use ${env.NAME}"#, "users.email"),
        ("${receipt}", #""${receipt}" is not extracted until step "fetch-receipt"; a step can only use variables extracted by earlier steps"#, nil),
        ("${random(10, 1)}", "random(10, 1) has its minimum above its maximum; write random(1, 10)", nil),
        ("${random(1)}", #"random takes two integers, like ${random(1, 100)}, found "${random(1)}""#, nil),
        ("${random(a, b)}", #"random takes two integers, like ${random(1, 100)}, found "${random(a, b)}""#, nil),
        ("${sequence(x)}", #"sequence takes an optional integer start, like ${sequence()} or ${sequence(1000)}, found "${sequence(x)}""#, nil),
        ("${uuid(4)}", #"uuid takes no arguments: ${uuid()}, found "${uuid(4)}""#, nil),
        ("${pick()}", #"pick needs at least one value, like ${pick(red, green, blue)}, found "${pick()}""#, nil),
        ("${pick(a,,b)}", #"empty argument in "${pick(a,,b)}""#, nil),
        ("${radnom(1, 2)}", #"unknown generator "radnom" in "${radnom(1, 2)}"; use random, sequence, uuid or pick"#, "random"),
        ("${random(1, 2}", #"expected a generator call like "random(1, 100)", found "${random(1, 2}""#, nil),
        ("/x/${token", #"unterminated "${" in "/x/${token"; close it with "}" (write "$${" for a literal "${")"#, nil),
        ("${ }", #"empty reference "${ }" in "${ }""#, nil),
        ("${${env.HOST}}", #"references do not nest: "${${env.HOST}" in "${${env.HOST}}" holds another "${"; write "$${" for a literal "${""#, nil),
        ("${env.}", #"expected an environment variable name like ${env.API_TOKEN}, found "${env.}""#, nil),
    ] as [(String, String, String?)])
    func rejectsBadReferences(text: String, message: String, suggestion: String?) {
        #expect(throws: ValueError(message, suggestion: suggestion)) { try Template(parsing: text, in: Self.scope) }
    }

    @Test(arguments: ["${random(1, 2)}", "${users.id}", "${token}"])
    func environmentOnlyPlacesAcceptOnlyEnvironmentVariables(text: String) throws {
        let scope = ReferenceScope(allowed: .environmentOnly, feeders: Self.scope.feeders, variables: Self.scope.variables)
        #expect(throws: ValueError("only ${env.NAME} references can be used here, found \"\(text)\"")) {
            try Template(parsing: text, in: scope)
        }
        #expect(try Template(parsing: "host=${env.PGHOST} dbname=app", in: scope).references == [.environment("PGHOST")])
    }

    @Test func defaultsCannotUseStepVariables() throws {
        let scope = ReferenceScope(allowed: .noVariables, feeders: Self.scope.feeders)
        #expect(try Template(parsing: "${users.id}-${uuid()}", in: scope).references.count == 2)
        #expect(throws: ValueError(#"defaults apply to every step, so they cannot use step variables like "${token}"; set it in the steps that follow the extraction"#)) {
            try Template(parsing: "Bearer ${token}", in: scope)
        }
    }

    @Test func rendersReferencesThroughTheResolver() throws {
        let template = try Template(parsing: "/users/${users.id}?t=${token}&$${x}", in: Self.scope)
        let rendered = template.render { reference in
            switch reference {
            case .feeder(_, let column): "<\(column)>"
            case .variable(let name): name.uppercased()
            default: "?"
            }
        }
        #expect(rendered == "/users/<id>?t=TOKEN&${x}")
    }

    @Test func rendersJSONBodiesWithSubstitutedStrings() throws {
        let body = JSONTemplate.object([
            .init(key: "user", value: .string(try Template(parsing: "${users.email}", in: Self.scope))),
            .init(key: "count", value: .number(3)),
            .init(key: "ratio", value: .number(0.25)),
            .init(key: "tags", value: .array([.bool(true), .null, .string(Template(literal: "a\"b\n"))])),
        ])
        let json = body.render { _ in "ada@example.test" }
        #expect(json == #"{"user":"ada@example.test","count":3,"ratio":0.25,"tags":[true,null,"a\"b\n"]}"#)
    }

    @Test func resolvesJSONIntoValuesForComparison() throws {
        let expected = JSONTemplate.object([
            .init(key: "id", value: .string(try Template(parsing: "${orderId}", in: Self.scope))),
            .init(key: "items", value: .array([.number(2), .bool(false), .null])),
        ])
        let value = expected.resolved { _ in "1001" }
        #expect(value == .object(["id": .string("1001"), "items": .array([.number(2), .bool(false), .null])]))
    }
}

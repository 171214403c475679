import Foundation
import StrainCurl
import StrainProfile

/// Where a plain `http://` step's requests go: its host and port, and the `Host` header for them.
struct PlainHTTPOrigin: Hashable {
    /// Without brackets for IPv6.
    let host: String
    let port: UInt16
    /// The authority as written in the URL ("127.0.0.1:8080").
    let hostHeader: String

    /// The origin at the start of `url` ("http://host:port" up to the first "/", "?" or "#"), which the
    /// profile guarantees is written out; nil for anything but plain http without user information.
    init?(url: Template) {
        guard case .literal(let start)? = url.parts.first, start.lowercased().hasPrefix("http://") else { return nil }
        let authority = start.dropFirst("http://".count).prefix { !"/?#".contains($0) }
        guard !authority.contains("@"), let components = URLComponents(string: "http://\(authority)"),
              let host = components.host, !host.isEmpty else { return nil }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        // The profile refuses other ports; this keeps a conversion from trapping if one slips through.
        guard let port = UInt16(exactly: components.port ?? 80) else { return nil }
        self.port = port
        hostHeader = String(authority)
        urlPrefixLength = "http://".utf8.count + authority.utf8.count
    }

    /// The length of "http://authority" in the URL's UTF-8.
    let urlPrefixLength: Int
}

/// The renderer behind `${…}` (an `Iteration` at run time; a fixed table in tests).
protocol TemplateRendering {
    func render(_ template: Template) throws(StepFailure) -> String
    func render(_ json: JSONTemplate) throws(StepFailure) -> String
}

extension Iteration: TemplateRendering {}

/// A plain-HTTP step's request as bytes for the wire, built once when the engine starts: a request
/// without `${…}` is a fixed byte array sent as is; otherwise only the parts that vary (request
/// target, header values, body) are rendered per request between prebuilt literal bytes. Pure logic.
/// A class, immutable, so that reaching it per request costs one retain rather than one per field.
final class HTTPRequestTemplate {
    let origin: PlainHTTPOrigin
    let isHead: Bool
    /// The URL when it has no `${…}`.
    private let literalURL: String?
    /// The whole request, when nothing in it varies.
    let fixedBytes: [UInt8]?
    /// Request line and headers, each line with its CRLF, without the blank line that ends them.
    private let pieces: [Piece]
    /// What follows the headers when the body is fixed: Content-Length, the blank line, the body.
    private let fixedTail: [UInt8]?
    /// A body with `${…}`, rendered per request after `pieces`.
    private let variableBody: VariableBody?
    private let fixedBodyLength: Int

    private enum Piece {
        case literal([UInt8])
        case requestTarget(Template)
        case headerValue(name: String, Template)
    }

    private enum VariableBody {
        case text(Template)
        case json(JSONTemplate)
    }

    /// Nil when the step is not plain `http://` (TLS and the rest are libcurl's). `fileBody` is a
    /// `{ file: … }` body, already read.
    init?(_ request: HTTPRequest, fileBody: [UInt8]?) {
        guard let origin = PlainHTTPOrigin(url: request.url) else { return nil }
        self.origin = origin
        literalURL = request.url.literalText
        isHead = request.method == "HEAD"
        var pieces: [Piece] = []
        func literal(_ bytes: some Sequence<UInt8>) {
            if case .literal(let previous)? = pieces.last {
                pieces[pieces.count - 1] = .literal(previous + bytes)
            } else {
                pieces.append(.literal(Array(bytes)))
            }
        }
        literal((request.method + " ").utf8)
        if let url = request.url.literalText {
            literal(Self.requestTarget(fromURL: url, prefixLength: origin.urlPrefixLength).utf8)
        } else {
            pieces.append(.requestTarget(request.url))
        }
        literal(" HTTP/1.1\r\n".utf8)
        // What curl sends by default, so that switching engines does not change what the server sees.
        let names = Set(request.headers.map { $0.name.lowercased() })
        if !names.contains("host") { literal("Host: \(origin.hostHeader)\r\n".utf8) }
        if !names.contains("accept") { literal("Accept: */*\r\n".utf8) }
        for header in request.headers {
            if let value = header.value.literalText {
                literal("\(header.name): \(value)\r\n".utf8)
            } else {
                literal("\(header.name): ".utf8)
                pieces.append(.headerValue(name: header.name, header.value))
                literal("\r\n".utf8)
            }
        }
        var fixedBody: [UInt8]?
        switch request.body {
        case .text(let template)?:
            fixedBody = template.literalText.map { Array($0.utf8) }
            variableBody = fixedBody == nil ? .text(template) : nil
        case .json(let json)?:
            fixedBody = json.references.isEmpty ? Array(json.render { _ in "" }.utf8) : nil
            variableBody = fixedBody == nil ? .json(json) : nil
        case .file?:
            fixedBody = fileBody ?? []
            variableBody = nil
        case nil:
            variableBody = nil
        }
        let tail: [UInt8]? = if let fixedBody {
            Array("Content-Length: \(fixedBody.count)\r\n\r\n".utf8) + fixedBody
        } else {
            variableBody == nil ? Array("\r\n".utf8) : nil
        }
        fixedTail = tail
        fixedBodyLength = fixedBody?.count ?? 0
        self.pieces = pieces
        fixedBytes = if let tail, pieces.count == 1, case .literal(let bytes) = pieces[0] { bytes + tail } else { nil }
    }

    /// The request's bytes, with every `${…}` rendered, and the length of its body. A header value with
    /// a control character but tab is refused: CR or LF would end the header and start another (or another request).
    /// `cookie`, given the request target ("/path?query"), answers the `Cookie` header to add, if any.
    func bytes(rendering renderer: some TemplateRendering,
               cookie: ((Substring) -> String?)? = nil) throws(StepFailure) -> (bytes: [UInt8], bodyLength: Int) {
        if cookie == nil, let fixedBytes { return (fixedBytes, fixedBodyLength) }
        var bytes: [UInt8] = []
        var renderedTarget: String?
        for piece in pieces {
            switch piece {
            case .literal(let literal):
                bytes += literal
            case .requestTarget(let url):
                let target = Self.requestTarget(fromURL: try renderer.render(url), prefixLength: origin.urlPrefixLength)
                guard !target.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
                    throw StepFailure(.invalidRequest, "the rendered URL has a space or a control character; the request was not sent")
                }
                bytes += target.utf8
                renderedTarget = target
            case .headerValue(let name, let template):
                let value = try renderer.render(template)
                guard HTTPHeader(name: name, value: value).isSafeToSend else { throw StepFailure.unsafeHeader(name) }
                bytes += value.utf8
            }
        }
        if let cookie, let value = cookie(Substring(renderedTarget ?? Self.requestTarget(fromURL: literalURL ?? "",
                                                                                            prefixLength: origin.urlPrefixLength))) {
            bytes += "Cookie: \(value)\r\n".utf8
        }
        let content: [UInt8]
        switch variableBody {
        case .text(let template)?: content = Array(try renderer.render(template).utf8)
        case .json(let json)?: content = Array(try renderer.render(json).utf8)
        case nil: return (bytes + (fixedTail ?? []), fixedBodyLength)
        }
        bytes += "Content-Length: \(content.count)\r\n\r\n".utf8
        bytes += content
        return (bytes, content.count)
    }

    /// What follows the origin in the URL, as the request line's target: "/" when empty, without the
    /// fragment (which never goes on the wire).
    static func requestTarget(fromURL url: String, prefixLength: Int) -> String {
        let rest = Substring(url.utf8.dropFirst(prefixLength))
        let target = rest.prefix { $0 != "#" }
        return target.hasPrefix("/") ? String(target) : "/" + target
    }
}

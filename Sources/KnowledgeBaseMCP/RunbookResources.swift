import Foundation
import KnowledgeBase
import MCP

/// The runbooks as MCP resources: `kb://runbook/{path}` (with `?source=NAME` where several sources hold a path).
struct RunbookResources {
    let tools: RunbookTools

    static let template = Resource.Template(
        uriTemplate: "kb://runbook/{path}", name: "runbook", title: "A runbook",
        description: "A runbook's full text with its headings, by its stored path (e.g. databases/postgres.md).",
        mimeType: "text/markdown")

    /// One page of runbooks; the cursor is the offset of the next page.
    func list(cursor: String?, pageSize: Int) throws -> ListResources.Result {
        let offset: Int
        if let cursor {
            guard let value = Int(cursor), value >= 0 else {
                throw MCPError.invalidParams("the cursor \"\(cursor)\" is not one this server gave; list from the start")
            }
            offset = value
        } else {
            offset = 0
        }
        let all = try tools.documents(pathPrefix: nil, source: nil, filters: [])
        let paths = Dictionary(grouping: all, by: \.path)
        let page = all.dropFirst(offset).prefix(pageSize)
        let resources = page.map { record in
            Resource(name: record.path,
                     uri: RunbookTools.resourceURI(path: record.path,
                                                   source: (paths[record.path]?.count ?? 0) > 1 ? record.source : nil),
                     title: record.title, description: "\(record.chunkCount) sections, source \(record.source)",
                     mimeType: "text/markdown", size: record.size)
        }
        let next = offset + page.count < all.count ? String(offset + page.count) : nil
        return ListResources.Result(resources: Array(resources), nextCursor: next)
    }

    /// The runbook a `kb://runbook/…` URI names, as Markdown with its headings.
    func read(_ uri: String) throws -> ReadResource.Result {
        let prefix = "kb://runbook/"
        guard uri.hasPrefix(prefix) else {
            throw MCPError.invalidParams("unknown resource \(uri); runbooks are kb://runbook/{path}")
        }
        var rest = String(uri.dropFirst(prefix.count))
        var source: String?
        if let question = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: question)...]
            rest = String(rest[..<question])
            for pair in query.split(separator: "&") where pair.hasPrefix("source=") {
                source = String(pair.dropFirst("source=".count)).removingPercentEncoding
            }
        }
        guard let path = rest.removingPercentEncoding, !path.isEmpty else {
            throw MCPError.invalidParams("the resource \(uri) names no runbook path; use kb://runbook/{path}")
        }
        let record: DocumentRecord
        do {
            record = try tools.document(path: path, id: nil, source: source)
        } catch let error as ToolError {
            // -32002 is MCP's "resource not found".
            throw MCPError.serverError(code: -32002, message: error.description)
        }
        let text = RunbookTools.runbookText(record, sections: try tools.sections(of: record), numbered: false)
        return ReadResource.Result(contents: [.text(text, uri: uri, mimeType: "text/markdown")])
    }
}

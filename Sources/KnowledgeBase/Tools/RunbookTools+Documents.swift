import Foundation

extension RunbookTools {
    /// The document at `path` (in `source`, or in the one source holding it) or with `id`.
    ///
    /// - Throws: `ToolError.notFound` naming what was looked for, or saying which sources share the path.
    public func document(path: String?, id: Int64?, source: String?) throws -> DocumentRecord {
        let store = queryEngine.catalog.store
        if let id {
            guard let record = try store.document(id: id) else {
                throw ToolError.notFound("no runbook has id \(id); list_runbooks shows the ids")
            }
            return record
        }
        let path = path ?? ""
        if let source {
            guard let record = try store.document(path: path, source: source) else {
                throw ToolError.notFound("no runbook \(path) in source \(source)")
            }
            return record
        }
        let records = try store.documents(path: path)
        guard let record = records.first else {
            throw ToolError.notFound("no runbook has the path \(path); search_runbooks (or list_runbooks) shows "
                + "the stored paths")
        }
        guard records.count == 1 else {
            throw ToolError.notFound("\(path) is in several sources (" + records.map(\.source).joined(separator: ", ")
                + "); give \"source\" too, or the id")
        }
        return record
    }

    /// The chunks of `record` as numbered passages (score 1), in document order.
    public func sections(of record: DocumentRecord) throws -> [QueryHit] {
        let metadata = FrontMatter.parseJSON(record.metadata)
        return try queryEngine.catalog.store.chunks(documentID: record.id).enumerated().map { offset, chunk in
            QueryHit(rank: offset + 1, chunkID: chunk.id, path: chunk.path, heading: chunk.heading, score: 1,
                     text: chunk.text, lines: [chunk.firstLine, chunk.lastLine], source: record.source,
                     metadata: metadata)
        }
    }

    /// A runbook's text with its title, metadata and each section under its heading path and line range.
    public static func runbookText(_ record: DocumentRecord, sections: [QueryHit], numbered: Bool) -> String {
        var text = "# \(record.title)\npath: \(record.path) · source: \(record.source) · id: \(record.id)"
        if record.metadata != "{}" { text += "\nmetadata: \(record.metadata)" }
        for section in sections {
            let lines = lineRange(section.lines)
            let label = numbered ? "[\(section.rank)] " : ""
            text += "\n\n## \(label)\(section.heading.isEmpty ? "(top)" : section.heading) (\(lines))\n\(section.text)"
        }
        return text
    }

    /// `get_runbook`: every section, numbered by `ledger` so they can be cited.
    func get(_ arguments: [String: ToolValue], ledger: SourceLedger) throws -> ToolResult {
        let path = arguments["path"]?.stringValue
        let id = arguments["id"]?.intValue.map(Int64.init)
        guard (path == nil) != (id == nil) else {
            throw ToolError.invalidArguments(tool: Self.get.name, problems: [
                path == nil ? "give \"path\" or \"id\"" : "give \"path\" or \"id\", not both",
            ])
        }
        let record = try document(path: path, id: id, source: arguments["source"]?.stringValue)
        let sections = ledger.number(try sections(of: record))
        let structured: ToolValue = [
            "id": .number(Double(record.id)), "path": .string(record.path), "source": .string(record.source),
            "title": .string(record.title), "metadata": ToolValue(json: record.metadata) ?? [:],
            "uri": .string(Self.resourceURI(path: record.path)), "updated_at": .string(record.updatedAt),
            "sections": .array(sections.map(Self.json)),
        ]
        return ToolResult(text: Self.runbookText(record, sections: sections, numbered: true), structured: structured,
                          sources: sections)
    }

    /// The documents under `pathPrefix`, in `source`, with metadata meeting `filters`, ordered by path.
    public func documents(pathPrefix: String?, source: String?, filters: [MetadataFilter]) throws -> [DocumentRecord] {
        let store = queryEngine.catalog.store
        var records = try store.documents(source: source)
        if let pathPrefix, !pathPrefix.isEmpty { records = records.filter { $0.path.hasPrefix(pathPrefix) } }
        if !filters.isEmpty {
            let matching = try store.documentIDs(matching: filters)
            records = records.filter { matching.contains($0.id) }
        }
        return records.sorted { ($0.path, $0.source) < ($1.path, $1.source) }
    }

    /// `list_runbooks`: one line per runbook, paged.
    func list(_ arguments: [String: ToolValue]) throws -> ToolResult {
        let all = try documents(pathPrefix: arguments["path_prefix"]?.stringValue,
                                source: arguments["source"]?.stringValue, filters: Self.filters(arguments["where"]))
        let limit = arguments["limit"]?.intValue ?? 100
        let offset = arguments["offset"]?.intValue ?? 0
        let page = all.dropFirst(offset).prefix(limit)
        var text = all.isEmpty ? "No runbook matches." : "\(all.count) runbook\(all.count == 1 ? "" : "s")"
            + (page.count < all.count ? ", \(page.count) shown from \(offset + 1)" : "") + ":"
        for record in page {
            text += "\n- \(record.path) — \(record.title) (id \(record.id), source \(record.source), "
                + "\(record.chunkCount) section\(record.chunkCount == 1 ? "" : "s"))"
            if record.metadata != "{}" { text += " \(record.metadata)" }
        }
        if offset + page.count < all.count { text += "\nMore: call again with offset \(offset + page.count)." }
        let structured: ToolValue = [
            "total": .number(Double(all.count)), "offset": .number(Double(offset)),
            "runbooks": .array(page.map { record in
                [
                    "id": .number(Double(record.id)), "path": .string(record.path), "title": .string(record.title),
                    "source": .string(record.source), "sections": .number(Double(record.chunkCount)),
                    "metadata": ToolValue(json: record.metadata) ?? [:], "updated_at": .string(record.updatedAt),
                    "uri": .string(Self.resourceURI(path: record.path)),
                ]
            }),
        ]
        return ToolResult(text: text, structured: structured)
    }
}

import ArgumentParser
import Foundation
import KnowledgeBase

struct DocsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docs",
        abstract: "List, show or remove stored documents.",
        subcommands: [List.self, Show.self, Remove.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List documents with their ids and chunk counts.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var ignoredIndex: IgnoredIndexOptions
        @Flag(help: "Print as JSON.") var json = false

        func run() async throws {
            let catalog = try global.openCatalog(logger: global.makeLogger(), create: false)
            let documents = try catalog.store.documents()
            if json { return try Output.printJSON(documents) }
            if documents.isEmpty { print("no documents; add some with `kb ingest PATH`") }
            for document in documents {
                print("\(String(document.id).leftPad(5))  \(String(document.chunkCount).leftPad(4)) chunks  "
                    + "\(DocumentPath.escaped(document.path))  — \(DocumentPath.escaped(document.title))")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a document's metadata and chunks.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var ignoredIndex: IgnoredIndexOptions
        @Argument(help: "Document id or stored path.") var document: String
        @Flag(help: "Print as JSON.") var json = false

        func run() async throws {
            let catalog = try global.openCatalog(logger: global.makeLogger(), create: false)
            let record = try DocsCommand.find(document, in: catalog.store)
            let chunks = try catalog.store.chunks(documentID: record.id)
            if json {
                struct Shown: Encodable { var document: DocumentRecord; var chunks: [ChunkRecord] }
                return try Output.printJSON(Shown(document: record, chunks: chunks))
            }
            print("id \(record.id)  \(DocumentPath.escaped(record.path))  (\(record.format.rawValue), \(record.size) bytes)")
            print("title: \(record.title)\nsha256: \(record.sha256)\nupdated: \(record.updatedAt)\n")
            for chunk in chunks {
                print("── chunk \(chunk.ordinal + 1) · \(chunk.heading.isEmpty ? "(top)" : chunk.heading) · lines "
                    + "\(chunk.firstLine)–\(chunk.lastLine) · ~\(chunk.tokens) tokens")
                print(chunk.text + "\n")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a document with its chunks and vectors.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var ignoredIndex: IgnoredIndexOptions
        @Argument(help: "Document id or stored path.") var document: String

        func run() async throws {
            let catalog = try global.openCatalog(logger: global.makeLogger(), create: false)
            let record = try DocsCommand.find(document, in: catalog.store)
            try catalog.remove(documentID: record.id)
            print("removed \(DocumentPath.escaped(record.path)) (id \(record.id), \(record.chunkCount) chunks)")
        }
    }

    static func find(_ reference: String, in store: any KnowledgeStore) throws -> DocumentRecord {
        if let id = Int64(reference), let record = try store.document(id: id) { return record }
        let records = try store.documents(path: reference)
        if records.count > 1 {
            throw StoreError.invalidInput("\(reference) is in several sources: "
                + records.map { "\($0.source) (id \($0.id))" }.joined(separator: ", ") + "; give the id instead")
        }
        if let record = records.first { return record }
        throw StoreError.documentNotFound(reference)
    }
}

extension String {
    func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

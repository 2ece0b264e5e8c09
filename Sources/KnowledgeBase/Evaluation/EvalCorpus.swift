import Foundation
import Logging

/// Ingests a folder of runbooks for an evaluation, the way `kb ingest DIR` does.
public enum EvalCorpus {
    /// Ingests every runbook under `directory` into `catalog` with chunks of `chunkTokens`.
    ///
    /// - Throws: `IngestError` when the folder has no runbooks, `EvalError.invalidSetting` when the ingest
    ///   stopped early or a document failed (an evaluation of a partial corpus would mislead).
    public static func ingest(_ directory: String, into catalog: Catalog, embedder: any EmbeddingClient,
                              chunkTokens: Int, logger: Logger) async throws -> IngestSummary {
        let (files, _) = try SourceDiscovery.discover([directory])
        guard !files.isEmpty else { throw IngestError.noSupportedFiles([directory]) }
        let options = ChunkerOptions(maxTokens: min(chunkTokens, embedder.contextTokens - 16),
                                     contextTokens: embedder.contextTokens)
        let ingester = Ingester(catalog: catalog, embedder: embedder, chunker: Chunker(options: options), logger: logger)
        let summary = try await ingester.ingest(files)
        if let reason = summary.abortedBecause {
            throw EvalError.invalidSetting("ingesting \(directory) stopped early: \(reason)")
        }
        if summary.failed > 0 {
            throw EvalError.invalidSetting("ingesting \(directory): \(summary.failed) documents failed: "
                + summary.problems.prefix(3).joined(separator: "; "))
        }
        return summary
    }
}

/// Errors from querying (and from writing with the wrong embedder).
public enum QueryError: Error, Sendable, CustomStringConvertible {
    case emptyKnowledgeBase(path: String)
    case embedderMismatch(index: EmbeddingFingerprint, requested: EmbeddingFingerprint)
    case invalidQuestion(String)
    /// The index was switched to another embedding fingerprint (a reindex) while the question was embedded.
    case indexChanged

    public var description: String {
        switch self {
        case .emptyKnowledgeBase(let path):
            return "the knowledge base \(path) holds no documents yet; add some with `kb ingest PATH`."
        case .embedderMismatch(let index, let requested):
            return "this knowledge base was built with the \(index) but the \(requested) was asked for; "
                + "their vectors cannot be compared. Use `--embedder \(index.embedder)"
                + (index.embedder == "ollama" ? " --model \(index.model)" : "")
                + "`, or rebuild the index with `kb reindex --embedder \(requested.embedder)"
                + (requested.embedder == "ollama" ? " --model \(requested.model)" : "") + "`."
        case .invalidQuestion(let message):
            return message
        case .indexChanged:
            return "the knowledge base was reindexed with another embedder while this question was asked; ask again."
        }
    }
}

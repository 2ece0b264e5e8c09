/// One stored source document (a runbook file, or a document added over HTTP).
public struct DocumentRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var path: String
    public var title: String
    public var format: DocumentFormat
    public var sha256: String
    public var size: Int
    /// Chunker version and settings the stored chunks were made with; a change forces re-chunking.
    public var chunker: String
    public var metadata: String
    public var createdAt: String
    public var updatedAt: String
    public var chunkCount: Int
    /// The source the document belongs to: a synced folder or git tree, `ingest` (`kb ingest`) or `api` (HTTP).
    public var source: String
}

/// One stored chunk with its position in the source.
public struct ChunkRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var documentID: Int64
    public var path: String
    public var ordinal: Int
    public var heading: String
    public var text: String
    public var firstLine: Int
    public var lastLine: Int
    public var tokens: Int
    /// SHA-256 of the text that was embedded (title and heading path in front of the chunk text).
    public var sha256: String
}

/// A document ready to be written: its chunks and one vector per chunk.
public struct DocumentWrite: Sendable {
    /// The source the document belongs to; a path is unique within its source.
    public var source: String
    public var path: String
    public var title: String
    public var format: DocumentFormat
    public var sha256: String
    public var size: Int
    public var chunker: String
    public var metadata: String
    public var chunks: [Chunk]
    public var vectors: [[Float]]
    /// When set (copying a knowledge base), the stored times instead of now.
    public var createdAt: String?
    public var updatedAt: String?

    public init(source: String = DocumentSource.ingest, path: String, title: String, format: DocumentFormat,
                sha256: String, size: Int, chunker: String, metadata: String = "{}", chunks: [Chunk],
                vectors: [[Float]]) {
        self.source = source
        self.path = path
        self.title = title
        self.format = format
        self.sha256 = sha256
        self.size = size
        self.chunker = chunker
        self.metadata = metadata
        self.chunks = chunks
        self.vectors = vectors
    }
}

/// Counts shown by `kb stats`.
public struct StoreStats: Sendable, Codable {
    public var documents: Int
    public var chunks: Int
    public var vectors: Int
    public var cachedEmbeddings: Int
    public var fileBytes: Int
    public var fingerprint: EmbeddingFingerprint?
    public var schemaVersion: Int
}

/// Names of the sources kb itself writes to.
public enum DocumentSource {
    /// Files given to `kb ingest` (and documents stored before sources existed).
    public static let ingest = "ingest"
    /// Documents added over HTTP.
    public static let api = "api"
}

import Foundation
import Logging

/// Reads runbook files, chunks them, embeds what changed, and commits each document in its own transaction.
///
/// Unchanged files (same content hash and chunker settings) cost no embedding call; chunks whose embedded text
/// is in the cache reuse their vectors. Batches are filled across documents and kept in flight while files are
/// read, so the embedder stays busy. Stopping at any point keeps every document already committed.
public struct Ingester: Sendable {
    public let catalog: Catalog
    public let chunker: Chunker
    let embedder: CountingEmbeddingClient
    let logger: Logger

    public init(catalog: Catalog, embedder: any EmbeddingClient, chunker: Chunker, logger: Logger) {
        self.catalog = catalog
        self.embedder = CountingEmbeddingClient(embedder)
        self.chunker = chunker
        self.logger = logger
    }

    /// A document read and chunked, waiting for its vectors.
    struct Pending {
        var file: SourceFile
        var existing: DocumentRecord?
        var write: DocumentWrite
        var vectors: [[Float]?]
        var missing: Int
        var failures: [String] = []
    }

    /// Ingests `files` into `source`; with `prune`, removes that source's stored documents not among them (other
    /// sources are never touched), except those at or under a `protected` path.
    public func ingest(_ files: [SourceFile], source: String = DocumentSource.ingest, prune: Bool = false,
                       protecting protected: [String] = [],
                       progress: @Sendable (IngestProgress) -> Void = { _ in }) async throws -> IngestSummary {
        let started = ContinuousClock.now
        var summary = IngestSummary()
        let fingerprint = try await resolveFingerprint()
        let batch = BatchEmbedder(client: embedder)
        let batchSize = max(1, embedder.preferredBatchSize)
        let inFlightLimit = max(1, embedder.maxConcurrentRequests)
        var pending: [Int: Pending] = [:]
        var queue: [(document: Int, chunk: Int)] = []
        var nextFile = 0
        var done = 0

        func report(_ path: String) {
            progress(IngestProgress(filesDone: done, filesTotal: files.count, chunksEmbedded: summary.embeddedChunks,
                                    currentPath: path))
        }

        func finish(_ index: Int) throws {
            guard let document = pending.removeValue(forKey: index) else { return }
            done += 1
            defer { report(document.file.storedPath) }
            if !document.failures.isEmpty {
                summary.failed += 1
                summary.problems.append(contentsOf: document.failures)
                return
            }
            var write = document.write
            write.vectors = document.vectors.map { $0! }
            let written = try catalog.commit(write, fingerprint: fingerprint)
            summary.chunks += write.chunks.count
            if written.status == .created { summary.added += 1 } else { summary.updated += 1 }
            logger.debug("document committed", metadata: [
                "document.path": "\(write.path)", "document.chunks": "\(write.chunks.count)",
                "document.status": "\(written.status.rawValue)",
            ])
        }

        // Reads the next file; documents needing no embedding are finished at once.
        func prepareNext() throws {
            let file = files[nextFile]
            let index = nextFile
            nextFile += 1
            switch try prepare(file, source: source, fingerprint: fingerprint) {
            case .skipped(let reason):
                summary.skipped += 1
                summary.problems.append(reason)
                logger.warning("skipped file", metadata: ["file.path": "\(DocumentPath.escaped(file.url.path))",
                                                         "reason": "\(reason)"])
                done += 1
                report(file.storedPath)
            case .unchanged:
                summary.unchanged += 1
                done += 1
                report(file.storedPath)
            case .ready(let document):
                summary.cachedChunks += document.vectors.count - document.missing
                pending[index] = document
                if document.missing == 0 {
                    try finish(index)
                } else {
                    for (chunk, vector) in document.vectors.enumerated() where vector == nil {
                        queue.append((index, chunk))
                    }
                }
            }
        }

        do {
            try await withThrowingTaskGroup(of: ([(document: Int, chunk: Int)], [Result<[Float], EmbeddingError>]).self) {
                group in
                var inFlight = 0
                while true {
                    try Task.checkCancellation()
                    // Read ahead until a full batch waits, then keep the embedder's request slots filled.
                    while nextFile < files.count && queue.count < batchSize * inFlightLimit {
                        try prepareNext()
                    }
                    while inFlight < inFlightLimit && !queue.isEmpty
                        && (queue.count >= batchSize || nextFile == files.count)
                    {
                        let refs = Array(queue.prefix(batchSize))
                        queue.removeFirst(refs.count)
                        let items = refs.map { ref -> (label: String, text: String) in
                            let document = pending[ref.document]!
                            let chunk = document.write.chunks[ref.chunk]
                            let label = "\(document.file.storedPath) › \(chunk.heading.isEmpty ? "(top)" : chunk.heading) "
                                + "(chunk \(chunk.ordinal + 1), lines \(chunk.firstLine)–\(chunk.lastLine))"
                            return (label, EmbeddingText.make(path: document.write.path, heading: chunk.heading,
                                                              text: chunk.text))
                        }
                        group.addTask { (refs, try await batch.embedIsolating(items)) }
                        inFlight += 1
                    }
                    guard inFlight > 0 else { break }
                    guard let (refs, results) = try await group.next() else { break }
                    inFlight -= 1
                    var touched = Set<Int>()
                    for (ref, result) in zip(refs, results) {
                        touched.insert(ref.document)
                        pending[ref.document]!.missing -= 1
                        switch result {
                        case .success(let vector):
                            if vector.count != fingerprint.dimension {
                                throw EmbeddingError.dimensionMismatch(expected: fingerprint.dimension, got: vector.count)
                            }
                            pending[ref.document]!.vectors[ref.chunk] = vector
                            summary.embeddedChunks += 1
                        case .failure(let error):
                            pending[ref.document]!.failures.append("\(error)")
                        }
                    }
                    for index in touched.sorted() where pending[index]?.missing == 0 { try finish(index) }
                }
            }
            if prune {
                summary.removed = try pruneMissing(source: source, keeping: Set(files.map(\.storedPath)),
                                                   protected: protected)
            }
        } catch let error as EmbeddingError where error.isFatal {
            summary.abortedBecause = "\(error)"
        } catch is CancellationError {
            summary.abortedBecause = "interrupted"
        }
        summary.embeddingRequests = embedder.requestCount
        summary.seconds = started.duration(to: .now).millisecondsDouble / 1000
        logger.info("ingest finished", metadata: [
            "ingest.added": "\(summary.added)", "ingest.updated": "\(summary.updated)",
            "ingest.unchanged": "\(summary.unchanged)", "ingest.failed": "\(summary.failed)",
            "ingest.chunks": "\(summary.chunks)", "ingest.requests": "\(summary.embeddingRequests)",
            "duration_ms": "\(Int(summary.seconds * 1000))",
        ])
        return summary
    }

    enum Preparation {
        case skipped(String)
        case unchanged
        case ready(Pending)
    }

    func prepare(_ file: SourceFile, source: String, fingerprint: EmbeddingFingerprint) throws -> Preparation {
        if let problem = DocumentPath.problem(file.storedPath) { return .skipped(problem) }
        let data: Data
        do {
            data = try file.content ?? Data(contentsOf: file.url)
        } catch {
            return .skipped("\(file.url.path): cannot be read (\(error.localizedDescription))")
        }
        if data.contains(0) {
            return .skipped("\(file.url.path): looks binary (contains NUL bytes), not a text runbook")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            return .skipped("\(file.url.path): is not valid UTF-8; convert it (e.g. `iconv -f latin1 -t utf-8`)")
        }
        return try prepare(source: source, path: file.storedPath, text: text, sha: SHA256.hex(data), size: data.count,
                           format: file.format, file: file, fingerprint: fingerprint)
    }

    // Shared by files and documents added over HTTP: unchanged check, chunking, cache look-up.
    func prepare(source: String, path: String, text: String, sha: String, size: Int, format: DocumentFormat,
                 title: String? = nil, metadata: String = "{}", file: SourceFile, fingerprint: EmbeddingFingerprint)
        throws -> Preparation
    {
        // Refused before anything is read or embedded: `kb docs`, citations and logs print the path.
        if let problem = DocumentPath.problem(path) { return .skipped(problem) }
        // Refused before anything is embedded: the store would refuse it anyway, and a NUL cut text short in tools.
        if text.utf8.contains(0) {
            return .skipped("\(path): the content contains a NUL character (U+0000), which a runbook never needs; "
                + "remove it and send the document again")
        }
        // YAML front matter becomes the document's metadata (keys given with the request win); the body keeps
        // its line numbers, so citations still point at the file's lines.
        var body = text
        var fields: [String: MetadataValue] = [:]
        if format == .markdown {
            do {
                let front = try FrontMatter.split(text)
                body = front.body
                fields = front.metadata
            } catch let error as FrontMatterError {
                return .skipped("\(path): \(error)")
            }
        }
        fields.merge(FrontMatter.parseJSON(metadata)) { _, given in given }
        let metadata = FrontMatter.json(fields)
        let existing = try catalog.store.document(path: path, source: source)
        if let existing, existing.sha256 == sha, existing.chunker == chunker.options.signature, existing.format == format,
           title == nil || existing.title == title, existing.metadata == metadata {
            return .unchanged
        }
        let chunked = chunker.chunk(body, path: path, format: format)
        let documentTitle = title ?? fields["title"]?.scalarText ?? chunked.title
        let write = DocumentWrite(source: source, path: path, title: documentTitle, format: format, sha256: sha,
                                  size: size, chunker: chunker.options.signature, metadata: metadata,
                                  chunks: chunked.chunks, vectors: [])
        let hashes = chunked.chunks.map { SHA256.hex(EmbeddingText.make(path: path, heading: $0.heading, text: $0.text)) }
        let cached = try catalog.store.cachedVectors(hashes: hashes, fingerprintKey: fingerprint.key)
        let vectors = hashes.map { cached[$0] }
        return .ready(Pending(file: file, existing: existing, write: write, vectors: vectors,
                              missing: vectors.filter { $0 == nil }.count))
    }

    /// The outcome of adding one document.
    public struct Added: Sendable {
        public var id: Int64
        public var status: WriteStatus
        public var chunks: Int
    }

    /// Adds or replaces one document from its content (the HTTP addDocument path): same chunking, cache and
    /// atomic replace as files. Nothing is stored unless every chunk got its vector.
    ///
    /// - Throws: `EmbeddingError` (fatal when the embedder is down; `.input` naming a chunk it rejected).
    public func add(path: String, content: String, format: DocumentFormat, title: String? = nil,
                    metadata: String = "{}", source: String = DocumentSource.api) async throws -> Added {
        let fingerprint = try await resolveFingerprint()
        let data = Data(content.utf8)
        let file = SourceFile(url: URL(fileURLWithPath: "/"), storedPath: path, format: format)
        switch try prepare(source: source, path: path, text: content, sha: SHA256.hex(data), size: data.count,
                           format: format, title: title, metadata: metadata, file: file, fingerprint: fingerprint) {
        case .skipped(let reason):
            throw StoreError.invalidInput(reason)
        case .unchanged:
            let record = try catalog.store.document(path: path, source: source)
            return Added(id: record?.id ?? 0, status: .unchanged, chunks: record?.chunkCount ?? 0)
        case .ready(var document):
            let missing = document.vectors.indices.filter { document.vectors[$0] == nil }
            let items = missing.map { index -> (label: String, text: String) in
                let chunk = document.write.chunks[index]
                return ("\(path) › \(chunk.heading.isEmpty ? "(top)" : chunk.heading) (lines \(chunk.firstLine)–\(chunk.lastLine))",
                        EmbeddingText.make(path: path, heading: chunk.heading, text: chunk.text))
            }
            let results = try await BatchEmbedder(client: embedder).embed(items)
            for (index, result) in zip(missing, results) {
                let vector = try result.get()
                guard vector.count == fingerprint.dimension else {
                    throw EmbeddingError.dimensionMismatch(expected: fingerprint.dimension, got: vector.count)
                }
                document.vectors[index] = vector
            }
            var write = document.write
            write.vectors = document.vectors.map { $0! }
            let written = try catalog.commit(write, fingerprint: fingerprint)
            return Added(id: written.id, status: written.status, chunks: write.chunks.count)
        }
    }

    /// The fingerprint to write under: the knowledge base's, after checking the embedder matches it, or for an
    /// empty one, the embedder's (one probe embedding finds the dimension and fails fast if it is unreachable).
    func resolveFingerprint() async throws -> EmbeddingFingerprint {
        if let active = try catalog.store.fingerprint() {
            guard active.isCompatible(with: embedder.fingerprint(dimension: 0)) else {
                throw QueryError.embedderMismatch(index: active, requested: embedder.fingerprint(dimension: 0))
            }
            return active
        }
        guard let probe = try await embedder.base.embed(["kb"]).first, !probe.isEmpty else {
            throw EmbeddingError.invalidResponse("the embedder returned no vector for a probe text")
        }
        return embedder.fingerprint(dimension: probe.count)
    }

    // `protected` paths (files, or folders that could not be read) keep what is stored at or under them.
    private func pruneMissing(source: String, keeping paths: Set<String>, protected: [String]) throws -> Int {
        var removed = 0
        for document in try catalog.store.documents(source: source) where !paths.contains(document.path) {
            if protected.contains(where: { document.path == $0 || document.path.hasPrefix($0 + "/") }) { continue }
            if try catalog.remove(documentID: document.id) { removed += 1 }
        }
        return removed
    }
}

import Testing
@testable import KnowledgeBase

struct EmbeddingFingerprintTests {
    @Test func keysOfExistingIndexesAreUnchanged() {
        #expect(EmbeddingFingerprint(embedder: "hash", model: "hash-v1", dimension: 512).key == "hash:hash-v1:512:l2")
        #expect(EmbeddingFingerprint(embedder: "ollama", model: "all-minilm", dimension: 384).key
            == "ollama:all-minilm:384:l2")
        #expect(EmbeddingFingerprint(embedder: "ollama", model: "nomic-embed-text", dimension: 768).key
            == "ollama:nomic-embed-text:768:l2")
    }

    @Test func theBuiltinModelAndOllamasAllMiniLMShareOneVectorSpace() {
        let builtin = EmbeddingFingerprint(embedder: BuiltinEmbedder.kindName, model: BuiltinEmbedder.modelName,
                                           dimension: 384)
        let ollama = EmbeddingFingerprint(embedder: "ollama", model: "all-minilm", dimension: 384)
        #expect(builtin.key == ollama.key)
        #expect(builtin.isCompatible(with: ollama) && ollama.isCompatible(with: builtin))
        #expect(builtin.isCompatible(with: EmbeddingFingerprint(embedder: "ollama", model: "all-minilm", dimension: 0)))
        #expect(!builtin.isCompatible(with: EmbeddingFingerprint(embedder: "hash", model: "hash-v1", dimension: 512)))
        #expect(!builtin.isCompatible(with: EmbeddingFingerprint(embedder: "ollama", model: "all-minilm:l12-v2",
                                                                  dimension: 384)))
        #expect(!builtin.isCompatible(with: EmbeddingFingerprint(embedder: "ollama", model: "all-minilm",
                                                                  dimension: 768)))
    }
}

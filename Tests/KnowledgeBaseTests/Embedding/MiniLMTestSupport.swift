import Foundation
@testable import KnowledgeBase

/// The built-in model for tests: from `KB_MODEL_DIR` or the per-user cache (`Scripts/test` fetches it there).
/// Tests that need it are skipped, not failed, when it is absent.
enum MiniLMFixtures {
    static let locator = ModelLocator.resolve(explicit: nil, environment: ProcessInfo.processInfo.environment)
    static let modelAvailable = locator.looksComplete

    /// One embedder shared by every test (loading takes a moment in debug builds).
    static let embedder: BuiltinEmbedder? = try? BuiltinEmbedder(locator: locator, threads: 2, logger: quietLogger)

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// `../shared/tools/ollama-minilm/ollama_reference.json`, next to the project.
    static let ollamaReference = packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/tools/ollama-minilm/ollama_reference.json")

    struct TokenCase: Decodable {
        var text: String
        var ids: [Int32]
    }

    struct VectorCase: Decodable {
        var text: String
        var tokens: Int
        var vector: String

        /// The base64 little-endian float32 vector.
        var floats: [Float] {
            let data = Data(base64Encoded: vector) ?? Data()
            return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
    }

    private struct File<Case: Decodable>: Decodable { var cases: [Case] }

    static func tokenCases() throws -> [TokenCase] {
        try JSONDecoder().decode(File<TokenCase>.self,
                                 from: Data(contentsOf: directory.appendingPathComponent("minilm-tokens.json"))).cases
    }

    static func vectorCases() throws -> [VectorCase] {
        try JSONDecoder().decode(File<VectorCase>.self,
                                 from: Data(contentsOf: directory.appendingPathComponent("minilm-vectors.json"))).cases
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            na += Double(x) * Double(x)
            nb += Double(y) * Double(y)
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }
}

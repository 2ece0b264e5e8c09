import Foundation
import KnowledgeBase

/// How a question is answered from the runbooks: the fields `/v1/ask` takes at the top level and
/// `/v1/chat/completions` takes in its `kb` extension object.
struct RetrievalSettings: Decodable, Sendable {
    var k: Int?
    var template: String?
    var mode: SearchMode?
    var fusion: FusionMethod?
    var refusal: RefusalPolicy?
    var `where`: [String: JSONValue]?

    static let fields: Set<String> = ["k", "template", "mode", "fusion", "refusal", "where"]
}

/// The steps `/v1/ask` and `/v1/chat/completions` share: settings checked, sources retrieved (or the question
/// refused), the prompt built with the chosen template, and the query's timings recorded.
struct GroundedAnswering: Sendable {
    let dependencies: ServerDependencies

    /// The retrieval options `settings` ask for, checked.
    func options(_ settings: RetrievalSettings, field: String = "") throws -> QueryOptions {
        var options = QueryOptions(k: try Validate.k(settings.k, field: field + "k"), mode: settings.mode ?? .hybrid,
                                   fusion: settings.fusion ?? .rrf, refusal: settings.refusal ?? .rule)
        options.filters = try Validate.filters(settings.where, field: field + "where")
        return options
    }

    /// Checks `settings` and prepares the answer; throws before anything is streamed.
    /// - Parameter field: prefix of the field names that error messages mention (`"kb."` on chat completions).
    func prepare(_ question: String, history: [ChatMessage], settings: RetrievalSettings, field: String = "")
        async throws -> PreparedAnswer
    {
        let options = try options(settings, field: field)
        let template: PromptTemplate
        do {
            template = try dependencies.templates.template(named: settings.template ?? "answer")
        } catch {
            throw APIError.badRequest("field \"\(field)template\": \(error)")
        }
        let prepared = try await dependencies.answerEngine.prepare(question, options: options, history: history,
                                                                   template: template)
        dependencies.metrics.recordQuery(embedSeconds: prepared.query.timings.embed / 1000,
                                         searchSeconds: prepared.query.timings.search / 1000)
        return prepared
    }
}

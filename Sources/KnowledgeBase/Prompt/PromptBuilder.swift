/// One numbered source given to the model.
public struct PromptSource: Sendable {
    public var number: Int
    public var path: String
    public var heading: String
    public var text: String

    public init(number: Int, path: String, heading: String, text: String) {
        self.number = number
        self.path = path
        self.heading = heading
        self.text = text
    }

    /// `path › heading`, or the path alone.
    public var label: String { heading.isEmpty ? path : "\(path) › \(heading)" }
}

/// Assembles the prompt: instructions, numbered context blocks within a token budget, and the question.
public struct PromptBuilder: Sendable {
    /// Tokens of context (source blocks) the prompt may hold; blocks that do not fit are left out.
    public var contextTokens: Int
    /// Renders the user message; the system message is always `instructions`.
    public var template: PromptTemplate

    public static let instructions = """
        You are kb, an assistant for on-call engineers. Answer the question using only the numbered runbook \
        excerpts below. Cite every excerpt you use by its number in square brackets, like [1] or [2][3]. \
        If the excerpts do not contain the answer, say plainly "The runbooks do not cover this." and stop; \
        do not guess and do not use outside knowledge. Quote commands exactly as the excerpts give them.
        """

    public static let noContext = "(No runbook excerpt matched this question.)"

    public init(contextTokens: Int = 3000, template: PromptTemplate = .answer) {
        self.contextTokens = contextTokens
        self.template = template
    }

    /// The prompt as one text (instructions, context, question), and how many of `sources` (in order) fit in it.
    public func build(question: String, sources: [PromptSource]) -> (prompt: String, included: Int) {
        let parts = messages(question: question, sources: sources)
        return ("\(parts.system)\n\n\(parts.user)", parts.included)
    }

    /// The same prompt split for a chat model: instructions as the system message, context and question as the
    /// user message.
    public func messages(question: String, sources: [PromptSource]) -> (system: String, user: String, included: Int) {
        var included: [PromptSource] = []
        var used = 0
        for source in sources {
            let tokens = Self.blockTokens(number: source.number, path: source.path, heading: source.heading,
                                          text: source.text)
            // The best source always goes in, even alone over budget: a prompt without it would be useless.
            if !included.isEmpty && used + tokens > contextTokens { break }
            included.append(source)
            used += tokens
        }
        return (Self.instructions, template.render(question: question, sources: included), included.count)
    }

    /// Estimated tokens of one numbered context block, as the budget counts them.
    public static func blockTokens(number: Int, path: String, heading: String, text: String) -> Int {
        // The count of "[number] path › heading\ntext", piece by piece: the pieces meet where a word ends anyway
        // (a space or newline), and " › " is one token, so nothing is concatenated for it.
        TokenEstimator.count("[\(number)]") + TokenEstimator.count(path)
            + (heading.isEmpty ? 0 : 1 + TokenEstimator.count(heading)) + TokenEstimator.count(text)
    }
}

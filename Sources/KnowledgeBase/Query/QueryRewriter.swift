/// Turns a follow-up question in a chat into a standalone query for retrieval.
///
/// "what about the replicas?" after "how do I fail over postgres?" retrieves nothing useful alone. When a
/// follow-up leans on what came before (it is short, or opens with or contains a reference word such as "it",
/// "that", "those", "and", "what about"), the content words of the previous user question are added to it.
/// Deterministic on purpose: it needs no model call, so a stub or slow chat model cannot derail retrieval.
public enum QueryRewriter {
    static let referenceWords: Set<String> = [
        "it", "its", "that", "this", "those", "these", "they", "them", "their", "ones",
        "same", "above", "previous", "again", "also", "else", "other",
    ]
    static let leadingFollowUps = ["and ", "what about", "how about", "and then", "then ", "also ", "but ", "what if"]
    static let stopWords = HashEmbedder.stopWords.union(referenceWords).union(["about", "please", "now", "next", "then"])

    /// The query to retrieve with for `question`, given earlier user questions (oldest first).
    public static func standalone(_ question: String, previousQuestions: [String]) -> String {
        guard let previous = previousQuestions.last, needsContext(question) else { return question }
        let own = Set(words(question))
        let carried = words(previous).filter { !stopWords.contains($0) && !own.contains($0) }
        guard !carried.isEmpty else { return question }
        var seen = Set<String>()
        let unique = carried.filter { seen.insert($0).inserted }
        return "\(question) (\(unique.joined(separator: " ")))"
    }

    static func needsContext(_ question: String) -> Bool {
        let lower = question.lowercased()
        let tokens = words(question)
        if tokens.count <= 4 { return true }
        if leadingFollowUps.contains(where: { lower.hasPrefix($0) }) { return true }
        return tokens.contains { referenceWords.contains($0) }
    }

    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }.map(String.init)
    }
}

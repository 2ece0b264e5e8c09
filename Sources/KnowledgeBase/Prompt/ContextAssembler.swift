import Foundation

/// Why a passage is in the prompt's context.
public enum ContextInclusion: String, Sendable, Codable, CaseIterable {
    /// The search found it (one of the k results).
    case retrieved
    /// A section of a runbook that ranked, of the kind the question asks for (Mitigation for a how-to question).
    case section
    /// The rest of a small runbook that ranked, included whole because it fits.
    case runbook
}

/// What kind of section answers a question: how to act on something, or what it means.
public enum QuestionIntent: String, Sendable, Codable {
    /// How do I…, what should I do…, fix, restart, raise, clean up: Mitigation, Resolution, Steps, Diagnosis.
    case remediation
    /// What does … mean, why, what is the impact: Meaning, Impact, Overview, Cause.
    case explanation

    /// The intent of `question`, from its wording (no model): remediation when it asks what to do or how.
    public init(question: String) {
        let cleaned = String(question.lowercased().map { $0.isLetter || $0.isNumber ? $0 : " " })
        let text = " " + cleaned.split(separator: " ").joined(separator: " ") + " "
        self = Self.remediationCues.contains { text.contains($0) } ? .remediation : .explanation
    }

    // Phrases and verbs of asking what to do, checked against the kinds of Tests/Eval/heldout.jsonl and
    // refusal.jsonl (65 of their 70 answerable questions sorted as labelled), never fitted on ../shared/eval.
    static let remediationCues: [String] = [
        " how do ", " how can ", " how should ", " how to ", " how would ", " how much ", " how i ",
        " what do i ", " what do we ", " what should ", " what can i ", " what can we ", " what to ", " what now ",
        " what next ", " what s the fix ", " where do i ", " where should ", " which command ", " what command ",
        " fix ", " resolve ", " mitigate ", " remediate ", " troubleshoot ", " debug ", " recover ", " repair ",
        " restart ", " raise ", " increase ", " lower ", " reduce ", " cut ", " grow ", " expand ", " clean ",
        " free up ", " get rid ", " unblock ", " unstick ", " stop ", " check ", " find out ", " investigate ",
        " steps ", " do about ", " mitigations ", " options ",
        // A pasted alert or log line asks what to do about it.
        " firing 1 ", " level error ", " level warn ", " severity ", " err ",
    ]

    /// Words of section headings that answer questions of this intent.
    var headingWords: Set<String> {
        switch self {
        case .remediation:
            ["mitigation", "mitigate", "mitigations", "resolution", "resolve", "fix", "fixes", "steps", "diagnosis",
             "diagnose", "diagnostics", "remediation", "remediate", "troubleshooting", "troubleshoot", "recovery",
             "recover", "workaround", "solution", "solutions", "procedure", "runbook"]
        case .explanation:
            ["meaning", "impact", "overview", "description", "summary", "symptoms", "cause", "causes", "background",
             "explanation", "details"]
        }
    }

    /// True when a chunk with heading path `heading` ("Title › Mitigation › Option 1") answers this intent: a
    /// heading below the title holds one of `headingWords`.
    func answers(heading: String) -> Bool {
        let parts = heading.components(separatedBy: " › ").dropFirst()
        let words = headingWords
        return parts.contains { part in
            part.lowercased().split(whereSeparator: { !$0.isLetter }).contains { words.contains(String($0)) }
        }
    }
}

/// Fills the prompt's context budget by runbook, not by chunk.
///
/// The k retrieved passages come first, best first, numbered as before. Then, in what is left of the budget, each
/// runbook among them, in rank order, adds the rest of itself when it is small and the rest fits (`runbook`), else
/// its sections that answer the question's intent (`section`: Mitigation, Resolution, Steps, Diagnosis for how-to
/// questions), in document order, each while it fits. Retrieval ranks chunks by similarity to the question, so a
/// runbook's Meaning or Impact section often outranks its Mitigation steps; this puts the steps in front of the
/// model too. Pure: the caller fetches the runbooks' chunks.
public struct ContextAssembler: Sendable {
    /// Tokens of context the prompt holds (`PromptBuilder.contextTokens`).
    public var budget: Int
    /// A runbook whose chunks add up to at most this many tokens is included whole when it fits.
    public var smallRunbookTokens: Int

    public init(budget: Int, smallRunbookTokens: Int = 1200) {
        self.budget = budget
        self.smallRunbookTokens = smallRunbookTokens
    }

    /// One block of context: a chunk, and why it is there.
    public struct Block: Sendable, Equatable {
        public var chunk: ChunkRecord
        public var inclusion: ContextInclusion
    }

    /// The blocks for `retrieved` (best first; all of them are kept) given each ranked runbook's chunks in document order (`chunks`,
    /// by document id; a runbook missing from it adds nothing).
    public func assemble(question: String, retrieved: [ChunkRecord], chunks: [Int64: [ChunkRecord]]) -> [Block] {
        var blocks: [Block] = []
        var included = Set<Int64>()
        var used = 0
        func cost(_ chunk: ChunkRecord, number: Int) -> Int {
            PromptBuilder.blockTokens(number: number, path: chunk.path, heading: chunk.heading, text: chunk.text)
        }
        // Every retrieved passage stays a result; PromptBuilder leaves out those past the budget, as before.
        for chunk in retrieved where included.insert(chunk.id).inserted {
            blocks.append(Block(chunk: chunk, inclusion: .retrieved))
            used += cost(chunk, number: blocks.count)
        }
        let intent = QuestionIntent(question: question)
        var seen = Set<Int64>()
        for document in retrieved.map(\.documentID) where seen.insert(document).inserted {
            let rest = (chunks[document] ?? []).filter { !included.contains($0.id) }
            guard !rest.isEmpty else { continue }
            let whole = (chunks[document] ?? []).reduce(0) { $0 + $1.tokens }
            let restTokens = rest.enumerated().reduce(0) { $0 + cost($1.element, number: blocks.count + $1.offset + 1) }
            let wanted: [(ChunkRecord, ContextInclusion)]
            if whole <= smallRunbookTokens && used + restTokens <= budget {
                wanted = rest.map {
                    ($0, intent.answers(heading: $0.heading) ? ContextInclusion.section : ContextInclusion.runbook)
                }
            } else {
                wanted = rest.filter { intent.answers(heading: $0.heading) }.map { ($0, ContextInclusion.section) }
            }
            for (chunk, inclusion) in wanted {
                let tokens = cost(chunk, number: blocks.count + 1)
                guard used + tokens <= budget else { continue }
                blocks.append(Block(chunk: chunk, inclusion: inclusion))
                included.insert(chunk.id)
                used += tokens
            }
        }
        return blocks
    }
}

import Synchronization

/// Numbers the passages shown over a conversation: a passage keeps the number it was first shown with, so the
/// answer's `[n]` citations can be checked against every passage the model saw.
public final class SourceLedger: Sendable {
    private let state = Mutex<(numbers: [Int64: Int], sources: [QueryHit])>(([:], []))

    public init() {}

    /// Gives each hit its number (the one it already has, or the next free one) and returns them renumbered.
    public func number(_ hits: [QueryHit]) -> [QueryHit] {
        state.withLock { state in
            hits.map { hit in
                var numbered = hit
                if let number = state.numbers[hit.chunkID] {
                    numbered.rank = number
                } else {
                    numbered.rank = state.sources.count + 1
                    state.numbers[hit.chunkID] = numbered.rank
                    state.sources.append(numbered)
                }
                return numbered
            }
        }
    }

    /// Every passage numbered so far, in number order.
    public var sources: [QueryHit] { state.withLock { $0.sources } }
}

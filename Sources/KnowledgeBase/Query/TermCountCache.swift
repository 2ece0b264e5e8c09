import Synchronization

/// How many chunks hold each question word, kept in memory for the index version they were counted at.
///
/// Every query counts its words in the full-text index (the refusal rule's term coverage, and the keyword search's
/// posting budget); questions share most of their words, so the counts are kept, keyed by word and count limit,
/// and dropped as a whole when the catalog applies a change from the change feed (its sequence moves on), so a
/// count is never older than the index it is used with.
final class TermCountCache: Sendable {
    private struct Key: Hashable {
        var phrase: String
        var limit: Int
    }

    private struct State {
        var sequence: Int64 = .min
        /// Moves on with every write this process makes, which changes the index before the sequence moves.
        var generation = 0
        var counts: [Key: Int] = [:]
    }

    /// Words longer than this are counted each time, never kept (a pasted log's one-off tokens).
    static let longestKept = 64

    /// Counts kept at most; when full, the cache starts over.
    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    /// Drops every count: this process wrote to the store and its index, ahead of the change feed.
    func invalidate() {
        state.withLock { state in
            state.generation += 1
            state.counts.removeAll(keepingCapacity: true)
        }
    }

    /// Counts held now.
    var count: Int { state.withLock { $0.counts.count } }

    /// The chunk counts of `phrases` (each up to `limit`) at index version `sequence`; those not held are counted
    /// by `fetch` and kept.
    func counts(_ phrases: [String], limit: Int, sequence: Int64,
                fetch: ([String], Int) throws -> [Int]) throws -> [Int] {
        var counts = [Int?](repeating: nil, count: phrases.count)
        let generation = state.withLock { state -> Int in
            if state.sequence != sequence {
                state.sequence = sequence
                state.counts.removeAll(keepingCapacity: true)
            }
            for (index, phrase) in phrases.enumerated() {
                counts[index] = state.counts[Key(phrase: phrase, limit: limit)]
            }
            return state.generation
        }
        let missing = phrases.indices.filter { counts[$0] == nil }
        guard !missing.isEmpty else { return counts.map { $0! } }
        let fetched = try fetch(missing.map { phrases[$0] }, limit)
        state.withLock { state in
            // Counted before a write of this process or a newer sequence: not kept, it may be older than the index.
            guard state.sequence == sequence, state.generation == generation else { return }
            if state.counts.count + missing.count > capacity { state.counts.removeAll(keepingCapacity: true) }
            for (index, count) in zip(missing, fetched) where phrases[index].utf8.count <= Self.longestKept {
                state.counts[Key(phrase: phrases[index], limit: limit)] = count
            }
        }
        for (index, count) in zip(missing, fetched) { counts[index] = count }
        return counts.map { $0! }
    }
}

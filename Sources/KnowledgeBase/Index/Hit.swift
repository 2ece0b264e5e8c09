/// One search result from the vector index: a chunk and its cosine similarity to the query.
public struct Hit: Sendable, Equatable {
    public var chunkID: Int64
    public var documentID: Int64
    public var score: Float

    public init(chunkID: Int64, documentID: Int64, score: Float) {
        self.chunkID = chunkID
        self.documentID = documentID
        self.score = score
    }

    /// Result order: higher score first; equal scores by lower chunk id, so results are deterministic.
    @inlinable
    public func ranksBefore(_ other: Hit) -> Bool {
        score != other.score ? score > other.score : chunkID < other.chunkID
    }
}

/// Keeps the best `k` hits seen so far in a min-heap whose root is the worst kept hit.
struct TopK {
    let k: Int
    private(set) var heap: [Hit] = []

    init(k: Int) {
        self.k = k
        heap.reserveCapacity(k)
    }

    /// Scores below this can never enter: the worst kept score once the heap is full, else -infinity.
    @inline(__always)
    var floor: Float { heap.count < k ? -.infinity : heap[0].score }

    /// The worst hit kept once the heap is full; anything not ranking before it is skipped.
    @inline(__always)
    func admits(_ hit: Hit) -> Bool {
        heap.count < k || hit.ranksBefore(heap[0])
    }

    @inline(__always)
    mutating func insert(_ hit: Hit) {
        guard k > 0 else { return }
        if heap.count < k {
            heap.append(hit)
            siftUp(heap.count - 1)
        } else if hit.ranksBefore(heap[0]) {
            heap[0] = hit
            siftDown(0)
        }
    }

    /// The kept hits, best first.
    func sorted() -> [Hit] { heap.sorted { $0.ranksBefore($1) } }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            // The root holds the worst hit: a parent must rank after its children.
            guard heap[parent].ranksBefore(heap[child]) else { return }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var worst = parent
            if left < heap.count && heap[worst].ranksBefore(heap[left]) { worst = left }
            if right < heap.count && heap[worst].ranksBefore(heap[right]) { worst = right }
            if worst == parent { return }
            heap.swapAt(parent, worst)
            parent = worst
        }
    }
}

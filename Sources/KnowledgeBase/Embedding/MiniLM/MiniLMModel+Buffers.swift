extension MiniLMModel {
    /// Sequences packed back to back into one token matrix.
    struct PackedBatch {
        let ids: [Int32]
        /// Position of each packed token within its sequence.
        let positions: [Int]
        let starts: [Int]
        let lengths: [Int]
        /// Sequence indices, longest first, so the longest attention tasks start first.
        let longestFirst: [Int]
        let rowBlocks: [Range<Int>]
        var count: Int { lengths.count }
        var tokens: Int { ids.count }

        init(_ sequences: [[Int32]], workers: Int) {
            var ids: [Int32] = []
            var positions: [Int] = []
            var starts: [Int] = []
            for sequence in sequences {
                starts.append(ids.count)
                ids.append(contentsOf: sequence)
                positions.append(contentsOf: 0..<sequence.count)
            }
            self.ids = ids
            self.positions = positions
            self.starts = starts
            self.lengths = sequences.map(\.count)
            self.longestFirst = sequences.indices.sorted { sequences[$0].count > sequences[$1].count }
            // Equal blocks, a multiple of the worker count, none over `maxRowBlock`: every sgemm call packs its
            // whole weight matrix, so blocks are as large as the workers allow.
            let tokens = ids.count
            let perRound = workers * MiniLMModel.maxRowBlock
            let blocks = max(1, workers * ((tokens + perRound - 1) / perRound))
            let size = (tokens + blocks - 1) / blocks
            self.rowBlocks = stride(from: 0, to: tokens, by: max(1, size)).map { $0..<min($0 + size, tokens) }
        }
    }

    /// Memory for forward passes, kept between them: it grows to the largest pass and is reused, so passes do
    /// not pay for fresh pages (or fragment the heap) each time.
    final class Arena {
        private(set) var base: UnsafeMutablePointer<Float>
        private(set) var capacity: Int

        init() {
            capacity = 0
            base = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
                .bindMemory(to: Float.self, capacity: 16)
        }

        /// At least `floats` floats, 64-byte aligned; earlier contents are not kept.
        func reserve(_ floats: Int) -> UnsafeMutablePointer<Float> {
            if floats > capacity {
                UnsafeMutableRawPointer(base).deallocate()
                base = UnsafeMutableRawPointer.allocate(byteCount: floats * 4, alignment: 64)
                    .bindMemory(to: Float.self, capacity: floats)
                capacity = floats
            }
            return base
        }

        deinit {
            UnsafeMutableRawPointer(base).deallocate()
        }
    }

    /// The activations of one forward pass and each worker's attention scores, carved out of an `Arena`.
    struct Workspace {
        /// `tokens × 384`: the layers' input and output.
        let hidden: UnsafeMutablePointer<Float>
        /// `tokens × 1152`: query, key and value side by side.
        let qkv: UnsafeMutablePointer<Float>
        /// `tokens × 1536`: the feed-forward activations, in the same memory as `qkv` (spent by then).
        var activations: UnsafeMutablePointer<Float> { qkv }
        /// `tokens × 384`: attention's output, before and after its projection.
        let context: UnsafeMutablePointer<Float>
        let attended: UnsafeMutablePointer<Float>
        private let scratch: UnsafeMutablePointer<Float>
        private let scoresSize: Int

        init(batch: PackedBatch, workers: Int, arena: Arena) {
            let h = MiniLMShape.hidden
            let longest = batch.lengths.max() ?? 1
            scoresSize = Self.paddedLength(longest * Self.paddedLength(longest))
            let tokens = Self.paddedLength(batch.tokens)
            let base = arena.reserve(tokens * (3 * h + MiniLMShape.intermediate) + scoresSize * workers)
            hidden = base
            qkv = hidden + tokens * h
            context = qkv + tokens * MiniLMShape.intermediate
            attended = context + tokens * h
            scratch = attended + tokens * h
        }

        /// `count` rounded up to a multiple of 16 floats (64 bytes): score rows and buffers start on cache lines.
        static func paddedLength(_ count: Int) -> Int { (count + 15) / 16 * 16 }

        /// Attention scores, up to `longest × paddedLength(longest)`.
        func scores(_ worker: Int) -> UnsafeMutablePointer<Float> { scratch + worker * scoresSize }
    }
}

import Testing
@testable import KnowledgeBase

struct HalfKernelsTests {
    static let kernels: [HalfKernels.Choice] = [.best, .portable]

    #if !(os(macOS) && arch(x86_64))  // Swift's Float16 is missing on Intel Macs only.
    /// Ties, subnormals, overflow and random values, rounded by the kernels and by Swift's `Float16(_:)`.
    @Test(arguments: kernels)
    func narrowingRoundsToNearestEvenLikeSwiftFloat16(kernel: HalfKernels.Choice) {
        var values: [Float] = [0, -0, 1, -1, 65504, 65519.99, 65520, 1e6, -1e6, .infinity, -.infinity,
                               Float(Float16.leastNonzeroMagnitude) / 2, Float(Float16.leastNonzeroMagnitude) * 0.51,
                               Float(Float16.leastNormalMagnitude) * 0.999, 1e-9, 0.70710677]
        // Halfway between neighbouring halves: ties go to the even one.
        for bits in stride(from: UInt16(0), to: 0x7bff, by: 97) {
            let low = Float(Float16(bitPattern: bits)), high = Float(Float16(bitPattern: bits + 1))
            values += [(low + high) / 2, -(low + high) / 2, low.nextUp, high.nextDown]
        }
        var generator = VectorIndexTests.SplitMix64(state: 3)
        values += (0..<5000).map { _ in Float.random(in: -2...2, using: &generator) }
        values += (0..<2000).map { _ in Float.random(in: -1e-4...1e-4, using: &generator) }
        var halves = [UInt16](repeating: 0, count: values.count)
        HalfKernels.narrow(values, into: &halves, count: values.count, kernel: kernel)
        for (value, half) in zip(values, halves) {
            #expect(half == Float16(value).bitPattern, "\(value)")
        }
    }
    #endif

    @Test(arguments: kernels)
    func wideningIsExactForEveryFiniteHalf(kernel: HalfKernels.Choice) {
        let patterns = (0...UInt16.max).filter { $0 & 0x7c00 != 0x7c00 }
        var floats = [Float](repeating: .nan, count: patterns.count)
        HalfKernels.widen(patterns, into: &floats, count: patterns.count, kernel: kernel)
        var back = [UInt16](repeating: 0, count: patterns.count)
        HalfKernels.narrow(floats, into: &back, count: floats.count, kernel: kernel)
        #expect(back == patterns, "half → float → half is the identity")
        // Spot values: the smallest subnormal, the largest normal, one.
        #expect(floats[1] == 0x1p-24 && floats[0x3c00] == 1 && floats[0x7bff] == 65504)
    }

    func randomHalves(_ count: Int, seed: UInt64) -> [UInt16] {
        var generator = VectorIndexTests.SplitMix64(state: seed)
        let floats = (0..<count).map { _ in Float.random(in: -0.3...0.3, using: &generator) }
        var halves = [UInt16](repeating: 0, count: count)
        HalfKernels.narrow(floats, into: &halves, count: count)
        return halves
    }

    @Test(arguments: [1, 7, 8, 31, 32, 33, 100, 384, 768])
    func dotProductsEqualADoublePrecisionLoop(dimension: Int) {
        let rows = 37
        let matrix = randomHalves(rows * dimension, seed: UInt64(dimension))
        var generator = VectorIndexTests.SplitMix64(state: 5)
        let query = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
        var widened = [Float](repeating: 0, count: matrix.count)
        HalfKernels.widen(matrix, into: &widened, count: matrix.count)
        for kernel in Self.kernels {
            var out = [Float](repeating: .nan, count: rows)
            HalfKernels.dotProducts(matrix, rows: rows, dimension: dimension, query: query, into: &out, kernel: kernel)
            for row in 0..<rows {
                let terms = (0..<dimension).map { Double(widened[row * dimension + $0]) * Double(query[$0]) }
                let exact = terms.reduce(0, +)
                // Float32 summation error bound: a few ulps of the sum of magnitudes.
                let bound = 1e-6 * terms.reduce(0) { $0 + abs($1) } + 1e-9
                #expect(abs(Double(out[row]) - exact) <= bound, "row \(row), \(kernel)")
            }
        }
    }

    @Test(.enabled(if: HalfKernels.simdAvailable, "this CPU has no AVX2 + FMA + F16C"),
          arguments: [1, 5, 8, 24, 32, 40, 100, 384, 768, 1536])
    func portableLoopGivesTheSIMDKernelsBits(dimension: Int) {
        let rows = 301
        let matrix = randomHalves(rows * dimension, seed: UInt64(dimension) &* 31)
        var generator = VectorIndexTests.SplitMix64(state: 9)
        let query = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
        var simd = [Float](repeating: 0, count: rows)
        var portable = [Float](repeating: 1, count: rows)
        HalfKernels.dotProducts(matrix, rows: rows, dimension: dimension, query: query, into: &simd, kernel: .best)
        HalfKernels.dotProducts(matrix, rows: rows, dimension: dimension, query: query, into: &portable,
                                kernel: .portable)
        let differing = (0..<rows).filter { simd[$0].bitPattern != portable[$0].bitPattern }
        #expect(differing.isEmpty, "\(differing.count) rows differ, first \(differing.first.map { (simd[$0], portable[$0]) }.map { "\($0)" } ?? "")")

        let floats = (0..<(rows * dimension + 5)).map { _ in Float.random(in: -3...3, using: &generator) }
        var a = [UInt16](repeating: 0, count: floats.count), b = a
        HalfKernels.narrow(floats, into: &a, count: floats.count, kernel: .best)
        HalfKernels.narrow(floats, into: &b, count: floats.count, kernel: .portable)
        #expect(zip(a, b).filter { $0 != $1 }.isEmpty, "narrowing differs between kernels")
    }
}

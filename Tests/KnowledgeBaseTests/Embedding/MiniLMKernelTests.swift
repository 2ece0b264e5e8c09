import Foundation
import Testing
@testable import KnowledgeBase

struct MiniLMKernelTests {
    @Test func geluIsWithinFourTenMillionthsOfTheExactErfForm() {
        var values = (0..<20_001).map { Float($0) / 1000 - 10 }
        let inputs = values
        values.withUnsafeMutableBufferPointer { MiniLMKernels.gelu($0.baseAddress!, count: $0.count) }
        for (x, y) in zip(inputs, values) {
            let exact = 0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot()))
            #expect(abs(Double(y) - exact) < 4e-7, "gelu(\(x))")
        }
    }

    @Test func expIsWithinTwoTenMillionthsRelative() {
        for step in 0..<17_000 {
            let x = Float(step) / 100 - 85
            let exact = Foundation.exp(Double(x))
            #expect(abs(Double(MiniLMKernels.exp(x)) - exact) / exact < 2e-7, "exp(\(x))")
        }
    }

    @Test(arguments: [1, 7, 16, 33, 116])
    func softmaxMatchesADoublePrecisionLoop(columns: Int) {
        let rows = 3
        let stride = columns + 5
        var scores = (0..<rows * stride).map { Float(($0 * 7919) % 113) / 9 - 6 }
        let original = scores
        scores.withUnsafeMutableBufferPointer {
            MiniLMKernels.softmaxRows($0.baseAddress!, rows: rows, columns: columns, stride: stride)
        }
        for row in 0..<rows {
            let input = original[row * stride..<row * stride + columns].map(Double.init)
            let maximum = input.max()!
            let total = input.reduce(0) { $0 + Foundation.exp($1 - maximum) }
            for column in 0..<columns {
                let expected = Foundation.exp(input[column] - maximum) / total
                #expect(abs(Double(scores[row * stride + column]) - expected) < 1e-6)
            }
            let padding = row * stride + columns..<(row + 1) * stride
            #expect(scores[padding] == original[padding], "the room past each row is left alone")
        }
    }

    @Test func layerNormMatchesADoublePrecisionLoop() {
        let width = 384
        let input = (0..<2 * width).map { Float(($0 * 31) % 97) / 7 - 5 }
        let gamma = (0..<width).map { Float($0 % 5) / 4 + 0.5 }
        let beta = (0..<width).map { Float($0 % 3) / 10 }
        var output = [Float](repeating: 0, count: input.count)
        output.withUnsafeMutableBufferPointer { out in
            MiniLMKernels.layerNorm(input, out.baseAddress!, rows: 2, width: width, gamma: gamma, beta: beta,
                                    epsilon: 1e-12)
        }
        for row in 0..<2 {
            let x = input[row * width..<(row + 1) * width].map(Double.init)
            let mean = x.reduce(0, +) / Double(width)
            let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)
            for column in 0..<width {
                let normalised = (x[column] - mean) / (variance + 1e-12).squareRoot()
                let expected = normalised * Double(gamma[column]) + Double(beta[column])
                #expect(abs(Double(output[row * width + column]) - expected) < 1e-5)
            }
        }
    }

    @Test func workersRunEveryTaskOnce() {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 100)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0)
        ParallelWorkers(count: 4).run(tasks: 100) { task, worker in
            #expect((0..<4).contains(worker))
            counts[task] += 1
        }
        #expect(counts.allSatisfy { $0 == 1 })
    }
}

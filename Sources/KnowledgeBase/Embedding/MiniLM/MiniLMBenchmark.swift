import COpenBLAS
import Foundation

/// Measurements behind `kb model bench`: the machine's sgemm peak and the model's floating-point work.
public enum MiniLMBenchmark {
    /// Floating-point operations of one forward pass over a sequence of `length` tokens: the six layers'
    /// projections, attention products and feed-forward products, counting a multiply-add as two (element-wise
    /// steps and embeddings are left out, as is usual).
    public static func flops(length: Int) -> Double {
        let l = Double(length)
        let h = Double(MiniLMShape.hidden)
        let inner = Double(MiniLMShape.intermediate)
        let perLayer = 2 * l * h * (3 * h) + 2 * 2 * l * l * h + 2 * l * h * h + 2 * 2 * l * h * inner
        return Double(MiniLMShape.layers) * perLayer
    }

    /// GFLOP/s of `threads` workers each running single-threaded `cblas_sgemm` at the same time, best of
    /// `repeats`: the peak this OpenBLAS reaches on the cores the model uses.
    ///
    /// Each worker multiplies `[rows × 384]` by `[384 × 1536]`, the shape of the model's largest product, over a
    /// block of `rows` rows, so the figure is for the kind of product the forward pass spends its time in.
    public static func sgemmPeak(threads: Int, rows: Int = 1024, repeats: Int = 5) -> Double {
        let (m, n, k) = (rows, MiniLMShape.intermediate, MiniLMShape.hidden)
        let workers = ParallelWorkers(count: threads)
        let buffers = (0..<workers.count).map { _ in
            (a: [Float](repeating: 0.01, count: m * k), b: [Float](repeating: 0.02, count: n * k),
             c: UnsafeMutablePointer<Float>.allocate(capacity: m * n))
        }
        defer { for buffer in buffers { buffer.c.deallocate() } }
        openblas_set_num_threads(1)
        var best = 0.0
        for _ in 0..<repeats {
            let started = ContinuousClock.now
            workers.run(tasks: workers.count) { task, _ in
                let buffer = buffers[task]
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, buffer.a,
                            Int32(k), buffer.b, Int32(k), 0, buffer.c, Int32(n))
            }
            let seconds = started.duration(to: .now).fractionalSeconds
            best = max(best, 2 * Double(m) * Double(n) * Double(k) * Double(workers.count) / seconds / 1e9)
        }
        return best
    }

    /// Peak resident memory of this process so far, in bytes.
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) * 1024  // Linux reports KiB
    }
}

extension Duration {
    /// Seconds with fractions.
    var fractionalSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

import CKernels

/// The C kernels for half-precision rows (`Sources/CKernels`): AVX2 + FMA + F16C when the CPU has them, else a
/// portable loop that sums in the same order, so both give bit-identical scores.
enum HalfKernels {
    /// Which implementation runs; tests force `.portable` to check it against the SIMD kernel.
    enum Choice: Sendable {
        case best, portable

        var c: kb_kernel { self == .best ? KB_KERNEL_BEST : KB_KERNEL_PORTABLE }
    }

    /// Whether `.best` runs the SIMD kernels on this machine.
    static var simdAvailable: Bool { kb_kernel_simd_available() != 0 }

    /// Rounds `count` floats to halves (to nearest, ties to even).
    static func narrow(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<UInt16>, count: Int,
                       kernel: Choice = .best) {
        kb_f32_to_f16(source, destination, count, kernel.c)
    }

    /// Widens `count` halves to floats (exact).
    static func widen(_ source: UnsafePointer<UInt16>, into destination: UnsafeMutablePointer<Float>, count: Int,
                      kernel: Choice = .best) {
        kb_f16_to_f32(source, destination, count, kernel.c)
    }

    /// `out[r] = rows[r] · query` for `rows` consecutive half rows of `dimension` components.
    static func dotProducts(_ matrix: UnsafePointer<UInt16>, rows: Int, dimension: Int, query: UnsafePointer<Float>,
                            into out: UnsafeMutablePointer<Float>, kernel: Choice) {
        kb_dot_f16(matrix, rows, dimension, query, out, kernel.c)
    }
}

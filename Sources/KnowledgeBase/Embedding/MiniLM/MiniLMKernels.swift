/// The element-wise steps of the forward pass on raw Float32 rows: layer norm, exact GELU, row softmax. The
/// matrix products are `cblas_sgemm`'s.
///
/// Written as plain loops over pointers, which the optimiser vectorises (reductions keep eight partial sums so
/// it can) and which stay fast enough in debug builds for the tests; SIMD types were 30 % faster optimised but
/// hundreds of times slower unoptimised.
enum MiniLMKernels {
    /// e^x to about 1 ulp (Cephes `expf`: x = n·ln 2 + r, a degree-6 polynomial for e^r). Inputs are clamped to
    /// [-87.3, 88.3]: below, the result is about 1e-38 instead of smaller; above, about 2^127.
    @inline(__always)
    static func exp(_ input: Float) -> Float {
        var x = input > 88.3 ? 88.3 : input
        x = x < -87.3 ? -87.3 : x
        // Adding 1.5·2^23 rounds x/ln2 to the nearest integer and leaves it in the low mantissa bits.
        let magic: Float = 12_582_912
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * r * r + r + 1
        let exponent = shifted.bitPattern &- magic.bitPattern
        return p * Float(bitPattern: (exponent &+ 127) &<< 23)
    }

    /// GELU with erf, as BERT's `hidden_act = "gelu"`: x·Φ(x) = x/2·(1 + erf(x/√2)).
    ///
    /// erf by Abramowitz & Stegun 7.1.26 (absolute error at most 1.5e-7, about one float32 ulp of 1), the
    /// formula of the numpy reference server; the result is within 4e-7 of the exact GELU.
    @inline(__always)
    static func gelu(_ x: Float) -> Float {
        let z = (x < 0 ? -x : x) * 0.707_106_781_186_547_6
        let t = 1 / (z * 0.327_591_1 + 1)
        var p: Float = 1.061_405_429
        p = p * t - 1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t - 0.284_496_736
        p = p * t + 0.254_829_592
        // p·t·e^(-z²) = 1 - erf(|x|/√2), so x ≥ 0 gives x - x/2·(that) and x < 0 gives x/2·(that).
        let half = x * (p * t * exp(-(z * z))) * 0.5
        return x < 0 ? half : x - half
    }

    /// Applies GELU in place to `count` values.
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count { values[index] = gelu(values[index]) }
    }

    /// Normalises each of `rows` rows of `width` values to zero mean and unit variance, then scales by `gamma`
    /// and shifts by `beta`, writing to `output` (which may be `input`).
    static func layerNorm(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                          gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float) {
        for row in 0..<rows {
            let x = input + row * width
            let y = output + row * width
            let mean = sum(x, count: width) / Float(width)
            var squares = Partial()
            var index = 0
            while index + 8 <= width {
                squares.add(x + index) { ($0 - mean) * ($0 - mean) }
                index += 8
            }
            var variance = squares.total
            while index < width {
                variance += (x[index] - mean) * (x[index] - mean)
                index += 1
            }
            let scale = 1 / (variance / Float(width) + epsilon).squareRoot()
            for index in 0..<width { y[index] = (x[index] - mean) * scale * gamma[index] + beta[index] }
        }
    }

    /// Replaces each of `rows` rows of `columns` scores (stride `stride`) by its softmax.
    static func softmaxRows(_ scores: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int) {
        for row in 0..<rows {
            let s = scores + row * stride
            let maximum = maximum(s, count: columns)
            for index in 0..<columns { s[index] = exp(s[index] - maximum) }
            let inverse = 1 / sum(s, count: columns)
            for index in 0..<columns { s[index] *= inverse }
        }
    }

    /// `destination[i] = a[i] + b[i]` for `count` values.
    static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>,
                    count: Int) {
        for index in 0..<count { destination[index] = a[index] + b[index] }
    }

    /// The sum of `count` values.
    static func sum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var partial = Partial()
        var index = 0
        while index + 8 <= count {
            partial.add(values + index) { $0 }
            index += 8
        }
        var total = partial.total
        while index < count {
            total += values[index]
            index += 1
        }
        return total
    }

    /// The largest of `count` values (at least 1).
    static func maximum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var m = (values[0], values[0], values[0], values[0], values[0], values[0], values[0], values[0])
        var index = 0
        while index + 8 <= count {
            let v = values + index
            m = (v[0] > m.0 ? v[0] : m.0, v[1] > m.1 ? v[1] : m.1, v[2] > m.2 ? v[2] : m.2, v[3] > m.3 ? v[3] : m.3,
                 v[4] > m.4 ? v[4] : m.4, v[5] > m.5 ? v[5] : m.5, v[6] > m.6 ? v[6] : m.6, v[7] > m.7 ? v[7] : m.7)
            index += 8
        }
        var result = Swift.max(Swift.max(Swift.max(m.0, m.1), Swift.max(m.2, m.3)),
                               Swift.max(Swift.max(m.4, m.5), Swift.max(m.6, m.7)))
        while index < count {
            result = values[index] > result ? values[index] : result
            index += 1
        }
        return result
    }

    /// Eight running sums, so a reduction vectorises without reordering a single sum.
    private struct Partial {
        var lanes: (Float, Float, Float, Float, Float, Float, Float, Float) = (0, 0, 0, 0, 0, 0, 0, 0)

        @inline(__always)
        mutating func add(_ v: UnsafePointer<Float>, _ f: (Float) -> Float) {
            lanes = (lanes.0 + f(v[0]), lanes.1 + f(v[1]), lanes.2 + f(v[2]), lanes.3 + f(v[3]),
                     lanes.4 + f(v[4]), lanes.5 + f(v[5]), lanes.6 + f(v[6]), lanes.7 + f(v[7]))
        }

        var total: Float { ((lanes.0 + lanes.4) + (lanes.1 + lanes.5)) + ((lanes.2 + lanes.6) + (lanes.3 + lanes.7)) }
    }
}

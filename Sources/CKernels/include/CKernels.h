#ifndef KB_CKERNELS_H
#define KB_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Which implementation a kernel call runs.
typedef enum {
    /// The fastest this CPU supports: AVX2 + FMA + F16C on x86-64, else the portable loop.
    KB_KERNEL_BEST = 0,
    /// The portable C loop, on any CPU. It sums in the same order as the SIMD kernel, so results are bit-identical.
    KB_KERNEL_PORTABLE = 1,
} kb_kernel;

/// 1 when this CPU and OS run the AVX2 + FMA + F16C kernels (x86-64 only), else 0.
int kb_kernel_simd_available(void);

/// Converts `count` floats to IEEE 754 half precision, rounding to nearest, ties to even. Values beyond the half
/// range become infinities; NaN stays NaN. `src` and `dst` must not overlap.
void kb_f32_to_f16(const float *src, uint16_t *dst, size_t count, kb_kernel kernel);

/// Converts `count` IEEE 754 halves to floats (exact). `src` and `dst` must not overlap.
void kb_f16_to_f32(const uint16_t *src, float *dst, size_t count, kb_kernel kernel);

/// `out[r] = rows[r] · query` for `count` consecutive rows of `dimension` halves against a float query, summed in
/// float with fused multiply-adds in 4 × 8 lanes, then the lanes pairwise.
void kb_dot_f16(const uint16_t *rows, size_t count, size_t dimension, const float *query, float *out,
                kb_kernel kernel);

#endif

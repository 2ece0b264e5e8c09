// Half-precision (IEEE 754 binary16) storage kernels for the vector index.
//
// The SIMD kernels need AVX2, FMA and F16C and are compiled for them function by function, so the rest of the
// binary still runs on any x86-64; each call checks the CPU at run time. The portable loops mirror the SIMD
// kernels' order of operations exactly (same lanes, same fused multiply-adds, same pairwise reduction), so both
// give bit-identical scores and a search ranks the same rows on every machine.
#include "CKernels.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define KB_HAVE_X86_SIMD 1
#include <immintrin.h>
#endif

enum { LANES = 8, ACCUMULATORS = 4, STEP = LANES * ACCUMULATORS };

static inline uint32_t float_bits(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static inline float bits_float(uint32_t bits) {
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static inline float half_to_float(uint16_t half) {
    uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
    uint32_t exponent = (half >> 10) & 0x1fu;
    uint32_t mantissa = half & 0x3ffu;
    if (exponent == 0) {
        // Zero or subnormal: mantissa × 2^-24, exact in float.
        return bits_float(float_bits((float)mantissa * 0x1p-24f) | sign);
    }
    if (exponent == 31) return bits_float(sign | 0x7f800000u | (mantissa << 13));
    return bits_float(sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13));
}

// Round to nearest, ties to even (F. Giesen's float_to_half_fast3_rtne).
static inline uint16_t float_to_half(float value) {
    uint32_t bits = float_bits(value);
    uint32_t sign = bits & 0x80000000u;
    bits ^= sign;
    uint16_t half;
    if (bits >= (uint32_t)(127 + 16) << 23) {
        // Too large for a half (infinity) or NaN (kept quiet).
        half = bits > 0x7f800000u ? 0x7e00u : 0x7c00u;
    } else if (bits < (uint32_t)113 << 23) {
        // Subnormal or zero half: the float addition rounds to nearest even at the right bit.
        const uint32_t magicBits = (uint32_t)((127 - 15) + (23 - 10) + 1) << 23;
        half = (uint16_t)(float_bits(bits_float(bits) + bits_float(magicBits)) - magicBits);
    } else {
        uint32_t odd = (bits >> 13) & 1u;
        bits += ((uint32_t)(15 - 127) << 23) + 0xfffu;
        bits += odd;
        half = (uint16_t)(bits >> 13);
    }
    return (uint16_t)(half | (sign >> 16));
}

static void f32_to_f16_portable(const float *src, uint16_t *dst, size_t count) {
    for (size_t i = 0; i < count; i++) dst[i] = float_to_half(src[i]);
}

static void f16_to_f32_portable(const uint16_t *src, float *dst, size_t count) {
    for (size_t i = 0; i < count; i++) dst[i] = half_to_float(src[i]);
}

static void dot_f16_portable(const uint16_t *rows, size_t count, size_t dimension, const float *query,
                             float *out) {
    size_t body = dimension - dimension % STEP;
    size_t whole = dimension - dimension % LANES;
    for (size_t r = 0; r < count; r++) {
        const uint16_t *row = rows + r * dimension;
        float sums[ACCUMULATORS][LANES] = {{0}};
        size_t j = 0;
        for (; j < body; j += STEP) {
            for (int a = 0; a < ACCUMULATORS; a++) {
                for (int l = 0; l < LANES; l++) {
                    size_t i = j + (size_t)(a * LANES + l);
                    sums[a][l] = fmaf(half_to_float(row[i]), query[i], sums[a][l]);
                }
            }
        }
        for (; j < whole; j += LANES) {
            for (int l = 0; l < LANES; l++) sums[0][l] = fmaf(half_to_float(row[j + l]), query[j + l], sums[0][l]);
        }
        if (j < dimension) {
            // The SIMD kernel pads the last partial group with zeros; so does this one.
            for (int l = 0; l < LANES; l++) {
                size_t i = j + (size_t)l;
                sums[0][l] = i < dimension ? fmaf(half_to_float(row[i]), query[i], sums[0][l])
                                           : fmaf(0.0f, 0.0f, sums[0][l]);
            }
        }
        float lanes[LANES];
        for (int l = 0; l < LANES; l++) lanes[l] = (sums[0][l] + sums[1][l]) + (sums[2][l] + sums[3][l]);
        float quarter[4];
        for (int l = 0; l < 4; l++) quarter[l] = lanes[l] + lanes[l + 4];
        out[r] = (quarter[0] + quarter[2]) + (quarter[1] + quarter[3]);
    }
}

#ifdef KB_HAVE_X86_SIMD
#define KB_SIMD __attribute__((target("avx2,fma,f16c")))

KB_SIMD static inline __m256 load_halves(const uint16_t *pointer) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)pointer));
}

KB_SIMD static void f32_to_f16_simd(const float *src, uint16_t *dst, size_t count) {
    size_t i = 0;
    for (; i + LANES <= count; i += LANES) {
        __m128i halves = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128((__m128i *)(dst + i), halves);
    }
    f32_to_f16_portable(src + i, dst + i, count - i);
}

KB_SIMD static void f16_to_f32_simd(const uint16_t *src, float *dst, size_t count) {
    size_t i = 0;
    for (; i + LANES <= count; i += LANES) _mm256_storeu_ps(dst + i, load_halves(src + i));
    f16_to_f32_portable(src + i, dst + i, count - i);
}

KB_SIMD static void dot_f16_simd(const uint16_t *rows, size_t count, size_t dimension, const float *query,
                                 float *out) {
    size_t body = dimension - dimension % STEP;
    size_t whole = dimension - dimension % LANES;
    size_t rest = dimension - whole;
    for (size_t r = 0; r < count; r++) {
        const uint16_t *row = rows + r * dimension;
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
        size_t j = 0;
        for (; j < body; j += STEP) {
            s0 = _mm256_fmadd_ps(load_halves(row + j), _mm256_loadu_ps(query + j), s0);
            s1 = _mm256_fmadd_ps(load_halves(row + j + 8), _mm256_loadu_ps(query + j + 8), s1);
            s2 = _mm256_fmadd_ps(load_halves(row + j + 16), _mm256_loadu_ps(query + j + 16), s2);
            s3 = _mm256_fmadd_ps(load_halves(row + j + 24), _mm256_loadu_ps(query + j + 24), s3);
        }
        for (; j < whole; j += LANES) s0 = _mm256_fmadd_ps(load_halves(row + j), _mm256_loadu_ps(query + j), s0);
        if (rest) {
            uint16_t halves[LANES] = {0};
            float floats[LANES] = {0};
            memcpy(halves, row + j, rest * sizeof *halves);
            memcpy(floats, query + j, rest * sizeof *floats);
            s0 = _mm256_fmadd_ps(load_halves(halves), _mm256_loadu_ps(floats), s0);
        }
        __m256 lanes = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
        __m128 quarter = _mm_add_ps(_mm256_castps256_ps128(lanes), _mm256_extractf128_ps(lanes, 1));
        __m128 pairs = _mm_add_ps(quarter, _mm_movehl_ps(quarter, quarter));
        out[r] = _mm_cvtss_f32(_mm_add_ss(pairs, _mm_movehdup_ps(pairs)));
    }
}
#endif

int kb_kernel_simd_available(void) {
#ifdef KB_HAVE_X86_SIMD
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#else
    return 0;
#endif
}

static inline int use_simd(kb_kernel kernel) {
    return kernel == KB_KERNEL_BEST && kb_kernel_simd_available();
}

void kb_f32_to_f16(const float *src, uint16_t *dst, size_t count, kb_kernel kernel) {
#ifdef KB_HAVE_X86_SIMD
    if (use_simd(kernel)) {
        f32_to_f16_simd(src, dst, count);
        return;
    }
#endif
    (void)kernel;
    f32_to_f16_portable(src, dst, count);
}

void kb_f16_to_f32(const uint16_t *src, float *dst, size_t count, kb_kernel kernel) {
#ifdef KB_HAVE_X86_SIMD
    if (use_simd(kernel)) {
        f16_to_f32_simd(src, dst, count);
        return;
    }
#endif
    (void)kernel;
    f16_to_f32_portable(src, dst, count);
}

void kb_dot_f16(const uint16_t *rows, size_t count, size_t dimension, const float *query, float *out,
                kb_kernel kernel) {
#ifdef KB_HAVE_X86_SIMD
    if (use_simd(kernel)) {
        dot_f16_simd(rows, count, dimension, query, out);
        return;
    }
#endif
    (void)kernel;
    dot_f16_portable(rows, count, dimension, query, out);
}

/* The float pipeline's compiled loops (docs/performance.md, core/pointops.py).
 *
 * run(src, dst, stages): a fused run of point operations in one pass over the pixels. Each
 * stage is a plain description made in Python from the ops' own definitions (tables, maps,
 * per-pixel fields, a 3x3 matrix, a table of HSV changes by hue, a smooth base layer's
 * coefficients, changes in planes, a mix with a colour, a masked node's mix with its input);
 * nothing here knows an op by name.
 *
 * sharpen(src, dst, ...): a separable Gaussian blur of clip(src, 0, 1), mixed with it as
 * (1 + amount) clip(src) - amount blur: the unsharp mask (amount > 0) and the plain blur
 * (amount = -1) of the sharpness op, without a picture-sized temporary.
 *
 * finish(src, dst): the renderer's last pass, clipped floats or 8/16-bit integers.
 *
 * All work on float32 RGB (interleaved, C-contiguous) and let go of the GIL while they compute,
 * so the renderer's threads run them on every core at once, strip by strip.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#if defined(_MSC_VER) && !defined(__clang__)
#define restrict __restrict /* MSVC's C before /std:c11 */
#endif
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { AFFINE = 0, TABLE = 1, SATURATION = 2, FIELD = 3, CLIPPED_AFFINE = 4, MATRIX = 5, HUE = 6, DETAIL = 7, PLANES = 8,
       TOWARD = 9, SAVE = 10, MIX = 11 };

/* The hot loops are compiled for several x86-64 levels (AVX-512, AVX2, SSE2) and the best the
 * CPU has is picked at load time (GCC's function multi-versioning); elsewhere, the baseline.
 * GCC 12 is the first to know the levels in target_clones and __builtin_cpu_supports (GCC 11.3
 * rejects __builtin_cpu_supports("x86-64-v4"); GCC bug 101696). Older GCCs, Clang and MSVC compile
 * the portable loops alone (vectorised for the baseline) and the explicit vector code not at all. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && defined(__x86_64__) && defined(__linux__)
#define MULTIVERSIONED 1
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MULTIVERSIONED 0
#define CLONES
#endif

/* The stage loops are inlined into each version of the loop that calls them. */
#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

#define TABLE_SIZE 65536
#define MAX_TAPS 255 /* a sigma of 31 pixels */
#define CHUNK 1024 /* pixels per chunk: 12 KB, so every stage finds the chunk in the L1 cache */

typedef struct {
    int kind;
    float a, b;          /* AFFINE: x a + b.  TABLE: the index is round(clip(x a + b, 0, 65535)) */
    const float *table;  /* TABLE: 65536 entries, or 65536 x 3 (a column per channel).
                            SATURATION: new S on an nv x ns grid (S = i / (ns - 1), V = j / (nv - 1)).
                            HUE: steps + 1 rows of (hue shift, its rise to the next row, S factor,
                            V factor - 1), row i for hues from i 360 / steps degrees */
    int channels;        /* TABLE: 1 or 3 */
    int ns, nv;
    const float *f, *g;  /* FIELD: clip(x) f + k g per pixel; NULL f means 1, NULL g means 0.
                            DETAIL: the base layer's coefficients A (f) and B (g), one per pixel */
    int fc, gc;          /* channels of f and g: 1 (all channels alike) or 3 */
    float k[3];          /* FIELD: k (the same for each channel). DETAIL: k. TOWARD: the colour */
    float scale[3], offset[3]; /* CLIPPED_AFFINE: clip(x a + b, 0, 1) scale[c] + offset[c] */
    float m[9];          /* MATRIX: out[c] = sum_j m[3 c + j] x[j] (no clip). DETAIL: the luma's weights.
                            PLANES: clip(clip(x[c]) + sum_j m[3 c + j] planes[j]) */
    const float *planes[3]; /* PLANES: one value per pixel each; NULL is 0. TOWARD: planes[0] is t.
                               MIX: planes[0] is w */
    float lo;            /* TOWARD: the least a t + b that is inverted */
    int steps, changes;  /* HUE: table rows - 1; which of hue (1), S (2), V (4) change. DETAIL: changes 1:
                            the detail weighted to the mid-tones */
} Stage;

static inline float clip01(float x) {
    /* NaN goes to 0, as everywhere in the renderer */
    return x > 0.0f ? (x < 1.0f ? x : 1.0f) : 0.0f;
}

/* The loops below are written so that the compiler vectorises them (no branches, no aliasing). */

HOT void clip_all(float *restrict d, Py_ssize_t m) {
    for (Py_ssize_t i = 0; i < m; i++) d[i] = clip01(d[i]);
}

HOT void affine(float *restrict d, Py_ssize_t n, const Stage *s) {
    const float a = s->a, b = s->b;
    for (Py_ssize_t i = 0; i < 3 * n; i++) d[i] = d[i] * a + b;
}

/* A run of curves that is a multiply-add per channel after the clip (temperature, tint): no
 * table needed. */
HOT void clipped_affine(float *restrict d, Py_ssize_t n, const Stage *s) {
    const float a = s->a, b = s->b;
    const float s0 = s->scale[0], s1 = s->scale[1], s2 = s->scale[2];
    const float o0 = s->offset[0], o1 = s->offset[1], o2 = s->offset[2];
    for (Py_ssize_t p = 0; p < n; p++) {
        d[3 * p] = clip01(d[3 * p] * a + b) * s0 + o0;
        d[3 * p + 1] = clip01(d[3 * p + 1] * a + b) * s1 + o1;
        d[3 * p + 2] = clip01(d[3 * p + 2] * a + b) * s2 + o2;
    }
}

/* Local contrast from a smooth base layer (a guided filter's A and B per pixel): with the pixel's
 * clipped luma Y = clip(w . x) and base = A Y + B, every channel of clip(x) gets k (Y - base),
 * times 4 base (1 - base) where changes is 1 (mid-tones), and is clipped. */
HOT void detail(float *restrict d, Py_ssize_t n, Py_ssize_t first, const Stage *s) {
    const float *restrict A = s->f + first, *restrict B = s->g + first;
    const float w0 = s->m[0], w1 = s->m[1], w2 = s->m[2], k = s->k[0];
    const int mid = s->changes & 1;
    for (Py_ssize_t p = 0; p < n; p++) {
        const float r = d[3 * p], g = d[3 * p + 1], b = d[3 * p + 2];
        const float y = clip01(w0 * r + w1 * g + w2 * b), base = A[p] * y + B[p];
        float change = k * (y - base);
        if (mid) change *= 4.0f * base * (1.0f - base);
        d[3 * p] = clip01(clip01(r) + change);
        d[3 * p + 1] = clip01(clip01(g) + change);
        d[3 * p + 2] = clip01(clip01(b) + change);
    }
}

/* Changes given as up to three planes (one value per pixel), mixed into the channels by a 3x3
 * matrix: clip(clip(x) + M p), one pass instead of merging the planes into a picture. */
HOT void planes(float *restrict d, Py_ssize_t n, Py_ssize_t first, const Stage *s) {
    const float *m = s->m;
    for (Py_ssize_t p = 0; p < n; p++) {
        const float p0 = s->planes[0] ? s->planes[0][first + p] : 0.0f;
        const float p1 = s->planes[1] ? s->planes[1][first + p] : 0.0f;
        const float p2 = s->planes[2] ? s->planes[2][first + p] : 0.0f;
        for (int c = 0; c < 3; c++)
            d[3 * p + c] = clip01(clip01(d[3 * p + c]) + m[3 * c] * p0 + m[3 * c + 1] * p1 + m[3 * c + 2] * p2);
    }
}

/* A mix with a colour k by a weight per pixel from a plane t: w = a t + b, or 1 / max(a t + b, lo)
 * where changes is 1; clip(k + (clip(x) - k) w) (w < 1 towards k, w > 1 away from it). */
HOT void toward(float *restrict d, Py_ssize_t n, Py_ssize_t first, const Stage *s) {
    const float *restrict t = s->planes[0] + first;
    const float a = s->a, b = s->b, lo = s->lo;
    const int invert = s->changes & 1;
    for (Py_ssize_t p = 0; p < n; p++) {
        float w = a * t[p] + b;
        if (invert) w = 1.0f / (w > lo ? w : lo);
        for (int c = 0; c < 3; c++) d[3 * p + c] = clip01(s->k[c] + (clip01(d[3 * p + c]) - s->k[c]) * w);
    }
}

/* A masked node inside a Program: SAVE keeps the pixels as they enter the node's stages, MIX
 * brings them back where its mask is weak: saved + w (x - saved), w per pixel (the mask times the
 * node's opacity). One saved copy: masked nodes follow each other, they do not nest. */
HOT void mix(float *restrict d, Py_ssize_t n, Py_ssize_t first, const Stage *s, const float *restrict saved) {
    const float *restrict w = s->planes[0] + first;
    for (Py_ssize_t p = 0; p < n; p++)
        for (int c = 0; c < 3; c++) d[3 * p + c] = saved[3 * p + c] + w[p] * (d[3 * p + c] - saved[3 * p + c]);
}

/* A 3x3 matrix on each pixel's channels (a chromatic adaptation in linear light). */
HOT void matrix(float *restrict d, Py_ssize_t n, const Stage *s) {
    const float *m = s->m;
    for (Py_ssize_t p = 0; p < n; p++) {
        const float r = d[3 * p], g = d[3 * p + 1], b = d[3 * p + 2];
        d[3 * p] = m[0] * r + m[1] * g + m[2] * b;
        d[3 * p + 1] = m[3] * r + m[4] * g + m[5] * b;
        d[3 * p + 2] = m[6] * r + m[7] * g + m[8] * b;
    }
}

/* HSV changes by hue (the colour mixer): clip(x) to HSV as OpenCV's float RGB2HSV does (H in
 * degrees), then from the table row of the step H falls in: H + shift + rise (the way into the
 * step), S times its factor and V times 1 + S (factor - 1), both at most 1; back to RGB as
 * OpenCV's HSV2RGB (H wrapped into [0, 360)). The same arithmetic as cv2.cvtColor's round trip. */
HOT void hue_pixel(float *restrict q, const float *restrict t, float per_degree, int steps, int changes) {
    const float r = clip01(q[0]), g = clip01(q[1]), b = clip01(q[2]);
    float v = r > g ? r : g, m = r < g ? r : g;
    v = v > b ? v : b;
    m = m < b ? m : b;
    const float diff = v - m, k = 60.0f / (diff + FLT_EPSILON);
    float s = diff / (v + FLT_EPSILON);
    float h = v == r ? (g - b) * k : (v == g ? (b - r) * k + 120.0f : (r - g) * k + 240.0f);
    if (h < 0.0f) h += 360.0f;
    float where = h * per_degree;
    where = where > 0.0f ? where : 0.0f;
    int i = (int)where;
    i = i < steps ? i : steps;
    const float *restrict e = t + 4 * i;
    if (changes & 1) h = (h + e[0]) + e[1] * (where - (float)i);
    if (changes & 4) {
        v *= 1.0f + e[3] * s;
        v = v < 1.0f ? v : 1.0f;
    }
    if (changes & 2) {
        s *= e[2];
        s = s < 1.0f ? s : 1.0f;
    }
    float x = h * (6.0f / 360.0f);
    while (x >= 6.0f) x -= 6.0f;
    while (x < 0.0f) x += 6.0f;
    int sector = (int)floorf(x);
    x -= (float)sector;
    if (sector < 0 || sector > 5) { sector = 0; x = 0.0f; }
    const float t0 = v, t1 = v * (1.0f - s), t2 = v * (1.0f - s * x), t3 = v * (1.0f - s * (1.0f - x));
    static const unsigned char pick[6][3] = {{0, 3, 1}, {2, 0, 1}, {1, 0, 3}, {1, 2, 0}, {3, 1, 0}, {0, 1, 2}};
    const float tab[4] = {t0, t1, t2, t3};
    q[0] = tab[pick[sector][0]];
    q[1] = tab[pick[sector][1]];
    q[2] = tab[pick[sector][2]];
}

HOT void hue(float *restrict d, Py_ssize_t n, const Stage *s) {
    const float per_degree = (float)((double)s->steps / 360.0);
    for (Py_ssize_t p = 0; p < n; p++) hue_pixel(d + 3 * p, s->table, per_degree, s->steps, s->changes);
}

/* The table entry nearest to x a + b (a and b scaled to entries), clipped to the table; NaN
 * reads the first entry. The indices are computed first (vectorised), then read. */
HOT void table(float *restrict d, Py_ssize_t n, const Stage *s, int *restrict index) {
    const float a = s->a, b = s->b, *restrict t = s->table;
    for (Py_ssize_t i = 0; i < 3 * n; i++) {
        float v = d[i] * a + b;
        v = v > 0.0f ? v : 0.0f;
        v = v < 65535.0f ? v : 65535.0f;
        index[i] = (int)(v + 0.5f);
    }
    if (s->channels == 3) /* entry e of channel c is at 3 e + c */
        for (Py_ssize_t p = 0; p < n; p++) {
            index[3 * p] = 3 * index[3 * p];
            index[3 * p + 1] = 3 * index[3 * p + 1] + 1;
            index[3 * p + 2] = 3 * index[3 * p + 2] + 2;
        }
    for (Py_ssize_t i = 0; i < 3 * n; i++) d[i] = t[index[i]];
}

/* HSV saturation S -> table(S, V) with hue and value kept: in RGB that is c' = V - (S'/S)(V - c),
 * exactly what a round trip through HSV gives, without computing the hue. Greys (S = 0) stay
 * (all three channels are V). In three passes that vectorise: where each pixel reads the grid,
 * the grid's bilinear value, the new channels. */
typedef struct {
    int cell[CHUNK];
    float ws[CHUNK], wv[CHUNK], v[CHUNK], sat[CHUNK], news[CHUNK];
} SaturationScratch;

/* Pixel p's new S: the grid read bilinearly. */
HOT void grid_lookup(SaturationScratch *restrict w, const float *restrict t, int ns, Py_ssize_t p) {
    const int c = w->cell[p];
    const float lo = t[c] + w->ws[p] * (t[c + 1] - t[c]);
    const float hi = t[c + ns] + w->ws[p] * (t[c + ns + 1] - t[c + ns]);
    w->news[p] = lo + w->wv[p] * (hi - lo);
}

/* The bilinear reads of the grid: scattered loads, which the vectoriser would emulate lane by
 * lane (slower than plain scalar code), so this loop is kept scalar on purpose (but see
 * grid_lookups_avx2). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-vectorize"), noinline))
#endif
static void grid_lookups(SaturationScratch *restrict w, const float *restrict t, int ns, Py_ssize_t n) {
    for (Py_ssize_t p = 0; p < n; p++) grid_lookup(w, t, ns, p);
}

/* --- Explicit vector code (MULTIVERSIONED: GCC 12 or newer, x86-64 Linux) -----------------------
 * The grid's and the tables' reads are scattered loads. Where the CPU has them, gather
 * instructions read them (the vectoriser's generic tuning does not use them): with AVX2, the
 * saturation grid's reads; with AVX-512, a whole Program runs as one pass over 16 pixels at a
 * time, the channels split and joined once with two-source permutes (run_avx512). The saturation
 * stage alone at 1600 x 1067, one core: 8.0 -> 4.8 ms. */
#if MULTIVERSIONED
#include <immintrin.h>

static int simd_level; /* 4: AVX-512 (x86-64-v4), 3: AVX2 (x86-64-v3), 0: neither; see use_simd() */

__attribute__((target("arch=x86-64-v3"))) static void grid_lookups_avx2(SaturationScratch *restrict w,
                                                                         const float *restrict t, int ns,
                                                                         Py_ssize_t n) {
    const __m256i row = _mm256_set1_epi32(ns);
    Py_ssize_t p = 0;
    for (; p + 8 <= n; p += 8) {
        const __m256i c = _mm256_loadu_si256((const __m256i *)(w->cell + p)), c2 = _mm256_add_epi32(c, row);
        const __m256 t0 = _mm256_i32gather_ps(t, c, 4), t1 = _mm256_i32gather_ps(t + 1, c, 4);
        const __m256 t2 = _mm256_i32gather_ps(t, c2, 4), t3 = _mm256_i32gather_ps(t + 1, c2, 4);
        const __m256 ws = _mm256_loadu_ps(w->ws + p);
        const __m256 lo = _mm256_fmadd_ps(ws, _mm256_sub_ps(t1, t0), t0);
        const __m256 hi = _mm256_fmadd_ps(ws, _mm256_sub_ps(t3, t2), t2);
        _mm256_storeu_ps(w->news + p, _mm256_fmadd_ps(_mm256_loadu_ps(w->wv + p), _mm256_sub_ps(hi, lo), lo));
    }
    for (; p < n; p++) grid_lookup(w, t, ns, p);
}

/* Where the lanes of three interleaved RGB vectors (48 floats, 16 pixels) go: SPLIT[2c] picks
 * channel c's values from the first two vectors, SPLIT[2c + 1] adds those of the third; JOIN
 * undoes it (JOIN[2v] takes red and green for vector v, JOIN[2v + 1] adds blue). Indices 0-15
 * are the first source of a permute, 16-31 the second. */
static int SPLIT[6][16], JOIN[6][16];

static void make_permutes(void) {
    for (int c = 0; c < 3; c++) {
        int k = 0;
        for (int j = 0; j < 32; j++)
            if (j % 3 == c) SPLIT[2 * c][k++] = j;
        const int from_two = k;
        for (int i = 0; i < from_two; i++) SPLIT[2 * c + 1][i] = i;
        for (int j = 32; j < 48; j++)
            if (j % 3 == c) SPLIT[2 * c + 1][k++] = 16 + j - 32;
    }
    for (int v = 0; v < 3; v++)
        for (int j = 0; j < 16; j++) {
            const int pixel = (16 * v + j) / 3, channel = (16 * v + j) % 3;
            JOIN[2 * v][j] = channel == 1 ? 16 + pixel : pixel;
            JOIN[2 * v + 1][j] = channel == 2 ? 16 + pixel : j;
        }
}

/* One value per pixel of a field (f or g), or three: 16 pixels' worth from ``at`` (a pixel index),
 * split into channels like the pixels; zeros past the mask. */
__attribute__((target("arch=x86-64-v4"))) static inline void field_lanes(const float *a, int channels, Py_ssize_t at,
                                                                         __mmask16 lanes, const __mmask16 *part,
                                                                         const __m512i *split, __m512 *out) {
    if (channels == 1) {
        out[0] = out[1] = out[2] = _mm512_maskz_loadu_ps(lanes, a + at);
        return;
    }
    const float *q = a + 3 * at;
    const __m512 x0 = _mm512_maskz_loadu_ps(part[0], q), x1 = _mm512_maskz_loadu_ps(part[1], q + 16);
    const __m512 x2 = _mm512_maskz_loadu_ps(part[2], q + 32);
    for (int k = 0; k < 3; k++)
        out[k] = _mm512_permutex2var_ps(_mm512_permutex2var_ps(x0, split[2 * k], x1), split[2 * k + 1], x2);
}

/* t[i] and t[i + 1] for 16 indices: 8-byte gathers of the pairs (half the loads of two 4-byte
 * gathers: the grid's reads are most of the saturation stage's time), split into two vectors. */
__attribute__((target("arch=x86-64-v4"))) static inline void neighbours_avx512(const float *t, __m512i index,
                                                                               __m512 *first, __m512 *next) {
    static const int EVEN[16] = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
    static const int ODD[16] = {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31};
    const __m512 low = _mm512_castpd_ps(_mm512_i32gather_pd(_mm512_castsi512_si256(index), t, 4));
    const __m512 high = _mm512_castpd_ps(_mm512_i32gather_pd(_mm512_extracti64x4_epi64(index, 1), t, 4));
    *first = _mm512_permutex2var_ps(low, _mm512_loadu_si512(EVEN), high);
    *next = _mm512_permutex2var_ps(low, _mm512_loadu_si512(ODD), high);
}

/* hue_pixel on 16 pixels (three channel vectors), the same arithmetic; the table's rows gathered. */
__attribute__((target("arch=x86-64-v4"))) static inline void hue_avx512(__m512 *c, const Stage *s) {
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f), eps = _mm512_set1_ps(FLT_EPSILON);
    const __m512 r = _mm512_min_ps(_mm512_max_ps(c[0], zero), one), g = _mm512_min_ps(_mm512_max_ps(c[1], zero), one);
    const __m512 b = _mm512_min_ps(_mm512_max_ps(c[2], zero), one);
    __m512 v = _mm512_max_ps(_mm512_max_ps(r, g), b);
    const __m512 m = _mm512_min_ps(_mm512_min_ps(r, g), b), diff = _mm512_sub_ps(v, m);
    const __m512 k = _mm512_div_ps(_mm512_set1_ps(60.0f), _mm512_add_ps(diff, eps));
    __m512 sat = _mm512_div_ps(diff, _mm512_add_ps(v, eps));
    const __mmask16 is_r = _mm512_cmp_ps_mask(v, r, _CMP_EQ_OQ), is_g = _mm512_cmp_ps_mask(v, g, _CMP_EQ_OQ);
    __m512 h = _mm512_add_ps(_mm512_mul_ps(_mm512_sub_ps(r, g), k), _mm512_set1_ps(240.0f));
    h = _mm512_mask_mov_ps(h, is_g, _mm512_add_ps(_mm512_mul_ps(_mm512_sub_ps(b, r), k), _mm512_set1_ps(120.0f)));
    h = _mm512_mask_mov_ps(h, is_r, _mm512_mul_ps(_mm512_sub_ps(g, b), k));
    h = _mm512_mask_add_ps(h, _mm512_cmp_ps_mask(h, zero, _CMP_LT_OQ), h, _mm512_set1_ps(360.0f));
    const __m512 where = _mm512_max_ps(_mm512_mul_ps(h, _mm512_set1_ps((float)((double)s->steps / 360.0))), zero);
    const __m512i i = _mm512_min_epi32(_mm512_cvttps_epi32(where), _mm512_set1_epi32(s->steps));
    const __m512i row = _mm512_slli_epi32(i, 2);
    if (s->changes & 1) {
        const __m512 shift = _mm512_i32gather_ps(row, s->table, 4), rise = _mm512_i32gather_ps(row, s->table + 1, 4);
        h = _mm512_fmadd_ps(rise, _mm512_sub_ps(where, _mm512_cvtepi32_ps(i)), _mm512_add_ps(h, shift));
    }
    if (s->changes & 4) {
        const __m512 lift = _mm512_i32gather_ps(row, s->table + 3, 4);
        v = _mm512_min_ps(_mm512_mul_ps(v, _mm512_fmadd_ps(lift, sat, one)), one);
    }
    if (s->changes & 2) sat = _mm512_min_ps(_mm512_mul_ps(sat, _mm512_i32gather_ps(row, s->table + 2, 4)), one);
    const __m512 six = _mm512_set1_ps(6.0f);
    __m512 x = _mm512_mul_ps(h, _mm512_set1_ps(6.0f / 360.0f));
    for (int wrap = 0; wrap < 2; wrap++) /* hues reach at most twice round (a shift of under 360 degrees) */
        x = _mm512_mask_sub_ps(x, _mm512_cmp_ps_mask(x, six, _CMP_GE_OQ), x, six);
    x = _mm512_mask_add_ps(x, _mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ), x, six);
    const __m512 floor = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    x = _mm512_sub_ps(x, floor);
    const __m512i sector = _mm512_cvttps_epi32(floor);
    const __m512 t0 = v, t1 = _mm512_mul_ps(v, _mm512_sub_ps(one, sat));
    const __m512 t2 = _mm512_mul_ps(v, _mm512_fnmadd_ps(sat, x, one));
    const __m512 t3 = _mm512_mul_ps(v, _mm512_fnmadd_ps(sat, _mm512_sub_ps(one, x), one));
    __mmask16 in[6];
    for (int j = 0; j < 6; j++) in[j] = _mm512_cmpeq_epi32_mask(sector, _mm512_set1_epi32(j));
    /* sectors 0-5: R = t0 t2 t1 t1 t3 t0, G = t3 t0 t0 t2 t1 t1, B = t1 t1 t3 t0 t0 t2 (hue_pixel's pick) */
    __m512 red = _mm512_mask_mov_ps(t0, in[1], t2), green = _mm512_mask_mov_ps(t1, in[0], t3);
    red = _mm512_mask_mov_ps(red, in[2] | in[3], t1);
    red = _mm512_mask_mov_ps(red, in[4], t3);
    green = _mm512_mask_mov_ps(green, in[1] | in[2], t0);
    green = _mm512_mask_mov_ps(green, in[3], t2);
    __m512 blue = _mm512_mask_mov_ps(t1, in[2], t3);
    blue = _mm512_mask_mov_ps(blue, in[3] | in[4], t0);
    blue = _mm512_mask_mov_ps(blue, in[5], t2);
    c[0] = red;
    c[1] = green;
    c[2] = blue;
}

/* A whole Program over n pixels in one pass, 16 pixels at a time (the last few under a mask),
 * split into three channel vectors once and joined once: the same arithmetic as the portable
 * stage loops, in the same order, with the tables' and the grid's reads gathered. ``first``: the
 * chunk's first pixel in the fields. At 1600 x 1067 on one core, against the stage loops (with
 * the AVX-512 saturation stage alone): the slider's tail, saturation to vignette, 10.0 -> 7.9 ms;
 * all 15 point tools from 8 bits 19.9 -> 16.6 ms (measured in alternation). */
__attribute__((target("arch=x86-64-v4"))) static void run_avx512(float *restrict d, Py_ssize_t n, Py_ssize_t first,
                                                                 const Stage *stages, Py_ssize_t count) {
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
    __m512i split[6], join[6];
    for (int i = 0; i < 6; i++) {
        split[i] = _mm512_loadu_si512(SPLIT[i]);
        join[i] = _mm512_loadu_si512(JOIN[i]);
    }
    for (Py_ssize_t p = 0; p < n; p += 16) {
        /* lanes past the last pixel read as 0 (tables' entry 0, grid cell 0) and are not written */
        const int pixels = n - p < 16 ? (int)(n - p) : 16, floats = 3 * pixels;
        const __mmask16 lanes = (__mmask16)((1u << pixels) - 1);
        __mmask16 part[3];
        for (int j = 0; j < 3; j++) {
            const int here = floats - 16 * j < 0 ? 0 : (floats - 16 * j > 16 ? 16 : floats - 16 * j);
            part[j] = (__mmask16)((1u << here) - 1);
        }
        float *q = d + 3 * p;
        const __m512 x0 = _mm512_maskz_loadu_ps(part[0], q), x1 = _mm512_maskz_loadu_ps(part[1], q + 16);
        const __m512 x2 = _mm512_maskz_loadu_ps(part[2], q + 32);
        __m512 c[3], saved[3] = {zero, zero, zero};
        for (int k = 0; k < 3; k++)
            c[k] = _mm512_permutex2var_ps(_mm512_permutex2var_ps(x0, split[2 * k], x1), split[2 * k + 1], x2);
        for (Py_ssize_t i = 0; i < count; i++) {
            const Stage *s = &stages[i];
            const __m512 a = _mm512_set1_ps(s->a), b = _mm512_set1_ps(s->b);
            if (s->kind == AFFINE) {
                for (int j = 0; j < 3; j++) c[j] = _mm512_fmadd_ps(c[j], a, b);
            } else if (s->kind == TABLE) { /* max(x, 0) is 0 for NaN (the second operand), as the portable loop */
                for (int j = 0; j < 3; j++) {
                    const __m512 x = _mm512_min_ps(_mm512_max_ps(_mm512_fmadd_ps(c[j], a, b), zero), _mm512_set1_ps(65535.0f));
                    __m512i index = _mm512_cvttps_epi32(_mm512_add_ps(x, _mm512_set1_ps(0.5f)));
                    if (s->channels == 3) /* entry e of channel j is at 3 e + j */
                        index = _mm512_add_epi32(_mm512_mullo_epi32(index, _mm512_set1_epi32(3)), _mm512_set1_epi32(j));
                    c[j] = _mm512_i32gather_ps(index, s->table, 4);
                }
            } else if (s->kind == SATURATION) {
                const float *t = s->table;
                for (int j = 0; j < 3; j++) c[j] = _mm512_min_ps(_mm512_max_ps(c[j], zero), one);
                const __m512 v = _mm512_max_ps(_mm512_max_ps(c[0], c[1]), c[2]);
                const __m512 m = _mm512_min_ps(_mm512_min_ps(c[0], c[1]), c[2]);
                const __m512 sat = _mm512_maskz_div_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ), _mm512_sub_ps(v, m), v);
                const __m512 fs = _mm512_mul_ps(sat, _mm512_set1_ps((float)(s->ns - 1)));
                const __m512 fv = _mm512_mul_ps(v, _mm512_set1_ps((float)(s->nv - 1)));
                const __m512i is = _mm512_min_epi32(_mm512_cvttps_epi32(fs), _mm512_set1_epi32(s->ns - 2));
                const __m512i iv = _mm512_min_epi32(_mm512_cvttps_epi32(fv), _mm512_set1_epi32(s->nv - 2));
                const __m512 ws = _mm512_sub_ps(fs, _mm512_cvtepi32_ps(is)), wv = _mm512_sub_ps(fv, _mm512_cvtepi32_ps(iv));
                const __m512i row = _mm512_set1_epi32(s->ns);
                const __m512i cell = _mm512_add_epi32(_mm512_mullo_epi32(iv, row), is), above = _mm512_add_epi32(cell, row);
                __m512 t0, t1, t2, t3;
                neighbours_avx512(t, cell, &t0, &t1);
                neighbours_avx512(t, above, &t2, &t3);
                const __m512 lo = _mm512_fmadd_ps(ws, _mm512_sub_ps(t1, t0), t0);
                const __m512 hi = _mm512_fmadd_ps(ws, _mm512_sub_ps(t3, t2), t2);
                const __m512 news = _mm512_fmadd_ps(wv, _mm512_sub_ps(hi, lo), lo);
                const __m512 k = _mm512_maskz_div_ps(_mm512_cmp_ps_mask(sat, zero, _CMP_GT_OQ), news, sat);
                for (int j = 0; j < 3; j++) c[j] = _mm512_fnmadd_ps(k, _mm512_sub_ps(v, c[j]), v);
            } else if (s->kind == FIELD) {
                __m512 f[3] = {one, one, one}, g[3] = {zero, zero, zero};
                if (s->f) field_lanes(s->f, s->fc, first + p, lanes, part, split, f);
                if (s->g) field_lanes(s->g, s->gc, first + p, lanes, part, split, g);
                for (int j = 0; j < 3; j++) {
                    c[j] = _mm512_mul_ps(_mm512_min_ps(_mm512_max_ps(c[j], zero), one), f[j]);
                    if (s->g) c[j] = _mm512_fmadd_ps(_mm512_set1_ps(s->k[j]), g[j], c[j]);
                }
            } else if (s->kind == MATRIX) {
                const float *m = s->m;
                __m512 o[3];
                for (int j = 0; j < 3; j++)
                    o[j] = _mm512_fmadd_ps(_mm512_set1_ps(m[3 * j + 2]), c[2], _mm512_fmadd_ps(
                        _mm512_set1_ps(m[3 * j + 1]), c[1], _mm512_mul_ps(_mm512_set1_ps(m[3 * j]), c[0])));
                for (int j = 0; j < 3; j++) c[j] = o[j];
            } else if (s->kind == HUE) {
                hue_avx512(c, s);
            } else if (s->kind == SAVE) {
                for (int j = 0; j < 3; j++) saved[j] = c[j];
            } else if (s->kind == MIX) {
                const __m512 w = _mm512_maskz_loadu_ps(lanes, s->planes[0] + first + p);
                for (int j = 0; j < 3; j++) c[j] = _mm512_fmadd_ps(w, _mm512_sub_ps(c[j], saved[j]), saved[j]);
            } else if (s->kind == TOWARD) {
                __m512 w = _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(lanes, s->planes[0] + first + p), b);
                if (s->changes & 1) w = _mm512_div_ps(one, _mm512_max_ps(w, _mm512_set1_ps(s->lo)));
                for (int j = 0; j < 3; j++) {
                    const __m512 k = _mm512_set1_ps(s->k[j]), x = _mm512_min_ps(_mm512_max_ps(c[j], zero), one);
                    c[j] = _mm512_min_ps(_mm512_max_ps(_mm512_fmadd_ps(_mm512_sub_ps(x, k), w, k), zero), one);
                }
            } else if (s->kind == PLANES) {
                __m512 q[3];
                for (int i = 0; i < 3; i++)
                    q[i] = s->planes[i] ? _mm512_maskz_loadu_ps(lanes, s->planes[i] + first + p) : zero;
                for (int j = 0; j < 3; j++) {
                    __m512 x = _mm512_min_ps(_mm512_max_ps(c[j], zero), one);
                    for (int i = 0; i < 3; i++) x = _mm512_fmadd_ps(_mm512_set1_ps(s->m[3 * j + i]), q[i], x);
                    c[j] = _mm512_min_ps(_mm512_max_ps(x, zero), one);
                }
            } else if (s->kind == DETAIL) {
                const __m512 A = _mm512_maskz_loadu_ps(lanes, s->f + first + p), B = _mm512_maskz_loadu_ps(lanes, s->g + first + p);
                const __m512 luma = _mm512_fmadd_ps(_mm512_set1_ps(s->m[2]), c[2], _mm512_fmadd_ps(
                    _mm512_set1_ps(s->m[1]), c[1], _mm512_mul_ps(_mm512_set1_ps(s->m[0]), c[0])));
                const __m512 y = _mm512_min_ps(_mm512_max_ps(luma, zero), one), base = _mm512_fmadd_ps(A, y, B);
                __m512 change = _mm512_mul_ps(_mm512_set1_ps(s->k[0]), _mm512_sub_ps(y, base));
                if (s->changes & 1)
                    change = _mm512_mul_ps(change, _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(4.0f), base),
                                                                 _mm512_sub_ps(one, base)));
                for (int j = 0; j < 3; j++)
                    c[j] = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(_mm512_min_ps(_mm512_max_ps(c[j], zero), one),
                                                                     change), zero), one);
            } else { /* CLIPPED_AFFINE */
                for (int j = 0; j < 3; j++) {
                    const __m512 x = _mm512_min_ps(_mm512_max_ps(_mm512_fmadd_ps(c[j], a, b), zero), one);
                    c[j] = _mm512_fmadd_ps(x, _mm512_set1_ps(s->scale[j]), _mm512_set1_ps(s->offset[j]));
                }
            }
        }
        for (int j = 0; j < 3; j++)
            _mm512_mask_storeu_ps(q + 16 * j, part[j], _mm512_permutex2var_ps(
                _mm512_permutex2var_ps(c[0], join[2 * j], c[1]), join[2 * j + 1], c[2]));
    }
}
#endif

HOT void saturation(float *restrict d, Py_ssize_t n, const Stage *s, SaturationScratch *restrict w) {
    const float *restrict t = s->table;
    const int ns = s->ns, nv = s->nv;
    clip_all(d, 3 * n);
    for (Py_ssize_t p = 0; p < n; p++) {
        const float r = d[3 * p], g = d[3 * p + 1], b = d[3 * p + 2];
        float v = r > g ? r : g;
        v = v > b ? v : b;
        float m = r < g ? r : g;
        m = m < b ? m : b;
        const float sat = v > 0.0f ? (v - m) / v : 0.0f;
        const float fs = sat * (float)(ns - 1), fv = v * (float)(nv - 1);
        int is = (int)fs, iv = (int)fv;
        is = is < ns - 2 ? is : ns - 2;
        iv = iv < nv - 2 ? iv : nv - 2;
        w->cell[p] = iv * ns + is;
        w->ws[p] = fs - (float)is;
        w->wv[p] = fv - (float)iv;
        w->v[p] = v;
        w->sat[p] = sat;
    }
#if MULTIVERSIONED
    if (simd_level >= 3)
        grid_lookups_avx2(w, t, ns, n);
    else
#endif
        grid_lookups(w, t, ns, n);
    for (Py_ssize_t p = 0; p < n; p++) {
        const float v = w->v[p], sat = w->sat[p];
        const float k = sat > 0.0f ? w->news[p] / sat : 0.0f; /* S' / S */
        d[3 * p] = v - k * (v - d[3 * p]);
        d[3 * p + 1] = v - k * (v - d[3 * p + 1]);
        d[3 * p + 2] = v - k * (v - d[3 * p + 2]);
    }
}

/* clip(x) f + k g, f and g with one value per pixel (all channels) or three. */
HOT void field(float *restrict d, Py_ssize_t n, Py_ssize_t first, const Stage *s) {
    clip_all(d, 3 * n);
    if (s->f) {
        const float *restrict f = s->f + first * s->fc;
        if (s->fc == 3)
            for (Py_ssize_t i = 0; i < 3 * n; i++) d[i] *= f[i];
        else
            for (Py_ssize_t p = 0; p < n; p++) {
                d[3 * p] *= f[p];
                d[3 * p + 1] *= f[p];
                d[3 * p + 2] *= f[p];
            }
    }
    if (s->g) {
        const float *restrict g = s->g + first * s->gc;
        const float k0 = s->k[0], k1 = s->k[1], k2 = s->k[2];
        if (s->gc == 3)
            for (Py_ssize_t p = 0; p < n; p++) {
                d[3 * p] += k0 * g[3 * p];
                d[3 * p + 1] += k1 * g[3 * p + 1];
                d[3 * p + 2] += k2 * g[3 * p + 2];
            }
        else
            for (Py_ssize_t p = 0; p < n; p++) {
                d[3 * p] += k0 * g[p];
                d[3 * p + 1] += k1 * g[p];
                d[3 * p + 2] += k2 * g[p];
            }
    }
}

/* The compute part of run(), without the GIL. The source is float32, or 8-bit (src8) read as
 * float32(b) / 255, exactly as the photo loader converts it. */
CLONES static void run_stages(const float *src, const unsigned char *src8, float *dst, Py_ssize_t pixels,
                              const Stage *stages, Py_ssize_t count) {
    int index[3 * CHUNK];
    float saved[3 * CHUNK]; /* SAVE's copy of the chunk */
    SaturationScratch scratch;
    for (Py_ssize_t first = 0; first < pixels; first += CHUNK) {
        Py_ssize_t n = pixels - first < CHUNK ? pixels - first : CHUNK;
        float *d = dst + 3 * first;
        if (src8) {
            const unsigned char *restrict s8 = src8 + 3 * first;
            for (Py_ssize_t i = 0; i < 3 * n; i++) d[i] = (float)s8[i] / 255.0f;
        } else if (d != src + 3 * first) {
            memmove(d, src + 3 * first, (size_t)(3 * n) * sizeof(float));
        }
#if MULTIVERSIONED
        if (simd_level >= 4 && count) {
            run_avx512(d, n, first, stages, count);
            continue;
        }
#endif
        for (Py_ssize_t i = 0; i < count; i++) {
            const Stage *s = &stages[i];
            switch (s->kind) {
            case AFFINE: affine(d, n, s); break;
            case TABLE: table(d, n, s, index); break;
            case SATURATION: saturation(d, n, s, &scratch); break;
            case FIELD: field(d, n, first, s); break;
            case CLIPPED_AFFINE: clipped_affine(d, n, s); break;
            case MATRIX: matrix(d, n, s); break;
            case HUE: hue(d, n, s); break;
            case DETAIL: detail(d, n, first, s); break;
            case PLANES: planes(d, n, first, s); break;
            case TOWARD: toward(d, n, first, s); break;
            case SAVE: memcpy(saved, d, (size_t)(3 * n) * sizeof(float)); break;
            case MIX: mix(d, n, first, s, saved); break;
            }
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * Buffers: float32, C-contiguous, read through the buffer protocol (numpy arrays). */

static int get_floats(PyObject *obj, Py_buffer *view, int writable, const char *what) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    if (view->itemsize != 4 || view->format == NULL || strcmp(view->format, "f") != 0) {
        PyErr_Format(PyExc_TypeError, "%s must be float32", what);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static void release_all(Py_buffer *views, int count) {
    for (int i = 0; i < count; i++) PyBuffer_Release(&views[i]);
}

/* One stage tuple from Python (see core/pointops.py, Program):
 *   (0, a, b)                  AFFINE
 *   (1, a, b, table)           TABLE (a and b already scaled to table indices)
 *   (2, table, ns, nv)         SATURATION
 *   (3, f or None, g or None, k)   FIELD (f, g: a value or 3 per pixel of src)
 *   (4, a, b, (s, s, s), (o, o, o))   CLIPPED_AFFINE
 *   (5, ((m, m, m), (m, m, m), (m, m, m)))   MATRIX (rows: output channels)
 *   (6, table, steps, changes)   HUE (table: (steps + 1) x 4; changes: 1 hue, 2 S, 4 V, or'ed)
 *   (7, A, B, k, (w, w, w), changes)   DETAIL (A, B: a value per pixel of src; w: the luma's weights)
 *   (8, (p, p, p), ((m, m, m), (m, m, m), (m, m, m)))   PLANES (p: a value per pixel of src, or None)
 *   (9, t, a, b, lo, (k, k, k), changes)   TOWARD (t: a value per pixel of src)
 *   (10,)                      SAVE
 *   (11, w)                    MIX (w: a value per pixel of src; after a SAVE)
 * Buffers it opens are appended to views (count updated), to be released by the caller. */
static int parse_stage(PyObject *tuple, Stage *s, Py_ssize_t pixels, Py_buffer *views, int *count) {
    memset(s, 0, sizeof(*s));
    if (!PyTuple_Check(tuple) || PyTuple_GET_SIZE(tuple) < 1) {
        PyErr_SetString(PyExc_TypeError, "a stage must be a tuple");
        return -1;
    }
    s->kind = (int)PyLong_AsLong(PyTuple_GET_ITEM(tuple, 0));
    if (PyErr_Occurred()) return -1;
    if (s->kind == AFFINE) {
        return PyArg_ParseTuple(tuple, "iff", &s->kind, &s->a, &s->b) ? 0 : -1;
    }
    if (s->kind == TABLE) {
        PyObject *t;
        if (!PyArg_ParseTuple(tuple, "iffO", &s->kind, &s->a, &s->b, &t)) return -1;
        if (get_floats(t, &views[*count], 0, "a table") < 0) return -1;
        Py_ssize_t length = views[(*count)++].len / 4;
        if (length != TABLE_SIZE && length != 3 * TABLE_SIZE) {
            PyErr_SetString(PyExc_ValueError, "a table has 65536 entries, or 65536 per channel");
            return -1;
        }
        s->table = views[*count - 1].buf;
        s->channels = length == TABLE_SIZE ? 1 : 3;
        return 0;
    }
    if (s->kind == SATURATION) {
        PyObject *t;
        if (!PyArg_ParseTuple(tuple, "iOii", &s->kind, &t, &s->ns, &s->nv)) return -1;
        if (s->ns < 2 || s->nv < 2) {
            PyErr_SetString(PyExc_ValueError, "a saturation grid needs at least 2 x 2 points");
            return -1;
        }
        if (get_floats(t, &views[*count], 0, "a saturation table") < 0) return -1;
        if (views[(*count)++].len / 4 != (Py_ssize_t)s->ns * s->nv) {
            PyErr_SetString(PyExc_ValueError, "the saturation table does not match its grid");
            return -1;
        }
        s->table = views[*count - 1].buf;
        return 0;
    }
    if (s->kind == FIELD) {
        PyObject *f, *g;
        if (!PyArg_ParseTuple(tuple, "iOOf", &s->kind, &f, &g, &s->k[0])) return -1;
        s->k[1] = s->k[2] = s->k[0];
        PyObject *planes[2] = {f, g};
        for (int i = 0; i < 2; i++) {
            if (planes[i] == Py_None) continue;
            if (get_floats(planes[i], &views[*count], 0, "a field") < 0) return -1;
            Py_ssize_t length = views[(*count)++].len / 4;
            int channels = length == pixels ? 1 : (length == 3 * pixels ? 3 : 0);
            if (!channels) {
                PyErr_SetString(PyExc_ValueError, "a field has one or three values per pixel of the image");
                return -1;
            }
            if (i == 0) { s->f = views[*count - 1].buf; s->fc = channels; }
            else { s->g = views[*count - 1].buf; s->gc = channels; }
        }
        return 0;
    }
    if (s->kind == CLIPPED_AFFINE) {
        return PyArg_ParseTuple(tuple, "iff(fff)(fff)", &s->kind, &s->a, &s->b, &s->scale[0], &s->scale[1],
                                &s->scale[2], &s->offset[0], &s->offset[1], &s->offset[2]) ? 0 : -1;
    }
    if (s->kind == MATRIX) {
        float *m = s->m;
        return PyArg_ParseTuple(tuple, "i((fff)(fff)(fff))", &s->kind, m, m + 1, m + 2, m + 3, m + 4, m + 5, m + 6,
                                m + 7, m + 8) ? 0 : -1;
    }
    if (s->kind == HUE) {
        PyObject *t;
        if (!PyArg_ParseTuple(tuple, "iOii", &s->kind, &t, &s->steps, &s->changes)) return -1;
        if (s->steps < 1) {
            PyErr_SetString(PyExc_ValueError, "a hue table needs at least one step");
            return -1;
        }
        if (get_floats(t, &views[*count], 0, "a hue table") < 0) return -1;
        if (views[(*count)++].len / 4 != 4 * ((Py_ssize_t)s->steps + 1)) {
            PyErr_SetString(PyExc_ValueError, "a hue table has steps + 1 rows of 4 values");
            return -1;
        }
        s->table = views[*count - 1].buf;
        return 0;
    }
    if (s->kind == DETAIL) {
        PyObject *planes[2];
        if (!PyArg_ParseTuple(tuple, "iOOf(fff)i", &s->kind, &planes[0], &planes[1], &s->k[0], &s->m[0], &s->m[1],
                              &s->m[2], &s->changes)) return -1;
        for (int i = 0; i < 2; i++) {
            if (get_floats(planes[i], &views[*count], 0, "a base layer's coefficients") < 0) return -1;
            if (views[(*count)++].len / 4 != pixels) {
                PyErr_SetString(PyExc_ValueError, "a base layer has one coefficient per pixel of the image");
                return -1;
            }
        }
        s->f = views[*count - 2].buf;
        s->g = views[*count - 1].buf;
        return 0;
    }
    if (s->kind == PLANES) {
        PyObject *p[3];
        float *m = s->m;
        if (!PyArg_ParseTuple(tuple, "i(OOO)((fff)(fff)(fff))", &s->kind, &p[0], &p[1], &p[2], m, m + 1, m + 2, m + 3,
                              m + 4, m + 5, m + 6, m + 7, m + 8)) return -1;
        for (int i = 0; i < 3; i++) {
            if (p[i] == Py_None) continue;
            if (get_floats(p[i], &views[*count], 0, "a plane") < 0) return -1;
            if (views[(*count)++].len / 4 != pixels) {
                PyErr_SetString(PyExc_ValueError, "a plane has one value per pixel of the image");
                return -1;
            }
            s->planes[i] = views[*count - 1].buf;
        }
        return 0;
    }
    if (s->kind == TOWARD) {
        PyObject *t;
        if (!PyArg_ParseTuple(tuple, "iOfff(fff)i", &s->kind, &t, &s->a, &s->b, &s->lo, &s->k[0], &s->k[1], &s->k[2],
                              &s->changes)) return -1;
        if (get_floats(t, &views[*count], 0, "a weight plane") < 0) return -1;
        if (views[(*count)++].len / 4 != pixels) {
            PyErr_SetString(PyExc_ValueError, "a weight plane has one value per pixel of the image");
            return -1;
        }
        s->planes[0] = views[*count - 1].buf;
        return 0;
    }
    if (s->kind == SAVE) {
        return PyArg_ParseTuple(tuple, "i", &s->kind) ? 0 : -1;
    }
    if (s->kind == MIX) {
        PyObject *w;
        if (!PyArg_ParseTuple(tuple, "iO", &s->kind, &w)) return -1;
        if (get_floats(w, &views[*count], 0, "a mask's weights") < 0) return -1;
        if (views[(*count)++].len / 4 != pixels) {
            PyErr_SetString(PyExc_ValueError, "a mask's weights have one value per pixel of the image");
            return -1;
        }
        s->planes[0] = views[*count - 1].buf;
        return 0;
    }
    PyErr_Format(PyExc_ValueError, "unknown stage kind %d", s->kind);
    return -1;
}

static PyObject *run(PyObject *self, PyObject *args) {
    PyObject *src_obj, *dst_obj, *stages_obj;
    if (!PyArg_ParseTuple(args, "OOO", &src_obj, &dst_obj, &stages_obj)) return NULL;
    PyObject *stages_seq = PySequence_Fast(stages_obj, "stages must be a sequence");
    if (!stages_seq) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(stages_seq);
    Stage *stages = calloc(count ? count : 1, sizeof(Stage));
    Py_buffer *views = calloc(3 * count + 2, sizeof(Py_buffer)); /* at most three per stage (PLANES) */
    int opened = 0;
    PyObject *result = NULL;
    if (!stages || !views) { PyErr_NoMemory(); goto done; }
    if (PyObject_GetBuffer(src_obj, &views[opened], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) goto done;
    opened++;
    const char *format = views[0].format ? views[0].format : "B";
    int eight_bit = strcmp(format, "B") == 0;
    if (!eight_bit && strcmp(format, "f") != 0) {
        PyErr_SetString(PyExc_TypeError, "the image must be float32 or uint8");
        goto done;
    }
    if (get_floats(dst_obj, &views[opened], 1, "the output") < 0) goto done;
    opened++;
    Py_ssize_t length = views[0].len / views[0].itemsize;
    if (length % 3 != 0 || views[1].len != 4 * length) {
        PyErr_SetString(PyExc_ValueError, "image and output must be RGB of the same size");
        goto done;
    }
    Py_ssize_t pixels = length / 3;
    int saved = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (parse_stage(PySequence_Fast_GET_ITEM(stages_seq, i), &stages[i], pixels, views, &opened) < 0) goto done;
        saved |= stages[i].kind == SAVE;
        if (stages[i].kind == MIX && !saved) {
            PyErr_SetString(PyExc_ValueError, "a MIX stage mixes with what a SAVE stage before it kept");
            goto done;
        }
    }
    const float *src = eight_bit ? NULL : views[0].buf;
    const unsigned char *src8 = eight_bit ? views[0].buf : NULL;
    float *dst = views[1].buf;
    Py_BEGIN_ALLOW_THREADS
    run_stages(src, src8, dst, pixels, stages, count);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(dst_obj);
done:
    if (views) release_all(views, opened);
    free(views);
    free(stages);
    Py_DECREF(stages_seq);
    return result;
}

/* ---------------------------------------------------------------------------------------------
 * sharpen: rows [first, first + out_rows) of a block of rows of the picture (the rest of the
 * block is context). Outside the block, rows and columns reflect about the edge pixel (OpenCV's
 * BORDER_REFLECT_101): the renderer hands over all the context a strip needs except at the
 * picture's own edges. */

static inline Py_ssize_t reflect(Py_ssize_t i, Py_ssize_t n) {
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
    return i;
}

/* Explicit vectors for the blur's sums (GCC and Clang vector extensions): four vectors of sums
 * stay in registers across all taps, which the compiler does not manage from plain loops. Each
 * multiversioned copy lowers them to its own registers (one AVX-512 register per vector, two
 * AVX2 ones, four SSE ones). Other compilers use the plain loop that also does the row ends. */
#if defined(__GNUC__)
#define VECTORS 1
#define LANES 16
typedef float vfloat __attribute__((vector_size(LANES * sizeof(float))));

/* Always inlined: the vectors never cross a real function boundary, so the compilers' note that
 * passing them by value would depend on the target's ABI does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
#define VECTOR_FN static inline __attribute__((always_inline))
VECTOR_FN vfloat vload(const float *p) { vfloat v; memcpy(&v, p, sizeof v); return v; }
VECTOR_FN void vstore(float *p, vfloat v) { memcpy(p, &v, sizeof v); }

#else
#define VECTORS 0
#endif

/* Sums of taps rows (weights w) of a row of n floats each: out[i] = sum_t w[t] rows[t][i] (the
 * horizontal pass reads one row at shifted offsets). */
HOT void tap_sums(float *restrict out, const float *const *rows, const float *w, Py_ssize_t taps, Py_ssize_t n) {
    Py_ssize_t i = 0;
#if VECTORS
    for (; i + 4 * LANES <= n; i += 4 * LANES) {
        vfloat s0 = {0.0f}, s1 = {0.0f}, s2 = {0.0f}, s3 = {0.0f};
        for (Py_ssize_t t = 0; t < taps; t++) {
            const float *r = rows[t] + i;
            const vfloat wt = (vfloat){0.0f} + w[t];
            const vfloat a = vload(r), b = vload(r + LANES), c = vload(r + 2 * LANES), d = vload(r + 3 * LANES);
            s0 += wt * a; s1 += wt * b; s2 += wt * c; s3 += wt * d;
        }
        vstore(out + i, s0);
        vstore(out + i + LANES, s1);
        vstore(out + i + 2 * LANES, s2);
        vstore(out + i + 3 * LANES, s3);
    }
#endif
    for (; i < n; i++) {
        float sum = 0.0f;
        for (Py_ssize_t t = 0; t < taps; t++) sum += w[t] * rows[t][i];
        out[i] = sum;
    }
}

#define GROUP 4 /* output rows whose vertical pass is done together */

/* The vertical pass of GROUP output rows at once: out[k][i] = sum_t w[t] rows[k + t][i], from
 * taps + GROUP - 1 rows, so that each source value is loaded once for all of them (the pass is
 * bound by its loads: row by row it read every source row taps times). pw: the weights with
 * GROUP - 1 zeros on each side, pw[GROUP - 1 + t] = w[t]. */
HOT void group_sums(float *const *out, const float *const *rows, const float *pw, Py_ssize_t taps, Py_ssize_t n) {
    Py_ssize_t i = 0;
#if VECTORS
    for (; i + 2 * LANES <= n; i += 2 * LANES) {
        vfloat a0 = {0.0f}, a1 = {0.0f}, a2 = {0.0f}, a3 = {0.0f};
        vfloat b0 = {0.0f}, b1 = {0.0f}, b2 = {0.0f}, b3 = {0.0f};
        for (Py_ssize_t j = 0; j < taps + GROUP - 1; j++) {
            const float *r = rows[j] + i, *wj = pw + j + GROUP - 1; /* w[j - k] is wj[-k] */
            const vfloat x = vload(r), y = vload(r + LANES);
            const vfloat w0 = (vfloat){0.0f} + wj[0], w1 = (vfloat){0.0f} + wj[-1];
            const vfloat w2 = (vfloat){0.0f} + wj[-2], w3 = (vfloat){0.0f} + wj[-3];
            a0 += w0 * x; b0 += w0 * y;
            a1 += w1 * x; b1 += w1 * y;
            a2 += w2 * x; b2 += w2 * y;
            a3 += w3 * x; b3 += w3 * y;
        }
        vstore(out[0] + i, a0); vstore(out[0] + i + LANES, b0);
        vstore(out[1] + i, a1); vstore(out[1] + i + LANES, b1);
        vstore(out[2] + i, a2); vstore(out[2] + i + LANES, b2);
        vstore(out[3] + i, a3); vstore(out[3] + i + LANES, b3);
    }
#endif
    for (; i < n; i++)
        for (int k = 0; k < GROUP; k++) {
            float sum = 0.0f;
            for (Py_ssize_t t = 0; t < taps; t++) sum += pw[GROUP - 1 + t] * rows[k + t][i];
            out[k][i] = sum;
        }
}

/* Source row r clipped, from the ring of clipped rows (slot r % slots, clipped when first needed:
 * each row once). The rows a group of output rows reads are at most slots apart, so they never
 * share a slot. */
HOT const float *clipped_row(const float *src, float *ring, Py_ssize_t *held, Py_ssize_t slots, Py_ssize_t r,
                             Py_ssize_t rowlen) {
    float *restrict clipped = ring + (r % slots) * rowlen;
    if (held[r % slots] != r) {
        const float *restrict from = src + r * rowlen;
        for (Py_ssize_t i = 0; i < rowlen; i++) clipped[i] = clip01(from[i]);
        held[r % slots] = r;
    }
    return clipped;
}

/* The compute part of sharpen(), without the GIL. work: room for GROUP rows of the vertical pass
 * (with the reflected columns on both sides), one row of the blur, and the ring of taps + GROUP - 1
 * clipped source rows. Per group of output rows: the vertical pass over the clipped rows; then
 * per row the horizontal pass and the mix with the clipped centre row into the output. */
CLONES static void finish_values(const float *restrict src, void *dst, char kind, Py_ssize_t n);

CLONES static void sharpen_rows(const float *src, void *dst, char kind, float *work, Py_ssize_t width,
                                Py_ssize_t rows, Py_ssize_t first, Py_ssize_t out_rows, const float *w,
                                Py_ssize_t taps, float amount) {
    const Py_ssize_t rowlen = 3 * width, radius = taps / 2, span = rowlen + 6 * radius, slots = taps + GROUP - 1;
    float *restrict blur = work + GROUP * span;
    float *ring = blur + rowlen;
    float pw[MAX_TAPS + 2 * (GROUP - 1)] = {0.0f};
    for (Py_ssize_t t = 0; t < taps; t++) pw[GROUP - 1 + t] = w[t];
    const float *lines[MAX_TAPS + GROUP - 1];
    Py_ssize_t held[MAX_TAPS + GROUP - 1];
    for (Py_ssize_t j = 0; j < slots; j++) held[j] = -1;
    float *columns[GROUP];
    for (int k = 0; k < GROUP; k++) columns[k] = work + k * span + 3 * radius;
    Py_ssize_t count;
    for (Py_ssize_t y = 0; y < out_rows; y += count) {
        const Py_ssize_t row = first + y;
        count = out_rows - y >= GROUP ? GROUP : 1;
        for (Py_ssize_t j = 0; j < taps + count - 1; j++)
            lines[j] = clipped_row(src, ring, held, slots, reflect(row + j - radius, rows), rowlen);
        if (count == GROUP)
            group_sums(columns, lines, pw, taps, rowlen);
        else
            tap_sums(columns[0], lines, w, taps, rowlen);
        for (Py_ssize_t k = 0; k < count; k++) {
            float *restrict column = columns[k];
            for (Py_ssize_t e = 1; e <= radius; e++)
                for (int c = 0; c < 3; c++) {
                    column[-3 * e + c] = column[3 * reflect(-e, width) + c];
                    column[rowlen + 3 * (e - 1) + c] = column[3 * reflect(width - 1 + e, width) + c];
                }
            const float *shifted[MAX_TAPS];
            for (Py_ssize_t t = 0; t < taps; t++) shifted[t] = column + 3 * (t - radius);
            tap_sums(blur, shifted, w, taps, rowlen);
            const float *restrict centre = lines[k + radius]; /* row + k itself, clipped */
            if (kind == 'f') {
                float *restrict out = (float *)dst + (y + k) * rowlen;
                for (Py_ssize_t i = 0; i < rowlen; i++) out[i] = (1.0f + amount) * centre[i] - amount * blur[i];
            } else { /* finished straight into 8 bits (RGB or RGBX), as finish() would from the floats */
                for (Py_ssize_t i = 0; i < rowlen; i++) blur[i] = (1.0f + amount) * centre[i] - amount * blur[i];
                finish_values(blur, (unsigned char *)dst + (y + k) * (kind == 'X' ? 4 * width : rowlen), kind, rowlen);
            }
        }
    }
}

static PyObject *sharpen(PyObject *self, PyObject *args) {
    PyObject *src_obj, *dst_obj, *weights_obj;
    Py_ssize_t width, first;
    float amount;
    if (!PyArg_ParseTuple(args, "OOnnOf", &src_obj, &dst_obj, &width, &first, &weights_obj, &amount)) return NULL;
    Py_buffer views[3];
    int opened = 0;
    PyObject *result = NULL;
    float *rowbuf = NULL;
    if (get_floats(src_obj, &views[opened], 0, "the image") < 0) goto done;
    opened++;
    if (PyObject_GetBuffer(dst_obj, &views[opened], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) goto done;
    opened++;
    if (get_floats(weights_obj, &views[opened], 0, "the weights") < 0) goto done;
    opened++;
    const char *format = views[1].format ? views[1].format : "B";
    const int eight_bit = strcmp(format, "B") == 0;
    if (!eight_bit && strcmp(format, "f") != 0) {
        PyErr_SetString(PyExc_TypeError, "sharpen: the output must be float32, or uint8 RGB or RGBX");
        goto done;
    }
    Py_ssize_t rowlen = 3 * width, taps = views[2].len / 4, radius = taps / 2;
    /* an 8-bit output holds 3 or 4 values per pixel: its last dimension says which */
    const Py_ssize_t per_pixel = eight_bit && views[1].ndim >= 1 ? views[1].shape[views[1].ndim - 1] : 3;
    const Py_ssize_t out_row_bytes = eight_bit ? per_pixel * width : 4 * rowlen;
    if (width < 1 || views[0].len % (4 * rowlen) != 0 || (per_pixel != 3 && per_pixel != 4)
        || views[1].len % out_row_bytes != 0 || taps % 2 != 1 || taps > MAX_TAPS) {
        PyErr_SetString(PyExc_ValueError, "sharpen: the image, the output or the weights have the wrong size");
        goto done;
    }
    Py_ssize_t rows = views[0].len / (4 * rowlen), out_rows = views[1].len / out_row_bytes;
    if (first < 0 || first + out_rows > rows) {
        PyErr_SetString(PyExc_ValueError, "sharpen: the output rows are not inside the image");
        goto done;
    }
    rowbuf = malloc((size_t)(GROUP * (rowlen + 6 * radius) + rowlen + (taps + GROUP - 1) * rowlen) * sizeof(float));
    if (!rowbuf) { PyErr_NoMemory(); goto done; }
    const float *src = views[0].buf, *w = views[2].buf;
    const char kind = !eight_bit ? 'f' : per_pixel == 4 ? 'X' : 'B';
    void *dst = views[1].buf;
    Py_BEGIN_ALLOW_THREADS
    sharpen_rows(src, dst, kind, rowbuf, width, rows, first, out_rows, w, taps, amount);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(dst_obj);
done:
    free(rowbuf);
    release_all(views, opened);
    return result;
}

/* ---------------------------------------------------------------------------------------------
 * finish(src, dst): what leaves the renderer. NaN -> 0, the rest clipped to [0, 1]; into float32,
 * or rounded (half to even, as numpy's rint) to 8 or 16 bits. One pass instead of numpy's four. */

CLONES static void finish_values(const float *restrict src, void *dst, char kind, Py_ssize_t n) {
    if (kind == 'f') {
        float *restrict out = dst;
        for (Py_ssize_t i = 0; i < n; i++) out[i] = clip01(src[i]);
    } else if (kind == 'B') {
        unsigned char *restrict out = dst;
        for (Py_ssize_t i = 0; i < n; i++) out[i] = (unsigned char)nearbyintf(clip01(src[i]) * 255.0f);
    } else if (kind == 'X') { /* RGB -> RGBX, the layout Pillow keeps in memory: shared, not copied */
        unsigned char *restrict out = dst;
        for (Py_ssize_t p = 0; p < n / 3; p++) {
            out[4 * p] = (unsigned char)nearbyintf(clip01(src[3 * p]) * 255.0f);
            out[4 * p + 1] = (unsigned char)nearbyintf(clip01(src[3 * p + 1]) * 255.0f);
            out[4 * p + 2] = (unsigned char)nearbyintf(clip01(src[3 * p + 2]) * 255.0f);
            out[4 * p + 3] = 255;
        }
    } else {
        unsigned short *restrict out = dst;
        for (Py_ssize_t i = 0; i < n; i++) out[i] = (unsigned short)nearbyintf(clip01(src[i]) * 65535.0f);
    }
}

static PyObject *finish(PyObject *self, PyObject *args) {
    PyObject *src_obj, *dst_obj;
    if (!PyArg_ParseTuple(args, "OO", &src_obj, &dst_obj)) return NULL;
    Py_buffer views[2];
    int opened = 0;
    PyObject *result = NULL;
    if (get_floats(src_obj, &views[opened], 0, "the image") < 0) goto done;
    opened++;
    if (PyObject_GetBuffer(dst_obj, &views[opened], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) goto done;
    opened++;
    const char *format = views[1].format ? views[1].format : "B";
    char kind = strcmp(format, "f") == 0 ? 'f' : strcmp(format, "B") == 0 ? 'B' : strcmp(format, "H") == 0 ? 'H' : 0;
    if (!kind) {
        PyErr_SetString(PyExc_TypeError, "the output must be float32, uint8 or uint16");
        goto done;
    }
    Py_ssize_t n = views[0].len / 4;
    if (kind == 'B' && n % 3 == 0 && views[1].len == n / 3 * 4)
        kind = 'X';
    else if (views[1].len != n * views[1].itemsize) {
        PyErr_SetString(PyExc_ValueError, "image and output must have the same size (or RGB into 8-bit RGBX)");
        goto done;
    }
    const float *src = views[0].buf;
    void *dst = views[1].buf;
    Py_BEGIN_ALLOW_THREADS
    finish_values(src, dst, kind, n);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(dst_obj);
done:
    release_all(views, opened);
    return result;
}

#if MULTIVERSIONED
/* The most the CPU offers: 4 for x86-64-v4 (AVX-512), 3 for x86-64-v3 (AVX2), 0 otherwise. */
static int detected_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return 4;
    if (__builtin_cpu_supports("x86-64-v3")) return 3;
    return 0;
}
#endif

/* simd(): which version of the loops this CPU runs, for `iea-desktop doctor`. */
static PyObject *simd(PyObject *self, PyObject *unused) {
#if MULTIVERSIONED
    const int level = detected_level();
    if (level == 4) return PyUnicode_FromString("x86-64-v4 (AVX-512)");
    if (level == 3) return PyUnicode_FromString("x86-64-v3 (AVX2)");
    return PyUnicode_FromString("x86-64 baseline (SSE2)");
#else
    return PyUnicode_FromString("the compiler's baseline for this platform");
#endif
}

/* use_simd(level): the explicit vector code used from now on, at most what the CPU has (tests
 * compare each level's results with the portable loops'). Returns the level now in use. */
static PyObject *use_simd(PyObject *self, PyObject *args) {
    int level;
    if (!PyArg_ParseTuple(args, "i", &level)) return NULL;
#if MULTIVERSIONED
    const int most = detected_level();
    simd_level = level < most ? level : most;
    return PyLong_FromLong(simd_level);
#else
    return PyLong_FromLong(0);
#endif
}

static PyMethodDef methods[] = {
    {"simd", simd, METH_NOARGS, "simd(): which version of the pixel loops this CPU runs."},
    {"use_simd", use_simd, METH_VARARGS,
     "use_simd(level): explicit vector code up to level (4 AVX-512, 3 AVX2, 0 none), at most what the\n"
     "CPU has; returns the level now in use."},
    {"run", run, METH_VARARGS,
     "run(src, dst, stages): a fused run of point stages, src (float32 or uint8) -> dst (float32; may be src)."},
    {"finish", finish, METH_VARARGS,
     "finish(src, dst): clip(src, 0, 1) with NaN -> 0 into dst: float32, or rounded to uint8 / uint16;\n"
     "an 8-bit dst with 4 values per RGB pixel of src gets RGBX (X = 255)."},
    {"sharpen", sharpen, METH_VARARGS,
     "sharpen(src, dst, width, first, weights, amount): (1 + amount) clip(src) - amount blur(clip(src)),\n"
     "rows first.. of src into dst (float32, or uint8 RGB or RGBX: finished as finish() would);\n"
     "weights: the odd-length separable Gaussian kernel."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel", NULL, -1, methods};

PyMODINIT_FUNC PyInit__kernel(void) {
#if MULTIVERSIONED
    make_permutes();
    simd_level = detected_level();
#endif
    PyObject *m = PyModule_Create(&module);
    /* the stage kinds of run(): Python reads them from here (kernel.py; the fallback mirrors them) */
    if (m && (PyModule_AddIntConstant(m, "AFFINE", AFFINE) || PyModule_AddIntConstant(m, "TABLE", TABLE) ||
              PyModule_AddIntConstant(m, "SATURATION", SATURATION) || PyModule_AddIntConstant(m, "FIELD", FIELD) ||
              PyModule_AddIntConstant(m, "CLIPPED_AFFINE", CLIPPED_AFFINE) ||
              PyModule_AddIntConstant(m, "MATRIX", MATRIX) || PyModule_AddIntConstant(m, "HUE", HUE) ||
              PyModule_AddIntConstant(m, "DETAIL", DETAIL) || PyModule_AddIntConstant(m, "PLANES", PLANES) ||
              PyModule_AddIntConstant(m, "TOWARD", TOWARD) || PyModule_AddIntConstant(m, "SAVE", SAVE) ||
              PyModule_AddIntConstant(m, "MIX", MIX))) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

/* The trellis and the AC symbol count of msroi/jpeg/trellis.py, compiled by pip when msroi is
 * installed, so a command line starts without numba (whose import and cache load took more
 * time than the encode). Called through ctypes (msroi/jpeg/trellis.py); the module init only
 * makes the file importable as an extension. The arithmetic is the numba kernels', operation
 * for operation in double precision (built with -ffp-contract=off: no fused multiply-add), so
 * both give the same levels; tests/test_rdq.py checks that they do. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static int bit_length(int64_t value) {
    int n = 0;
    while (value) {
        n++;
        value >>= 1;
    }
    return n;
}

/* coefficients float32 (n_blocks, 64) zigzag; table, weights float64 (64,) zigzag; lambdas
 * float64 (n_blocks,); ac_bits float64 (256,) code length per AC symbol (run << 4 | size);
 * writes int16 levels (n_blocks, 64) zigzag into out. */
void msroi_trellis_levels(const float *coefficients, int64_t n_blocks, const double *table,
                          const double *weights, const double *lambdas, const double *ac_bits,
                          int16_t *out) {
    double zero_prefix[64], cost[64];
    int64_t previous[64], level[64];
    const double eob_bits = ac_bits[0], zrl_bits = ac_bits[0xF0];
    for (int64_t b = 0; b < n_blocks; b++) {
        const float *c = coefficients + 64 * b;
        int16_t *o = out + 64 * b;
        const double lam = lambdas[b];
        const double dc = (double)c[0] / table[0];
        o[0] = (int16_t)(dc >= 0 ? (int64_t)floor(dc + 0.5) : -(int64_t)floor(-dc + 0.5));
        zero_prefix[0] = 0.0;
        for (int k = 1; k < 64; k++)
            zero_prefix[k] = zero_prefix[k - 1] + weights[k] * (double)c[k] * (double)c[k];
        cost[0] = 0.0;
        for (int i = 1; i < 64; i++) {
            cost[i] = INFINITY;
            const double magnitude = fabs((double)c[i]);
            const int64_t top = (int64_t)(magnitude / table[i] + 0.5);
            if (top == 0)
                continue;
            for (int64_t a = top; a >= top - 1; a--) {
                if (a == 0)
                    break;
                const int size = bit_length(a);
                const double error = magnitude - (double)a * table[i];
                const double distortion = weights[i] * error * error;
                for (int j = i - 1; j >= 0; j--) {
                    const double zeroed = zero_prefix[i - 1] - zero_prefix[j];
                    if (zeroed + distortion >= cost[i])
                        break; /* earlier j only zero more: every cost term is >= 0 */
                    if (isinf(cost[j]))
                        continue;
                    const int run = i - j - 1;
                    const double bits = (double)(run >> 4) * zrl_bits
                                        + ac_bits[((run & 15) << 4) | size] + (double)size;
                    const double total = cost[j] + zeroed + lam * bits + distortion;
                    if (total < cost[i]) {
                        cost[i] = total;
                        previous[i] = j;
                        level[i] = a;
                    }
                }
            }
        }
        double best = zero_prefix[63] + lam * eob_bits;
        int last = 0;
        for (int e = 1; e < 64; e++) {
            if (isinf(cost[e]))
                continue;
            double total = cost[e] + (zero_prefix[63] - zero_prefix[e]);
            if (e < 63)
                total += lam * eob_bits;
            if (total < best) {
                best = total;
                last = e;
            }
        }
        for (int k = 1; k < 64; k++)
            o[k] = 0;
        for (int64_t e = last; e > 0; e = previous[e])
            o[e] = (int16_t)(c[e] >= 0 ? level[e] : -level[e]);
    }
}

/* Adds the AC symbols (run << 4 | size, ZRL, EOB) of int16 zigzag levels (n_blocks, 64) to
 * counts (256,) int64; returns the magnitude bits that follow the symbols. */
int64_t msroi_ac_symbol_counts(const int16_t *levels, int64_t n_blocks, int64_t *counts) {
    int64_t magnitude_bits = 0;
    for (int64_t b = 0; b < n_blocks; b++) {
        const int16_t *l = levels + 64 * b;
        int run = 0;
        for (int k = 1; k < 64; k++) {
            const int v = l[k];
            if (v == 0) {
                run++;
                continue;
            }
            while (run >= 16) {
                counts[0xF0]++;
                run -= 16;
            }
            const int size = bit_length(abs(v));
            counts[(run << 4) | size]++;
            magnitude_bits += size;
            run = 0;
        }
        if (run > 0)
            counts[0]++;
    }
    return magnitude_bits;
}

static struct PyModuleDef kernels_module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "The trellis kernels in C; called through ctypes by msroi.jpeg.trellis.", -1, NULL,
};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&kernels_module); }

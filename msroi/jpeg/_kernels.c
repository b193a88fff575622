/* The trellis and the AC symbol count of msroi/jpeg/trellis.py, and the Huffman code lengths
 * of msroi/jpeg/entropy.py, compiled by pip when msroi is
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

/* Huffman code length of each of 256 symbols for counts (256,) int64, as libjpeg's optimal
 * tables give them (msroi/jpeg/entropy.py:code_lengths, step for step): a reserved symbol 256
 * of count 1 keeps the all-ones code free; the two lightest subtrees (ties: the lower
 * smallest symbol) merge first; Annex K.2 limits lengths to 16; the shortest codes go to
 * the most frequent symbols (ties: the lower symbol). Writes out (256,) int64. */
void msroi_code_lengths(const int64_t *counts, int64_t *out) {
    int64_t weight[257], length[257] = {0}, bits[258] = {0}; /* a depth never exceeds 257 */
    int key[257], next[257], tail[257], alive[257];
    int symbols[256], n_symbols = 0, n_alive = 0;
    for (int s = 0; s < 257; s++) {
        alive[s] = s == 256 || counts[s] > 0;
        weight[s] = s == 256 ? 1 : counts[s];
        key[s] = s;
        next[s] = -1;
        tail[s] = s;
        n_alive += alive[s];
        if (s < 256 && counts[s] > 0)
            symbols[n_symbols++] = s;
    }
    for (int s = 0; s < 256; s++)
        out[s] = 0;
    if (n_symbols == 0)
        return;
    while (n_alive > 1) {
        int a = -1, b = -1; /* the lightest and the next lightest by (weight, key) */
        for (int s = 0; s < 257; s++) {
            if (!alive[s])
                continue;
            if (a < 0 || weight[s] < weight[a] || (weight[s] == weight[a] && key[s] < key[a])) {
                b = a;
                a = s;
            } else if (b < 0 || weight[s] < weight[b] || (weight[s] == weight[b] && key[s] < key[b])) {
                b = s;
            }
        }
        for (int m = a; m >= 0; m = next[m])
            length[m]++;
        for (int m = b; m >= 0; m = next[m])
            length[m]++;
        next[tail[a]] = b; /* b's members join a's */
        tail[a] = tail[b];
        weight[a] += weight[b];
        key[a] = key[a] < key[b] ? key[a] : key[b];
        alive[b] = 0;
        n_alive--;
    }
    for (int s = 0; s < 257; s++)
        if (length[s] > 0)
            bits[length[s]]++;
    for (int i = 257; i > 16; i--) {
        while (bits[i] > 0) {
            int j = i - 2;
            while (bits[j] == 0)
                j--;
            bits[i] -= 2;
            bits[i - 1] += 1;
            bits[j + 1] += 2;
            bits[j] -= 1;
        }
    }
    int i = 16;
    while (bits[i] == 0)
        i--;
    bits[i] -= 1; /* the reserved symbol gives its code back */
    /* symbols by (length, symbol): insertion sort of at most 256 */
    for (int x = 1; x < n_symbols; x++) {
        int s = symbols[x], y = x - 1;
        while (y >= 0 && (length[symbols[y]] > length[s]
                          || (length[symbols[y]] == length[s] && symbols[y] > s))) {
            symbols[y + 1] = symbols[y];
            y--;
        }
        symbols[y + 1] = s;
    }
    int position = 0;
    for (int l = 1; l <= 16; l++)
        for (int64_t k = 0; k < bits[l]; k++)
            out[symbols[position++]] = l;
}

static struct PyModuleDef kernels_module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "The trellis kernels in C; called through ctypes by msroi.jpeg.trellis.", -1, NULL,
};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&kernels_module); }

"""Rate-distortion choice of each block's AC levels with a per-block lambda (a trellis).

For every 8x8 block the AC levels (zigzag positions 1..63) minimise

    D + lambda_b * R,   D = sum_k w_k (c_k - l_k Q_k)^2,   R = bits of the block's AC code,

where ``c`` are the unquantised DCT coefficients, ``Q`` the quantisation table, ``w`` a
weight per frequency and R what the JPEG entropy coder spends: the Huffman code length of
each (run, size) symbol, the magnitude bits, ZRL for every 16 zeros, EOB. This is the
trellis of mozjpeg (after Ramchandran & Vetterli) with one lambda per block instead of one
per image; the candidates per coefficient are the rounded level, one step towards zero,
and zero. The search is a dynamic programme over the last non-zero position, exact for
the given code lengths. DC levels are plain rounding (a DC off by a step shows as a
visible block; the quantiser never trades it).

Two builds of the same two kernels (:func:`trellis_levels`, :func:`ac_symbol_counts`):
C (``_kernels.c``, compiled by pip at install, called through ctypes: what runs where it
was built) and the Python below, compiled by numba at its first call and cached on disk
(where no compiler was found at install; also the reference the C build is tested against).
numba (and the SciPy it loads) is imported only when a numba kernel runs.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util

import numpy as np

#: Natural (row-major) index of each zigzag position.
ZIGZAG = np.array([0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33,
                   40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43,
                   36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53,
                   60, 61, 54, 47, 55, 62, 63], dtype=np.int64)


def _njit():
    """numba's ``njit`` as the kernels use it; the helpers the kernels call are compiled
    first (numba resolves them as globals of this module when it compiles a kernel)."""
    from numba import njit

    jit = njit(cache=True, nogil=True)
    if not hasattr(_bit_length, "py_func"):
        globals()["_bit_length"] = jit(_bit_length)
    return jit


def numba_kernel(function):
    """``function`` compiled by numba at its first call (see the module docstring)."""
    compiled = []

    @functools.wraps(function)
    def call(*args):
        if not compiled:
            compiled.append(_njit()(function))
        return compiled[0](*args)
    return call


@functools.lru_cache(maxsize=1)
def native_kernels() -> ctypes.CDLL | None:
    """The C kernels (``msroi.jpeg._kernels``) where pip built them, else None."""
    spec = importlib.util.find_spec("msroi.jpeg._kernels")
    if spec is None or not spec.origin or not spec.origin.endswith((".so", ".pyd", ".dylib")):
        return None
    library = ctypes.CDLL(spec.origin)
    pointer = ctypes.c_void_p
    library.msroi_trellis_levels.argtypes = [pointer, ctypes.c_int64] + [pointer] * 5
    library.msroi_trellis_levels.restype = None
    library.msroi_ac_symbol_counts.argtypes = [pointer, ctypes.c_int64, pointer]
    library.msroi_ac_symbol_counts.restype = ctypes.c_int64
    library.msroi_code_lengths.argtypes = [pointer, pointer]
    library.msroi_code_lengths.restype = None
    return library


def _checked(array: np.ndarray, dtype, shape: tuple) -> int:
    """The data pointer of ``array`` for C, after checking what C assumes of it."""
    if array.dtype != dtype or not array.flags.c_contiguous or array.shape != shape:
        raise ValueError(f"kernel argument: {array.dtype} {array.shape} given, C-contiguous "
                         f"{np.dtype(dtype)} {shape} expected")
    return array.ctypes.data


def trellis_levels(coefficients, table, weights, lambdas, ac_bits, out) -> None:
    """``coefficients`` float32 (N, 64) zigzag; ``table``, ``weights`` float64 (64,)
    zigzag; ``lambdas`` float64 (N,); ``ac_bits`` float64 (256,): code length of each AC
    symbol (run << 4 | size); writes int16 levels (N, 64) zigzag into ``out``."""
    library = native_kernels()
    if library is None:
        return numba_trellis_levels(coefficients, table, weights, lambdas, ac_bits, out)
    n = coefficients.shape[0]
    if not out.flags.writeable:
        raise ValueError("kernel argument: out is read-only")
    library.msroi_trellis_levels(
        _checked(coefficients, np.float32, (n, 64)), n, _checked(table, np.float64, (64,)),
        _checked(weights, np.float64, (64,)), _checked(lambdas, np.float64, (n,)),
        _checked(ac_bits, np.float64, (256,)), _checked(out, np.int16, (n, 64)))


def ac_symbol_counts(levels, counts) -> int:
    """Adds the AC symbols (run << 4 | size, ZRL, EOB) of int16 zigzag ``levels`` (N, 64)
    to ``counts`` (256,) int64: what the entropy coder will code. Returns the magnitude
    bits that follow the symbols."""
    library = native_kernels()
    if library is None:
        return numba_ac_symbol_counts(levels, counts)
    n = levels.shape[0]
    return int(library.msroi_ac_symbol_counts(_checked(levels, np.int16, (n, 64)), n,
                                              _checked(counts, np.int64, (256,))))


def _bit_length(value: int) -> int:
    n = 0
    while value:
        n += 1
        value >>= 1
    return n


@numba_kernel
def numba_trellis_levels(coefficients, table, weights, lambdas, ac_bits, out):
    """:func:`trellis_levels` in Python, for numba."""
    n_blocks = coefficients.shape[0]
    zero_prefix = np.empty(64)
    cost = np.empty(64)
    previous = np.empty(64, np.int64)
    level = np.empty(64, np.int64)
    eob_bits = ac_bits[0]
    zrl_bits = ac_bits[0xF0]
    for b in range(n_blocks):
        c = coefficients[b]
        lam = lambdas[b]
        dc = c[0] / table[0]
        out[b, 0] = int(np.floor(dc + 0.5)) if dc >= 0 else -int(np.floor(-dc + 0.5))
        zero_prefix[0] = 0.0
        for k in range(1, 64):
            zero_prefix[k] = zero_prefix[k - 1] + weights[k] * c[k] * c[k]
        cost[0] = 0.0
        for i in range(1, 64):
            cost[i] = np.inf
            magnitude = abs(c[i])
            top = int(magnitude / table[i] + 0.5)
            if top == 0:
                continue
            for a in (top, top - 1):
                if a == 0:
                    break
                size = _bit_length(a)
                error = magnitude - a * table[i]
                distortion = weights[i] * error * error
                for j in range(i - 1, -1, -1):
                    zeroed = zero_prefix[i - 1] - zero_prefix[j]
                    if zeroed + distortion >= cost[i]:
                        break  # earlier j only zero more: every cost term is >= 0
                    if cost[j] == np.inf:
                        continue
                    run = i - j - 1
                    bits = (run >> 4) * zrl_bits + ac_bits[((run & 15) << 4) | size] + size
                    total = cost[j] + zeroed + lam * bits + distortion
                    if total < cost[i]:
                        cost[i] = total
                        previous[i] = j
                        level[i] = a
        best = zero_prefix[63] + lam * eob_bits
        last = 0
        for e in range(1, 64):
            if cost[e] == np.inf:
                continue
            total = cost[e] + (zero_prefix[63] - zero_prefix[e])
            if e < 63:
                total += lam * eob_bits
            if total < best:
                best = total
                last = e
        for k in range(1, 64):
            out[b, k] = 0
        e = last
        while e > 0:
            out[b, e] = level[e] if c[e] >= 0 else -level[e]
            e = previous[e]


@numba_kernel
def numba_ac_symbol_counts(levels, counts):
    """:func:`ac_symbol_counts` in Python, for numba."""
    magnitude_bits = 0
    for b in range(levels.shape[0]):
        run = 0
        for k in range(1, 64):
            v = levels[b, k]
            if v == 0:
                run += 1
                continue
            while run >= 16:
                counts[0xF0] += 1
                run -= 16
            size = _bit_length(abs(v))
            counts[(run << 4) | size] += 1
            magnitude_bits += size
            run = 0
        if run > 0:
            counts[0] += 1
    return magnitude_bits


def to_zigzag(blocks: np.ndarray) -> np.ndarray:
    """(rows, cols, 8, 8) -> (rows * cols, 64) in zigzag order."""
    return blocks.reshape(-1, 64)[:, ZIGZAG]


def from_zigzag(rows: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(rows * cols, 64) zigzag -> (rows, cols, 8, 8)."""
    natural = np.empty_like(rows)
    natural[:, ZIGZAG] = rows
    return natural.reshape(*shape, 8, 8)


def quantise(coefficients: np.ndarray, table: np.ndarray, lambdas: np.ndarray,
             ac_bits: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Trellis levels int16 (rows, cols, 8, 8) of float ``coefficients`` (rows, cols, 8, 8)
    under ``table`` (8, 8), one lambda per block (rows, cols) (0 = plain rounding),
    ``ac_bits`` (256,) code lengths and ``weights`` (8, 8) per frequency (default 1)."""
    zz = np.ascontiguousarray(to_zigzag(coefficients), dtype=np.float32)
    weights = np.ones((8, 8)) if weights is None else weights
    out = quantise_zigzag(zz, to_zigzag(np.asarray(table, np.float64)[None, None])[0],
                          np.asarray(lambdas).reshape(-1), ac_bits,
                          to_zigzag(np.asarray(weights, np.float64)[None, None])[0])
    return from_zigzag(out, coefficients.shape[:2])


def quantise_zigzag(coefficients: np.ndarray, table: np.ndarray, lambdas: np.ndarray,
                    ac_bits: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """:func:`quantise` on zigzag arrays: ``coefficients`` float32 (N, 64), ``table`` and
    ``weights`` (64,), ``lambdas`` (N,); returns int16 (N, 64)."""
    out = np.empty(coefficients.shape, np.int16)
    trellis_levels(coefficients, np.ascontiguousarray(table, np.float64),
                   np.ascontiguousarray(weights, np.float64),
                   np.ascontiguousarray(lambdas, np.float64),
                   np.ascontiguousarray(ac_bits, np.float64), out)
    return out

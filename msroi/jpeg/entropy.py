"""The size of a baseline JPEG with optimised Huffman tables, computed from its levels.

libjpeg's ``optimize_coding`` builds one Huffman table per class (luma/chroma x DC/AC) from
the symbol counts of the whole image (JPEG Annex K.2: Huffman code lengths limited to 16
bits, the all-ones code reserved). The file is then the headers, each symbol's code plus
its magnitude bits, one 0x00 stuffed after each 0xFF byte of coded data, and padding. This
module counts the same symbols from the levels (DC differences in the order the
interleaved scan visits the blocks, MCU by MCU, the partial MCUs' dummy blocks included)
and adds it up, so rate control can search without writing files. Stuffing is estimated
(1 byte in 256); everything else is counted.
"""

from __future__ import annotations

import heapq

import numpy as np

from msroi.jpeg.trellis import ac_symbol_counts, native_kernels, to_zigzag

#: Marker bytes of a baseline JFIF file written by libjpeg besides the Huffman tables:
#: SOI 2, APP0 (JFIF) 18, two DQT 2 x 69, SOF0 19 (3 components), SOS 14, EOI 2.
FIXED_HEADER_BYTES = 2 + 18 + 2 * 69 + 19 + 14 + 2
#: One DHT marker per table: marker 2, length 2, class/id 1, 16 counts, then the symbols.
DHT_OVERHEAD = 21


def code_lengths(counts: np.ndarray) -> np.ndarray:
    """Huffman code length of each symbol (0 if unused) for ``counts`` (256,), as libjpeg's
    optimal tables give them: a reserved symbol keeps the all-ones code free, lengths are
    limited to 16 bits (Annex K.2's adjustment). int64 (256,). Runs in C where pip built
    the kernels (:func:`msroi.jpeg.trellis.native_kernels`), else :func:`python_code_lengths`."""
    library = native_kernels()
    if library is None:
        return python_code_lengths(counts)
    counts = np.ascontiguousarray(counts, np.int64)
    if counts.shape != (256,):
        raise ValueError(f"counts: (256,) expected, {counts.shape} given")
    out = np.empty(256, np.int64)
    library.msroi_code_lengths(counts.ctypes.data, out.ctypes.data)
    return out


def python_code_lengths(counts: np.ndarray) -> np.ndarray:
    """:func:`code_lengths` in Python (the reference the C build is tested against)."""
    counts = np.asarray(counts, np.int64)
    symbols = [int(s) for s in np.flatnonzero(counts)]
    lengths = np.zeros(257, np.int64)
    weights = [(int(counts[s]), s, [s]) for s in symbols] + [(1, 256, [256])]
    if len(weights) == 1:
        return lengths[:256]
    heapq.heapify(weights)
    while len(weights) > 1:
        w1, k1, m1 = heapq.heappop(weights)
        w2, k2, m2 = heapq.heappop(weights)
        lengths[m1 + m2] += 1
        heapq.heappush(weights, (w1 + w2, min(k1, k2), m1 + m2))
    # Annex K.2 (Figure K.3): move codes longer than 16 bits up the tree.
    bits = np.bincount(lengths[lengths > 0], minlength=65)
    for i in range(len(bits) - 1, 16, -1):
        while bits[i] > 0:
            j = i - 2
            while bits[j] == 0:
                j -= 1
            bits[i] -= 2
            bits[i - 1] += 1
            bits[j + 1] += 2
            bits[j] -= 1
    i = 16
    while bits[i] == 0:
        i -= 1
    bits[i] -= 1  # the reserved symbol gives its code back
    # Lengths in order: shortest codes to the most frequent symbols (ties: lower value).
    order = sorted(symbols, key=lambda s: (lengths[s], s))
    out = np.zeros(256, np.int64)
    position = 0
    for length in range(1, 17):
        for _ in range(bits[length]):
            out[order[position]] = length
            position += 1
    return out


def _bit_lengths(values: np.ndarray) -> np.ndarray:
    """JPEG size category (bits of the magnitude) of each integer."""
    return np.frexp(np.abs(values).astype(np.float64))[1].astype(np.int64)


def scan_order_dc(dc: np.ndarray, factors: tuple[int, int], mcus: tuple[int, int]) -> np.ndarray:
    """DC levels (rows, cols) of one component in the order an interleaved scan codes them:
    MCU by MCU, each MCU's ``factors`` (v, h) blocks row by row; blocks of partial MCUs past
    the component's edge are dummies that repeat the previous block's DC."""
    v, h = factors
    rows, cols = mcus[0] * v, mcus[1] * h
    grid = np.full((rows, cols), np.nan)
    grid[: dc.shape[0], : dc.shape[1]] = dc
    ordered = grid.reshape(mcus[0], v, mcus[1], h).transpose(0, 2, 1, 3).reshape(-1)
    missing = np.isnan(ordered)
    if missing.any():  # dummy blocks: the previous block's DC
        index = np.where(~missing, np.arange(ordered.size), 0)
        ordered = ordered[np.maximum.accumulate(index)]
    return ordered.astype(np.int64)


def baseline_size(levels: list[np.ndarray], factors, mcus: tuple[int, int]) -> int:
    """Bytes of the baseline file libjpeg writes (optimised Huffman, no metadata) for int
    levels (rows, cols, 8, 8) per component (Y, Cb, Cr). ``factors``: sampling factors
    (v, h) per component; ``mcus``: (rows, cols) of MCUs."""
    return baseline_size_zigzag([np.ascontiguousarray(to_zigzag(lv)).astype(np.int16) for lv in levels],
                                [lv.shape[:2] for lv in levels], factors, mcus)


def baseline_size_zigzag(levels: list[np.ndarray], shapes, factors, mcus: tuple[int, int]) -> int:
    """:func:`baseline_size` of int16 zigzag levels (rows * cols, 64) per component, with
    each component's block grid ``shapes`` (rows, cols)."""
    dc_counts = [np.zeros(256, np.int64), np.zeros(256, np.int64)]
    ac_counts = [np.zeros(256, np.int64), np.zeros(256, np.int64)]
    magnitude_bits = 0
    for component, (zz, shape, f) in enumerate(zip(levels, shapes, factors)):
        table = 0 if component == 0 else 1
        dc = scan_order_dc(zz[:, 0].reshape(shape), f, mcus)
        sizes = _bit_lengths(np.diff(dc, prepend=0))
        dc_counts[table] += np.bincount(sizes, minlength=256)[:256]
        magnitude_bits += int(sizes.sum())
        magnitude_bits += ac_symbol_counts(zz, ac_counts[table])
        dummies = mcus[0] * mcus[1] * f[0] * f[1] - shape[0] * shape[1]
        ac_counts[table][0] += dummies  # a dummy block is an EOB
    code_bits = 0
    header = FIXED_HEADER_BYTES
    for counts in dc_counts + ac_counts:
        lengths = code_lengths(counts)
        code_bits += int((lengths * counts).sum())
        header += DHT_OVERHEAD + int((counts > 0).sum())
    data = (code_bits + magnitude_bits + 7) // 8
    return header + data + data // 256

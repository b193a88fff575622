"""Map -> per-block field (kept apart from the quantiser, as jpegli does).

A field holds one value per 8x8 DCT block of each component: the mean importance of the
pixels the block covers, and a masking weight saying how much texture the block has to
hide errors in (flat sky is not grass). :mod:`msroi.jpeg.rdq` turns them into lambdas.
"""

from __future__ import annotations

import numpy as np


def block_means(values: np.ndarray, blocks: tuple[int, int], block_pixels: tuple[int, int]) -> np.ndarray:
    """Mean of ``values`` (H, W) over blocks of ``block_pixels`` (bh, bw) pixels laid on a
    grid of ``blocks`` (rows, cols); the image is edge-padded to cover the grid."""
    rows, cols = blocks
    bh, bw = block_pixels
    h, w = rows * bh, cols * bw
    padded = np.pad(np.asarray(values, np.float32),
                    ((0, max(0, h - values.shape[0])), (0, max(0, w - values.shape[1]))),
                    mode="edge")[:h, :w]
    return padded.reshape(rows, bh, cols, bw).mean(axis=(1, 3))


def importance_field(importance: np.ndarray, block_dims: np.ndarray,
                     samp_factor: np.ndarray) -> list[np.ndarray]:
    """Per component, the mean importance (float32 (rows, cols) in [0, 1]) of each block.

    ``block_dims``: (components, 2) blocks per component; ``samp_factor``: (components, 2)
    JPEG sampling factors (vertical, horizontal), e.g. [[2, 2], [1, 1], [1, 1]] for 4:2:0.
    """
    max_v, max_h = samp_factor[:, 0].max(), samp_factor[:, 1].max()
    out = []
    for dims, (v, h) in zip(block_dims, samp_factor):
        block_pixels = (8 * max_v // v, 8 * max_h // h)
        out.append(block_means(importance, tuple(dims), block_pixels))
    return out


def masking_weight(activity_values: np.ndarray) -> np.ndarray:
    """0 for the flattest blocks, 1 for the busiest: the block's activity rank in the
    image, so the field means the same thing in a dark photo and a bright one."""
    flat = activity_values.ravel()
    ranks = np.empty(flat.size, np.float32)
    ranks[np.argsort(flat, kind="stable")] = np.linspace(0.0, 1.0, flat.size, dtype=np.float32)
    return ranks.reshape(activity_values.shape)


def upsample_blocks(field: np.ndarray, dims: tuple[int, int]) -> np.ndarray:
    """A luma block field resized to another component's block grid (mean or repeat)."""
    rows, cols = dims
    fr, fc = field.shape
    if (fr, fc) == (rows, cols):
        return field
    if fr >= rows and fc >= cols:
        return block_means(field, (rows, cols), (-(-fr // rows), -(-fc // cols)))
    return np.repeat(np.repeat(field, -(-rows // fr), 0), -(-cols // fc), 1)[:rows, :cols]

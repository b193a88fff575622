"""Map -> per-block field (kept apart from the quantiser, as jpegli does).

A field holds one value per 8x8 DCT block of each component. :func:`fixation_share`: the
block's share of where people look, the map read as a fixation density; :func:`masking_weight`:
how much texture the block has to hide errors in (flat sky is not grass);
:func:`lambda_multiplier`: the factor on the quantiser's lambda that follows from both.

The objective. The encoder minimises, over every block's levels,

    sum_b (w_b + eps) D_b + lambda R

where ``D_b`` is the block's squared error, ``R`` the file's bits, ``w_b`` the block's share
of the viewers' fixations (mean 1 over the image) and ``eps`` the weight every block keeps
however rarely it is looked at (the whole picture is still seen). Each block's optimum is
then the plain rate-distortion choice at its own lambda, ``lambda / (w_b + eps)``;
normalised so a block at the mean share keeps the base lambda, and with ``eps = 1 /
strength``:

    multiplier_b = (1 + eps) / (w_b + eps) = (strength + 1) / (strength * w_b + 1)

strength 0 ignores the map (every multiplier 1), a flat map gives 1 at any strength, and a
block people look at more never gets a larger lambda. Two perceptual terms follow: a raise
(multiplier > 1) is taken in full by the busiest blocks and by ``flat_share`` of it in the
flattest (texture hides error, flat areas show it), and ``masking`` tilts every block by
its texture rank (negative: busy blocks get more bits, measured to help where people look;
see README, "The encoder judged where people look").
"""

from __future__ import annotations

import numpy as np

from msroi.arrays import box_mean


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


def density_from_map(importance: np.ndarray, density_exponent: float) -> np.ndarray:
    """The map read as a relative fixation density, float64 (H, W), mean 1:
    ``importance ** density_exponent`` over its mean (a flat or all-zero map: all ones)."""
    density = np.asarray(importance, np.float64) ** float(density_exponent)
    mean = density.mean()
    return density / mean if mean > 0 else np.ones_like(density)


def fixation_share(importance: np.ndarray, block_dims: np.ndarray, samp_factor: np.ndarray,
                   *, density_exponent: float) -> list[np.ndarray]:
    """Per component, each block's share ``w_b`` of where people look: float64 (rows, cols),
    mean 1: :func:`density_from_map` of the map (H, W) in [0, 1], averaged over the block
    (:func:`importance_field`) and over its 3x3 neighbours, so quality has no hard edge
    where the map steps."""
    density = density_from_map(importance, density_exponent)
    fields = [box_mean(f, 1) for f in importance_field(density, block_dims, samp_factor)]
    return [f / f.mean() for f in fields]


def lambda_multiplier(share: np.ndarray, texture: np.ndarray, *, strength: float,
                      flat_share: float, masking: float) -> np.ndarray:
    """The factor on the base lambda per block (float64, the shape of ``share``): the
    objective's ``(strength + 1) / (strength * share + 1)`` (module docstring), its raise
    scaled by ``flat_share + (1 - flat_share) * texture``, times ``exp(masking * (texture
    - 1/2))``. ``share``: :func:`fixation_share` (mean 1); ``texture``:
    :func:`masking_weight` in [0, 1]."""
    exponent = np.log((strength + 1.0) / (strength * np.asarray(share, np.float64) + 1.0))
    exponent = np.where(exponent > 0, exponent * (flat_share + (1.0 - flat_share) * texture), exponent)
    return np.exp(exponent + masking * (np.asarray(texture, np.float64) - 0.5))


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

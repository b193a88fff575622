"""Pixels -> JPEG's unquantised DCT coefficients, the input of our own quantiser.

What libjpeg does before quantising, in floating point: JFIF (BT.601 full-range) RGB ->
YCbCr, chroma averaged over 2x2 pixels for 4:2:0, each plane edge-extended to whole 8x8
blocks, level-shifted by 128 and transformed by the 8x8 DCT-II. JPEG's DCT
(F(u,v) = C(u)C(v)/4 sum f(x,y) cos...) is the orthonormal 2-D DCT, so squared errors of
coefficients equal squared errors of samples (Parseval): the quantiser measures distortion
in the coefficients.
"""

from __future__ import annotations

import numpy as np

#: JPEG sampling factors (vertical, horizontal) per component.
SAMPLING = {"4:2:0": ((2, 2), (1, 1), (1, 1)), "4:4:4": ((1, 1), (1, 1), (1, 1))}

#: The orthonormal 8-point DCT-II matrix: C[u, x] = c(u) cos((2x + 1) u pi / 16), c(0) =
#: sqrt(1/8), c(u > 0) = sqrt(2/8). A block's 2-D DCT is C @ block @ C.T (as two small
#: matrix products it is faster here than an FFT library, and needs none).
_DCT = np.array([[np.sqrt((1 if u == 0 else 2) / 8) * np.cos((2 * x + 1) * u * np.pi / 16)
                  for x in range(8)] for u in range(8)])

_RGB_TO_YCBCR = np.array([[0.299, 0.587, 0.114],
                          [-0.168735892, -0.331264108, 0.5],
                          [0.5, -0.418687589, -0.081312411]])


def ycbcr_planes(image: np.ndarray, subsampling: str = "4:2:0") -> list[np.ndarray]:
    """RGB uint8 (H, W, 3) -> [Y (H, W), Cb, Cr] float32 in [0, 255]; chroma halved in both
    directions for 4:2:0 (2x2 means, the odd edge row/column repeated)."""
    rgb = np.asarray(image, np.float32)
    ycc = rgb @ _RGB_TO_YCBCR.T.astype(np.float32)
    ycc[..., 1:] += 128.0
    planes = [ycc[..., 0]]
    for c in (1, 2):
        plane = ycc[..., c]
        if subsampling == "4:2:0":
            h, w = plane.shape
            plane = np.pad(plane, ((0, h % 2), (0, w % 2)), mode="edge")
            plane = plane.reshape(plane.shape[0] // 2, 2, plane.shape[1] // 2, 2).mean(axis=(1, 3))
        planes.append(plane)
    return planes


def block_dct(plane: np.ndarray, blocks: tuple[int, int]) -> np.ndarray:
    """float (h, w) samples in [0, 255] -> DCT coefficients float32 (rows, cols, 8, 8) on a
    grid of ``blocks`` (edge-extended as libjpeg does), level shift included."""
    rows, cols = blocks
    h, w = plane.shape
    padded = np.pad(plane, ((0, max(0, 8 * rows - h)), (0, max(0, 8 * cols - w))), mode="edge")
    tiles = padded[: 8 * rows, : 8 * cols].reshape(rows, 8, cols, 8).transpose(0, 2, 1, 3)
    return (_DCT @ (tiles - 128.0) @ _DCT.T).astype(np.float32)


def component_blocks(height: int, width: int, subsampling: str = "4:2:0") -> list[tuple[int, int]]:
    """Blocks (rows, cols) of each component, as libjpeg lays them out:
    ceil(ceil(size * factor / max factor) / 8)."""
    factors = SAMPLING[subsampling]
    max_v = max(v for v, _ in factors)
    max_h = max(h for _, h in factors)

    def ceil_div(a: int, b: int) -> int:
        return -(-a // b)

    return [(ceil_div(ceil_div(height * v, max_v), 8), ceil_div(ceil_div(width * h, max_h), 8))
            for v, h in factors]


def dct_coefficients(image: np.ndarray, subsampling: str = "4:2:0") -> list[np.ndarray]:
    """Unquantised DCT coefficients of each component of RGB uint8 ``image`` (H, W, 3):
    float32 (rows, cols, 8, 8) per component, rows/cols as libjpeg lays them out."""
    dims = component_blocks(*image.shape[:2], subsampling)
    return [block_dct(p, d) for p, d in zip(ycbcr_planes(image, subsampling), dims)]

"""The fused map's cues: the network's feature energy, gradient x activation and a finer layer's
energy, multiplied and snapped to the photo's edges, and the border-contrast (boundary) prior."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from msroi.arrays import normalize
from msroi.maps.guided import refine_edges, upsample


#: Floor of each cue in the fused product: a cue near zero damps, never vetoes, a region
#: the other two cues agree on (0.25..1 all scored within 0.001 AUC).
CUE_FLOOR = 0.5
#: Calibration of the fused map: the product of three cues is peaked (on Kodak 41% of the
#: area above 0.3, against 78% for the energy map the encoder's modes were tuned on), and
#: raised to this power it spreads like an energy map. Monotone, so rankings (AUC) do not
#: change; at equal bytes (Kodak, aq) it moved region PSNR +0.68 -> +0.75 dB and
#: PSNR-HVS-M +0.30 -> +0.73 dB (README, "Maps").
FUSED_EXPONENT = 0.35
#: The fused map's cues (see :meth:`msroi.nn.classifier.Classifier.cues`).
CUE_NAMES = ("energy", "gradient", "detail")
#: The border-contrast cue (the boundary prior: the frame's edge is mostly background):
#: a stride-16 feature cell's dissimilarity to the most similar BORDER_SHARE of the cells on
#: the frame's edge. It multiplies the calibrated fused map as (CUE_FLOOR + contrast)^2;
#: on BSDS500 train+val photos (220 with objects) it raised recall at object area
#: 0.603 -> 0.647 and AUC 0.888 -> 0.903 (shares 0.1 / 0.5 / 1: 0.639 / 0.647 / 0.635).
BORDER_SHARE = 0.25
#: The final map is (fused^FUSED_EXPONENT x (CUE_FLOOR + contrast)^2)^FINAL_EXPONENT,
#: written as fused^(FUSED_EXPONENT x FINAL_EXPONENT) x (CUE_FLOOR + contrast)^(2 x
#: FINAL_EXPONENT): the 0.5 root keeps the map's spread where the encoder's strengths were
#: tuned (BSDS500 train: 92% of the area above 0.3, mean 0.56; before: 91%, 0.60).
FINAL_EXPONENT = 0.5


def border_contrast(features: np.ndarray, *, share: float = BORDER_SHARE) -> np.ndarray:
    """Dissimilarity of each feature cell to the frame's edge: 1 - the mean cosine
    similarity of the cell's features to the ``share`` most similar cells on the border of
    the grid. ``features``: (h, w, C) float; returns float32 (h, w), high where a cell looks
    like nothing on the border (objects seldom fill the frame's edge)."""
    h, w, channels = features.shape
    cells = features.reshape(-1, channels).astype(np.float64)
    cells /= np.linalg.norm(cells, axis=1, keepdims=True) + 1e-6
    border = np.zeros((h, w), bool)
    border[[0, -1], :] = border[:, [0, -1]] = True
    similarity = cells @ cells[border.ravel()].T
    nearest = max(1, int(round(share * similarity.shape[1])))
    closest = np.partition(similarity, similarity.shape[1] - nearest, axis=1)[:, -nearest:]
    return (1.0 - closest.mean(axis=1)).reshape(h, w).astype(np.float32)


def fuse_cues(cues: dict[str, np.ndarray], image: np.ndarray, *,
              names: Sequence[str] = CUE_NAMES, exponent: float = FUSED_EXPONENT,
              edges: bool = True, border: bool = True) -> np.ndarray:
    """The fused map of one image from :meth:`Classifier.cues` (batch of one): each named
    cue upsampled to the image, normalised, multiplied as (CUE_FLOOR + cue), snapped to
    the photo's edges, normalised and raised to ``exponent``; then (``border``) multiplied
    by (CUE_FLOOR + the border contrast of the detail layer's features, snapped to edges
    on its own)^2 and the whole raised to :data:`FINAL_EXPONENT`. Float32 (H, W) in [0, 1]."""
    shape = image.shape[:2]
    fused = np.ones(shape, np.float32)
    for name in names:
        fused *= CUE_FLOOR + normalize(upsample(cues[name][0], shape))
    fused = normalize(refine_edges(fused, image) if edges else fused) ** exponent
    if not border:
        return fused
    contrast = normalize(upsample(border_contrast(cues["detail_features"][0]), shape))
    contrast = refine_edges(contrast, image) if edges else contrast
    return normalize(fused * (CUE_FLOOR + contrast) ** 2) ** FINAL_EXPONENT


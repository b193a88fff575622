"""The six metrics of the paper's table under two protocols, reachable by name.

- ``"vqmt"`` (the paper's; ``"paper"`` before): as the authors measured with VQMT: both images converted to yuv420p the way
  ffmpeg does (limited-range BT.601), sizes cut to multiples of 16 (top-left kept), every
  metric on the luma plane alone.
- ``"rgb"``: PSNR with one MSE over all RGB samples; SSIM, MS-SSIM and VIFP averaged
  over the R, G and B channels; PSNR-HVS(-M) from their weighted MSE averaged likewise.
"""

from __future__ import annotations

import numpy as np

from msroi.metrics.basic import (check_pair, multiscale_structural_similarity,
                                 peak_signal_noise_ratio, psnr_from_mse, structural_similarity,
                                 studio_luma)
from msroi.metrics.hvs import hvs_mse
from msroi.metrics.vif import visual_information_fidelity
from msroi.names import canonical

METRIC_NAMES = ("psnr", "ssim", "ms_ssim", "vifp", "psnr_hvs", "psnr_hvs_m")
PROTOCOLS = ("vqmt", "rgb")
#: Older spellings still read.
RENAMED_PROTOCOLS = {"paper": "vqmt"}


def vqmt_planes(reference: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The luma planes VQMT saw: limited-range BT.601 Y, cut to multiples of 16."""
    reference, test = check_pair(reference, test)
    h, w = (reference.shape[0] // 16) * 16, (reference.shape[1] // 16) * 16
    return studio_luma(reference[:h, :w]), studio_luma(test[:h, :w])


def compute_metrics(reference: np.ndarray, test: np.ndarray, *, protocol: str = "vqmt",
                    names: tuple[str, ...] = METRIC_NAMES) -> dict[str, float]:
    """The six metrics of the paper's table, by name.

    Parameters
    ----------
    reference, test : ndarray
        RGB uint8 (H, W, 3) of equal shape; reference first.
    protocol : str
        ``"vqmt"`` (the paper's: the luma of a yuv420 conversion, cut to multiples of 16;
        ``"paper"`` still read) or ``"rgb"``.
    names : tuple of str
        Which of :data:`METRIC_NAMES` to compute (default all six).

    Returns
    -------
    dict
        {metric name: value}: psnr, psnr_hvs, psnr_hvs_m in dB; ssim, ms_ssim, vifp unitless.
    """
    protocol = canonical(protocol, PROTOCOLS, kind="protocol", renamed=RENAMED_PROTOCOLS)
    a, b = vqmt_planes(reference, test) if protocol == "vqmt" else check_pair(reference, test)
    unknown = set(names) - set(METRIC_NAMES)
    if unknown:
        raise ValueError(f"unknown metrics: {', '.join(sorted(unknown))}")
    out: dict[str, float] = {}
    if "psnr" in names:
        out["psnr"] = peak_signal_noise_ratio(a, b)
    if "ssim" in names:
        out["ssim"] = structural_similarity(a, b)
    if "ms_ssim" in names:  # five scales need >= 161 px a side; smaller images get nan
        out["ms_ssim"] = (multiscale_structural_similarity(a, b) if min(a.shape[:2]) >= 161
                          else float("nan"))
    if "vifp" in names:
        out["vifp"] = visual_information_fidelity(a, b)
    if "psnr_hvs" in names or "psnr_hvs_m" in names:
        planes = [(a, b)] if a.ndim == 2 else [(a[..., c], b[..., c]) for c in range(a.shape[2])]
        hvs = np.mean([hvs_mse(x, y) for x, y in planes], axis=0)
        if "psnr_hvs" in names:
            out["psnr_hvs"] = psnr_from_mse(float(hvs[0]))
        if "psnr_hvs_m" in names:
            out["psnr_hvs_m"] = psnr_from_mse(float(hvs[1]))
    return {n: out[n] for n in names}

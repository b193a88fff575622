"""The benchmark's tables from its rows: per method at the budget (summary), each method's
bytes against each peer where people look, the rate-quality curves' points and BD-rates.
Data frames in, data frames out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from msroi.metrics import METRIC_NAMES, bd_rate, bytes_at_quality, pooled_psnr

#: The standard JPEG at the reference quality: the budget and the baseline.
STANDARD = "jpeg"
#: The peers every method's BD-rate and bytes where people look are measured against.
BD_ANCHORS = ("libjpeg-turbo", "mozjpeg", "jpegli")


def people_savings(per_image: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """Per method at the budget: its bytes over the bytes each peer's rate curve needs for
    the same fixation-weighted PSNR (:func:`msroi.metrics.bytes_at_quality`), geometric mean
    over the images with fixations (< 1: fewer bytes where people look). Columns
    ``bytes_vs_<peer>``; empty without fixations."""
    if "fixation_psnr" not in per_image or "fixation_psnr" not in curves:
        return pd.DataFrame()
    peers = [p for p in BD_ANCHORS if p in set(curves.method)]
    watched = per_image.dropna(subset=["fixation_psnr"])
    rows = []
    for method, frame in watched.groupby("method", sort=False):
        row = {"method": method, "images": len(frame)}
        for peer in peers:
            ratios = []
            for _, r in frame.iterrows():
                curve = curves[(curves.method == peer) & (curves.image == r.image)]
                if len(curve) >= 2:
                    ratios.append(r.bytes / bytes_at_quality(curve.bytes, curve.fixation_psnr, r.fixation_psnr))
            row[f"bytes_vs_{peer}"] = float(np.exp(np.mean(np.log(ratios)))) if ratios else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _pooled_psnr(frame: pd.DataFrame, prefix: str = "") -> float:
    return pooled_psnr(frame[f"{prefix}sse"].sum(), frame[f"{prefix}samples"].sum())


def summarize(per_image: pd.DataFrame) -> pd.DataFrame:
    """One row per method: total bytes and bpp, set PSNR (one MSE over all RGB samples, as
    CLIC), means of the six metrics, pooled region PSNR, deltas and wins against the
    standard JPEG."""
    has_region = "region_psnr" in per_image
    standard = per_image[per_image.method == STANDARD].set_index("image")
    out = []
    for method, frame in per_image.groupby("method", sort=False):
        frame = frame.set_index("image")
        # Compared on the images the method ran on (oracle rows: those with objects only).
        reference = standard.loc[frame.index]
        row = {"method": method, "images": len(frame), "bytes": int(frame.bytes.sum()),
               "bytes_vs_jpeg": frame.bytes.sum() / reference.bytes.sum(),
               "bpp": 8.0 * frame.bytes.sum() / frame.pixels.sum(),
               "set_psnr_rgb": _pooled_psnr(frame)}
        for metric in METRIC_NAMES:
            row[metric] = frame[metric].mean()
        row["d_psnr"] = row["psnr"] - reference.psnr.mean()
        row["d_psnr_hvs_m"] = row["psnr_hvs_m"] - reference.psnr_hvs_m.mean()
        row["wins_psnr_hvs_m"] = int((frame.psnr_hvs_m > reference.psnr_hvs_m).sum())
        if has_region:
            region = frame.dropna(subset=["region_psnr"])
            row["region_images"] = len(region)
            row["region_psnr"] = _pooled_psnr(region, "region_")
            row["region_ssim"] = region.region_ssim.mean()
            row["d_region_psnr"] = row["region_psnr"] - _pooled_psnr(
                standard.loc[region.index].dropna(subset=["region_psnr"]), "region_")
            row["wins_region_psnr"] = int((region.region_psnr > standard.loc[region.index].region_psnr).sum())
        if "fixation_psnr" in frame and frame.fixation_psnr.notna().any():
            watched = frame.dropna(subset=["fixation_psnr"])
            row["fixation_psnr"] = watched.fixation_psnr.mean()
            row["d_fixation_psnr"] = row["fixation_psnr"] - standard.loc[watched.index].fixation_psnr.mean()
            if "fixation_ssim" in watched:
                row["fixation_ssim"] = watched.fixation_ssim.mean()
        for metric in ("ssimulacra2", "butteraugli"):
            if metric in frame and frame[metric].notna().any():
                row[metric] = frame[metric].mean()
        row["seconds"] = frame.seconds.median()
        out.append(row)
    return pd.DataFrame(out)


def curve_points(curves: pd.DataFrame) -> pd.DataFrame:
    """Per method and curve point: set bpp, set PSNR and pooled region PSNR, over the
    images every method reached at that point."""
    complete = curves.groupby(["image", "point"]).method.transform("nunique") == curves.method.nunique()
    curves = curves[complete]
    rows = []
    for (method, point), frame in curves.groupby(["method", "point"]):
        row = {"method": method, "point": point, "bpp": 8.0 * frame.bytes.sum() / frame.pixels.sum(),
               "psnr": _pooled_psnr(frame)}
        if "region_sse" in frame:
            row["region_psnr"] = _pooled_psnr(frame.dropna(subset=["region_sse"]), "region_")
        rows.append(row)
    return pd.DataFrame(rows)


def bd_table(curves: pd.DataFrame) -> pd.DataFrame:
    """BD-rate (%) of every method against each anchor, on whole-image and region PSNR."""
    if curves.empty:
        return pd.DataFrame()
    points = curve_points(curves)
    rows = []
    for method, frame in points.groupby("method"):
        for anchor in BD_ANCHORS:
            ref = points[points.method == anchor]
            if ref.empty or anchor == method:
                continue
            row = {"method": method, "anchor": anchor}
            for quality in ("psnr", "region_psnr"):
                if quality not in frame or frame[quality].isna().any() or len(frame) < 4:
                    continue
                try:
                    row[f"bd_rate_{quality}"] = bd_rate(ref.bpp, ref[quality], frame.bpp, frame[quality])
                except ValueError:
                    row[f"bd_rate_{quality}"] = float("nan")
            rows.append(row)
    return pd.DataFrame(rows)


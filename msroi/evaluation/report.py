"""What the benchmark leaves: its CSV files and rate-quality plot in a run folder, and the
text it prints."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from msroi.evaluation.tables import curve_points

if TYPE_CHECKING:
    from msroi.evaluation.benchmark import Evaluation

def plot_curves(curves: pd.DataFrame, path: Path) -> None:
    """Rate-quality curves (set bpp vs set PSNR and pooled region PSNR) as a PNG."""
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

    points = curve_points(curves)
    panels = [("psnr", "whole-image PSNR (dB, RGB)")]
    if "region_psnr" in points and points.region_psnr.notna().any():
        panels.append(("region_psnr", "PSNR inside the judge's object masks (dB, RGB)"))
    fig = Figure(figsize=(6.5 * len(panels), 4.8))
    axes = fig.subplots(1, len(panels), squeeze=False)
    for ax, (column, title) in zip(axes[0], panels):
        for method, frame in points.groupby("method"):
            frame = frame.sort_values("bpp")
            ax.plot(frame.bpp, frame[column], marker="o", ms=3, label=method)
        ax.set_xlabel("bits per pixel (set total)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def write_outputs(evaluation: Evaluation, out: Path) -> list[Path]:
    """CSV files and the curves' plot into ``out``; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("per_image", "summary", "curves", "bd_rates", "map_scores", "fixation_scores",
                 "people_savings"):
        frame = getattr(evaluation, name)
        if not frame.empty:
            frame.to_csv(out / f"{name}.csv", index=False)
            written.append(out / f"{name}.csv")
    if not evaluation.curves.empty:
        plot_curves(evaluation.curves, out / "rate_quality.png")
        written.append(out / "rate_quality.png")
    return written


def format_report(evaluation: Evaluation) -> str:
    """The printed tables: summary at the budget, map scores, BD-rates."""
    lines = [f"At the budget of the standard JPEG at quality {evaluation.reference_quality} "
             f"(metrics: protocol '{evaluation.protocol}'; region = independent judge's objects)"]
    columns = ["method", "bytes_vs_jpeg", "bpp", "set_psnr_rgb", "psnr", "ssim", "ms_ssim", "vifp",
               "psnr_hvs", "psnr_hvs_m", "d_psnr_hvs_m", "wins_psnr_hvs_m", "region_psnr",
               "d_region_psnr", "wins_region_psnr", "fixation_psnr", "d_fixation_psnr",
               "fixation_ssim", "ssimulacra2", "butteraugli", "seconds"]
    summary = evaluation.summary[[c for c in columns if c in evaluation.summary]]
    lines.append(summary.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if not evaluation.map_scores.empty:
        scores = evaluation.map_scores.groupby("map")[["auc", "recall_at_area", "mass_inside"]].mean()
        lines += ["", f"Maps against the judge ({evaluation.map_scores.image.nunique()} images with objects)",
                  scores.to_string(float_format=lambda v: f"{v:.3f}")]
    if not evaluation.fixation_scores.empty:
        scores = evaluation.fixation_scores.groupby("map", sort=False)[
            ["nss", "auc_judd", "shuffled_auc", "cc", "sim", "kl"]].mean()
        lines += ["", f"Maps against people ({evaluation.fixation_scores.image.nunique()} images "
                  "with fixations)", scores.to_string(float_format=lambda v: f"{v:.3f}")]
    if not evaluation.people_savings.empty:
        lines += ["", "Bytes over what each peer needs for the same fixation-weighted PSNR "
                  "(geometric mean; < 1 = fewer bytes where people look)",
                  evaluation.people_savings.to_string(index=False, float_format=lambda v: f"{v:.3f}")]
    if not evaluation.bd_rates.empty:
        lines += ["", "BD-rate (%, negative = fewer bytes for the same quality)",
                  evaluation.bd_rates.to_string(index=False, float_format=lambda v: f"{v:+.2f}")]
    return "\n".join(lines)


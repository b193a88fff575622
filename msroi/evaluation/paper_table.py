"""The paper's exact protocol on Kodak, beside the authors' own per-image log.

For each image: our map, the paper's combine (mixing model 6 by default, quality ladder by
Pillow, final quality searched from 90 down within ``threshold_pct`` of the standard JPEG
at quality 50), the six metrics on the luma of a yuv420 conversion (VQMT's protocol), and
the authors' figures for the same image from ``paper_kodak_metrics.log``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from msroi.io import read_image
from msroi.arrays import map_to_uint8
from msroi.codecs.paper import find_best_quality, mix_image
from msroi.errors import InvalidArgumentError
from msroi.jpeg.standard import decode, encode_pillow
from msroi.metrics import METRIC_NAMES, compute_metrics

LOG_COLUMNS = ["path", "mixing_model", "png_bytes", "jpeg_bytes", "ours_bytes", "jpeg_q", "ours_q"]


def read_paper_log(path: str | Path) -> pd.DataFrame:
    """The authors' log: one row per image with sizes, qualities and the six metrics of
    the standard JPEG (``jpeg_<metric>``) and of theirs (``ours_<metric>``)."""
    rows = []
    for line in Path(path).read_text().splitlines():
        parts = [p.split() for p in line.split("|")]
        if len(parts) < 3 or len(parts[0]) != len(LOG_COLUMNS):
            continue
        row = dict(zip(LOG_COLUMNS, parts[0]))
        row.update({f"jpeg_{m}": float(v) for m, v in zip(METRIC_NAMES, parts[1])})
        row.update({f"ours_{m}": float(v) for m, v in zip(METRIC_NAMES, parts[2])})
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise InvalidArgumentError(f"{path}: no log lines in the expected layout")
    frame["image"] = frame.path.map(lambda p: Path(p).name)
    for column in LOG_COLUMNS[1:]:
        frame[column] = frame[column].astype(int)
    return frame.drop(columns="path")


def paper_protocol(files: list[Path], *, map_maker: Callable[[np.ndarray], np.ndarray],
                   mixing_model: int = 6, threshold_pct: float = 2.0, quality: int = 50,
                   progress: bool = True) -> pd.DataFrame:
    """Our run of the paper's protocol: one row per image, same columns as the log."""
    from tqdm import tqdm

    rows = []
    for path in tqdm(files, unit="img", disable=not progress):
        pixels = read_image(path)
        standard = encode_pillow(pixels, quality)
        mixed = mix_image(pixels, map_to_uint8(map_maker(pixels)), mixing_model=mixing_model)
        q, data, met = find_best_quality(mixed, len(standard) * (1 + threshold_pct / 100))
        row = {"image": path.name, "mixing_model": mixing_model, "jpeg_bytes": len(standard),
               "ours_bytes": len(data), "jpeg_q": quality, "ours_q": q, "budget_met": met}
        for prefix, encoded in (("jpeg", standard), ("ours", data)):
            values = compute_metrics(pixels, decode(encoded), protocol="vqmt")
            row.update({f"{prefix}_{m}": v for m, v in values.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def side_by_side(ours: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Per image: bytes ratio and the gain (ours - standard JPEG) of PSNR and PSNR-HVS-M,
    for the authors' log and for this run, plus the mean row."""
    merged = ours.merge(paper, on="image", suffixes=("", "_paper"))
    table = pd.DataFrame({
        "image": merged.image,
        "paper_bytes_ratio": merged.ours_bytes_paper / merged.jpeg_bytes_paper,
        "our_bytes_ratio": merged.ours_bytes / merged.jpeg_bytes,
        "paper_jpeg_psnr": merged.jpeg_psnr_paper, "our_jpeg_psnr": merged.jpeg_psnr,
        "paper_d_psnr": merged.ours_psnr_paper - merged.jpeg_psnr_paper,
        "our_d_psnr": merged.ours_psnr - merged.jpeg_psnr,
        "paper_d_ms_ssim": merged.ours_ms_ssim_paper - merged.jpeg_ms_ssim_paper,
        "our_d_ms_ssim": merged.ours_ms_ssim - merged.jpeg_ms_ssim,
        "paper_d_psnr_hvs_m": merged.ours_psnr_hvs_m_paper - merged.jpeg_psnr_hvs_m_paper,
        "our_d_psnr_hvs_m": merged.ours_psnr_hvs_m - merged.jpeg_psnr_hvs_m,
    }).sort_values("image")
    mean = table.drop(columns="image").mean().to_frame().T
    mean.insert(0, "image", "mean")
    return pd.concat([table, mean], ignore_index=True)


def run_paper_table(files: list[Path], reference: str | Path, out: Path, *, model: str | None = None,
                    map_options: dict | None = None, mixing_model: int = 6,
                    threshold_pct: float = 2.0, quality: int = 50,
                    progress: bool = True) -> tuple[pd.DataFrame, list[Path]]:
    """The paper's protocol on ``files`` with msroi's maps (``model``, ``map_options`` as
    :func:`msroi.maps.generate_map`), beside the authors' log ``reference``; writes
    ``paper_protocol.csv`` and ``paper_table.csv`` into the folder ``out`` (msroi's own run
    folder). Returns the side-by-side table and the paths written."""
    from msroi.maps import generate_map

    paper = read_paper_log(reference)  # a bad log fails before any work
    options = map_options or {}
    ours = paper_protocol(files, map_maker=lambda image: generate_map(image, model, **options),
                          mixing_model=mixing_model, threshold_pct=threshold_pct,
                          quality=quality, progress=progress)
    table = side_by_side(ours, paper)
    written = [out / "paper_protocol.csv", out / "paper_table.csv"]
    for frame, path in zip((ours, table), written):
        frame.to_csv(path, index=False)
    return table, written

"""The encoder judged where people look: the frontier of bytes saved where people look
against whole-image quality, over strengths, own maps and the viewers' own density (the
oracle), against the better of mozjpeg and jpegli, on the validation photos of human
eye-fixation sets.

For each photo: each peer's rate curve (qualities 10..98, fixation-weighted PSNR) and its
file at the budget (the standard JPEG at quality 50; quality searched, never over); msroi
at the same budget at each strength, with the default map and with the viewers' own
fixation density as the map (raised to the shipped readout's calibration exponent, so the
encoder reads it as the density itself). Measures: fixation-weighted PSNR (squared error
weighted by the viewers' density), PSNR, PSNR-HVS-M, SSIMULACRA2 (whole image; the
``ssimulacra2`` package), Butteraugli (libjxl's ``butteraugli_main``, with
``--butteraugli``), and "bytes at equal fixation-weighted PSNR": msroi's bytes over the bytes
the peer needing fewer needs for the same fixation-weighted PSNR (log-linear on its rate
curve; geometric mean). Differences at equal bytes are against the better peer per photo
and measure. Writes per_photo.csv, summary.csv and frontier.png (bytes saved where people
look against the SSIMULACRA2 change; mozjpeg and jpegli as points).

    python benchmarks/semantic_frontier.py --data ../shared/data/fixations/eyecrowd500 \\
        ../shared/data/fixations/scene500 --offset 20 --limit 60 --jobs 2 \\
        --out benchmarks/results/semantic_frontier
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import run_folder  # benchmarks/run_folder.py (the scripts run from this folder)

ROOT = Path(__file__).resolve().parent.parent
LADDER = (10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 98)
PEERS = ("mozjpeg", "jpegli")
STRENGTHS = (0.0, 0.3, 0.6, 1.0, 2.0, 3.0, 5.0)
MAPS = ("own", "oracle")


def measure(image: np.ndarray, density: np.ndarray, data: bytes, *, perceptual: bool,
            butteraugli: bool = False) -> dict:
    from msroi.jpeg.standard import decode
    from msroi.metrics import peak_signal_noise_ratio, psnr_hvs_m_rgb, weighted_psnr

    decoded = decode(data)
    row = {"bytes": len(data), "fixation_psnr": weighted_psnr(image, decoded, density),
           "psnr": peak_signal_noise_ratio(image, decoded)}
    if perceptual:
        from msroi.metrics.perceptual import butteraugli as butteraugli_distance
        from msroi.metrics.perceptual import ssimulacra2

        row["psnr_hvs_m"] = psnr_hvs_m_rgb(image, decoded)
        row["ssimulacra2"] = ssimulacra2(image, decoded)
        if butteraugli:
            row["butteraugli"] = butteraugli_distance(image, decoded)[0]
    return row


def one_photo(task: tuple) -> list[dict]:
    """Every row of one photo: the peers at the budget, then msroi per map and strength."""
    folder, name, strengths, butteraugli = task
    from msroi import maps
    from msroi.evaluation.benchmark import people_as_map
    from msroi.fixations import FixationSet
    from msroi.io import read_image
    from msroi.codecs.rdq import RDQuantiserCodec
    from msroi.codecs.registry import CODECS
    from msroi.jpeg.standard import encode_pillow
    from msroi.metrics import bytes_at_quality
    from msroi.rate import Budget, compress_to_budget

    network = maps.resolve_model(None)
    photo = FixationSet(folder).photo(name)
    image = read_image(photo.path)
    density = photo.density()
    budget = Budget(max_bytes=len(encode_pillow(image, 50)))
    base = {"set": Path(folder).name, "photo": name}
    rows, curves = [], {}
    blank = np.zeros(photo.size, np.float32)
    for peer in PEERS:
        codec = CODECS[peer]()
        with codec.prepare(image, blank) as state:
            curves[peer] = []
            for quality in LADDER:
                measured = measure(image, density, codec.encode(state, quality), perceptual=False)
                curves[peer].append((measured["bytes"], measured["fixation_psnr"]))
        at_budget = compress_to_budget(codec, image, blank, budget)
        rows.append({**base, "setting": peer, "map": "-", "strength": np.nan,
                     **measure(image, density, at_budget.data, perceptual=True,
                               butteraugli=butteraugli)})
    importance = {"own": maps.generate_map(image, network),
                  "oracle": people_as_map(density)}
    for strength in strengths:
        for map_name in (MAPS if strength else MAPS[:1]):  # strength 0 ignores the map
            result = compress_to_budget(RDQuantiserCodec(strength=strength), image,
                                        importance[map_name], budget)
            measured = measure(image, density, result.data, perceptual=True, butteraugli=butteraugli)
            rows.append({**base, "setting": "msroi", "map": map_name if strength else "-",
                         "strength": strength, **measured})
    for row in rows:  # against the peer that needs fewer bytes for the same quality where people look
        row["bytes_at_equal_fixation_psnr"] = row["bytes"] / min(
            bytes_at_quality(*zip(*c), row["fixation_psnr"]) for c in curves.values())
    return rows


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """One row per setting: geometric-mean bytes ratios, mean differences against the better
    peer per photo and measure (higher is better except Butteraugli, lower is better)."""
    measures = [m for m in ("fixation_psnr", "psnr", "psnr_hvs_m", "ssimulacra2", "butteraugli")
                if m in table]
    peers = table[table.setting.isin(PEERS)]
    best = peers.groupby(["set", "photo"])[measures].max()
    if "butteraugli" in measures:
        best["butteraugli"] = peers.groupby(["set", "photo"])["butteraugli"].min()
    summary = []
    for (setting, map_name, strength), group in table.groupby(["setting", "map", "strength"],
                                                              sort=False, dropna=False):
        group = group.set_index(["set", "photo"])
        row = {"setting": setting, "map": map_name, "strength": strength, "photos": len(group),
               "bytes_at_equal_fixation_psnr": float(np.exp(np.log(group.bytes_at_equal_fixation_psnr).mean()))}
        for m in measures:
            row[f"d_{m}"] = float((group[m] - best.loc[group.index, m]).mean())
        summary.append(row)
    return pd.DataFrame(summary)


def plot(summary: pd.DataFrame, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.6))
    ax = fig.subplots()
    for map_name, label in (("own", "msroi, own map"), ("oracle", "msroi, viewers' density (oracle)")):
        line = summary[(summary.setting == "msroi") & summary["map"].isin([map_name, "-"])]
        line = line.sort_values("strength")
        ax.plot(line.d_ssimulacra2, 100 * (1 - line.bytes_at_equal_fixation_psnr), "o-", label=label)
        for _, r in line.iterrows():
            ax.annotate(f"{r.strength:g}", (r.d_ssimulacra2, 100 * (1 - r.bytes_at_equal_fixation_psnr)),
                        fontsize=7, xytext=(3, 3), textcoords="offset points")
    for _, r in summary[summary.setting.isin(PEERS)].iterrows():
        ax.scatter(r.d_ssimulacra2, 100 * (1 - r.bytes_at_equal_fixation_psnr), marker="s", color="k")
        ax.annotate(r.setting, (r.d_ssimulacra2, 100 * (1 - r.bytes_at_equal_fixation_psnr)),
                    fontsize=8, xytext=(4, -10), textcoords="offset points")
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel("whole-image SSIMULACRA2 vs the better peer at equal bytes (points)")
    ax.set_ylabel("bytes saved at equal fixation-weighted PSNR (%)")
    ax.set_title("where people look vs the whole image (labels: strength)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=130)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", required=True, help="fixation set folders")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "semantic_frontier")
    parser.add_argument("--offset", type=int, default=0, help="skip the first N validation photos per set")
    parser.add_argument("--limit", type=int, default=0, help="at most N validation photos per set")
    parser.add_argument("--strengths", nargs="+", type=float, default=list(STRENGTHS))
    parser.add_argument("--butteraugli", action="store_true", help="also Butteraugli (butteraugli_main)")
    parser.add_argument("--jobs", type=int, default=1, help="photos measured in parallel")
    args = parser.parse_args(argv)
    run_folder.claim(parser, args.out)  # a user's folder is refused before any work

    from tqdm import tqdm

    from msroi.fixations import FixationSet

    tasks = []
    for folder in args.data:
        names = FixationSet(folder).split()[1][args.offset:]
        tasks += [(folder, name, tuple(args.strengths), args.butteraugli)
                  for name in names[: args.limit or None]]
    if args.jobs > 1:
        from multiprocessing import get_context

        with get_context("spawn").Pool(args.jobs) as pool:
            results = list(tqdm(pool.imap(one_photo, tasks), total=len(tasks), unit="img"))
    else:
        results = [one_photo(t) for t in tqdm(tasks, unit="img")]
    table = pd.DataFrame([row for rows in results for row in rows])
    table.to_csv(args.out / "per_photo.csv", index=False)
    summary = summarise(table)
    summary.to_csv(args.out / "summary.csv", index=False)
    plot(summary, args.out / "frontier.png")
    pd.set_option("display.width", 220)
    print(f"{len(tasks)} validation photos; budget = standard JPEG Q50; differences vs the better "
          "of mozjpeg and jpegli per photo and measure at equal bytes; bytes at equal "
          "fixation-weighted PSNR: geometric mean of msroi / the peer needing fewer bytes")
    print(summary.to_string(index=False, float_format=lambda v: f"{v:+.3f}"))
    print(f"wrote {args.out / 'summary.csv'}, {args.out / 'per_photo.csv'}, {args.out / 'frontier.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

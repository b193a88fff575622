"""The encoder judged where people look: msroi at the budget of the standard JPEG (quality
50) against the better of mozjpeg and jpegli, on the validation photos of human eye-fixation sets.

For each photo: each peer's rate curve (qualities 10..98) and its file at the budget (quality
searched, never over); each msroi setting at the same budget with its map: the default map,
the fused map it replaced, and the viewers' own fixation density (the oracle: what a perfect
map of where people look would give; raised to the default readout's calibration exponent so
its value spread is the one the strengths were tuned on). Measures: fixation-weighted PSNR
(squared error weighted by the viewers' density), PSNR, PSNR-HVS-M, SSIMULACRA2 (whole
image), and "bytes at equal fixation-weighted PSNR": msroi's bytes over the bytes the peer
needing fewer needs for the same fixation-weighted PSNR (log-linear on its rate curve);
differences at equal bytes are against the better peer per photo and measure. Writes per-photo
and summary CSVs and a plot.

    python benchmarks/fixation_encoder.py --data ../shared/data/fixations/eyecrowd500 \
        ../shared/data/fixations/scene500 --out benchmarks/results/fixation_encoder
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
LADDER = (10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 98)
PEERS = ("mozjpeg", "jpegli")


def measure(image: np.ndarray, density: np.ndarray, data: bytes, *, perceptual: bool) -> dict:
    from msroi.jpeg.standard import decode
    from msroi.metrics import peak_signal_noise_ratio, psnr_hvs_m_rgb, weighted_psnr

    decoded = decode(data)
    row = {"bytes": len(data), "fixation_psnr": weighted_psnr(image, decoded, density),
           "psnr": peak_signal_noise_ratio(image, decoded)}
    if perceptual:
        from msroi.metrics.perceptual import ssimulacra2

        row["psnr_hvs_m"] = psnr_hvs_m_rgb(image, decoded)
        row["ssimulacra2"] = ssimulacra2(image, decoded)
    return row


def bytes_for(curve: list[tuple[int, float]], value: float) -> float:
    """Bytes mozjpeg needs for ``value`` (fixation-weighted PSNR), log-linear between the
    rate curve's points (bytes, value); extrapolated linearly in log bytes at the ends."""
    sizes = np.log([c[0] for c in curve])
    values = np.array([c[1] for c in curve])
    order = np.argsort(values)
    values, sizes = values[order], sizes[order]
    if value <= values[0]:
        i = 0
    elif value >= values[-1]:
        i = len(values) - 2
    else:
        i = int(np.searchsorted(values, value)) - 1
    t = (value - values[i]) / max(values[i + 1] - values[i], 1e-9)
    return float(np.exp(sizes[i] + t * (sizes[i + 1] - sizes[i])))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", required=True, help="fixation set folders")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "fixation_encoder")
    parser.add_argument("--limit", type=int, default=0, help="at most N validation photos per set")
    parser.add_argument("--strengths", nargs="+", type=float, default=[0.75],
                        help="rdq strengths (default 0.75 = balanced)")
    args = parser.parse_args(argv)

    from tqdm import tqdm

    from msroi import maps
    from msroi.fixations import FixationSet
    from msroi.io import read_image
    from msroi.jpeg.registry import CODECS
    from msroi.jpeg.rdq import RDQuantiserCodec
    from msroi.jpeg.standard import encode_pillow
    from msroi.rate import Budget, compress_to_budget
    from msroi.readout import readout_of

    network = maps.resolve_model(None)
    readout = readout_of(network)
    gamma = readout.gamma if readout is not None else 1.0
    rows = []
    for folder in args.data:
        data = FixationSet(folder)
        names = data.split()[1][: args.limit or None]
        for name in tqdm(names, unit="img", desc=Path(folder).name):
            photo = data.photo(name)
            image = read_image(photo.path)
            density = photo.density()
            budget = Budget(max_bytes=len(encode_pillow(image, 50)))
            base = {"set": Path(folder).name, "photo": name}
            curves = {}  # peer -> its rate curve (bytes, fixation-weighted PSNR)
            blank = np.zeros(photo.size, np.float32)
            for peer in PEERS:
                codec = CODECS[peer]()
                curves[peer] = []
                with codec.prepare(image, blank) as state:
                    for quality in LADDER:
                        measured = measure(image, density, codec.encode(state, quality), perceptual=False)
                        curves[peer].append((measured["bytes"], measured["fixation_psnr"]))
                at_budget = compress_to_budget(codec, image, blank, budget)
                rows.append({**base, "setting": peer, "map": "-",
                             **measure(image, density, at_budget.data, perceptual=True)})
            oracle = (density / density.max()).astype(np.float32) ** np.float32(gamma)
            importance = {"default": maps.generate_map(image, network),
                          "fused (before)": maps.generate_map(image, network, recipe="fused"),
                          "human fixations (oracle)": oracle}
            settings = [(0.0, "-")] + [(s, m) for s in args.strengths for m in importance]
            for strength, map_name in settings:
                codec = RDQuantiserCodec(strength=strength)
                result = compress_to_budget(codec, image, importance.get(map_name, oracle), budget)
                measured = measure(image, density, result.data, perceptual=True)
                # against the peer that needs fewer bytes for the same quality where people look
                needed = min(bytes_for(c, measured["fixation_psnr"]) for c in curves.values())
                rows.append({**base, "setting": f"rdq s={strength:g}", "map": map_name,
                             "bytes_at_equal_fixation_psnr": measured["bytes"] / needed, **measured})
    table = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "per_photo.csv", index=False)
    measures = ("fixation_psnr", "psnr", "psnr_hvs_m", "ssimulacra2")
    peers = table[table.setting.isin(PEERS)]
    best = peers.groupby(["set", "photo"])[list(measures)].max()  # the better peer per measure
    moz = peers[peers.setting == "mozjpeg"].set_index(["set", "photo"])
    summary = []
    for (setting, map_name), group in table[~table.setting.isin(PEERS)].groupby(["setting", "map"], sort=False):
        group = group.set_index(["set", "photo"])
        row = {"setting": setting, "map": map_name, "photos": len(group),
               "bytes_vs_mozjpeg": float((group.bytes / moz.bytes).mean()),
               "bytes_at_equal_fixation_psnr": float(np.exp(np.log(group.bytes_at_equal_fixation_psnr).mean()))}
        for m in measures:
            row[f"d_{m}"] = float((group[m] - best[m]).mean())
        summary.append(row)
    summary = pd.DataFrame(summary)
    summary.to_csv(args.out / "summary.csv", index=False)
    pd.set_option("display.width", 220)
    print(f"{len(moz)} validation photos; budget = standard JPEG Q50; differences vs the better "
          "of mozjpeg and jpegli per photo and measure at equal bytes; bytes at equal "
          "fixation-weighted PSNR: geometric mean of msroi / the peer needing fewer bytes")
    print(summary.to_string(index=False, float_format=lambda v: f"{v:+.3f}"))

    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4.5))
    ax = fig.subplots()
    for _, r in summary.iterrows():
        ax.scatter(r.d_ssimulacra2, r.bytes_at_equal_fixation_psnr)
        ax.annotate(f"{r.setting} {r['map']}", (r.d_ssimulacra2, r.bytes_at_equal_fixation_psnr),
                    fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.axhline(1, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel("whole-image SSIMULACRA2 vs the better peer at equal bytes")
    ax.set_ylabel("bytes at equal fixation-weighted PSNR (x the better peer)")
    fig.tight_layout()
    fig.savefig(args.out / "fixation_encoder.png", dpi=130)
    print(f"wrote {args.out / 'summary.csv'}, {args.out / 'per_photo.csv'}, {args.out / 'fixation_encoder.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

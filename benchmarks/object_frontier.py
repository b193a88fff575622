"""Semantic gain at equal bytes against the best map-blind peer, with our maps and with the
judge's object masks as the map (the oracle: analysis only), over strengths.

For each photo where the independent judge finds objects (5-70% of the frame): the budget
is the standard JPEG at quality 50; mozjpeg and jpegli (quality searched, never over) and
each msroi setting are held to it; region = the judge's objects, background = the rest;
PSNR on RGB, PSNR-HVS-M on luma. "The peer" of a measure is the better of mozjpeg and
jpegli in it, per photo. Writes per-photo and summary CSVs and the frontier plot
(region gain vs background loss over strengths, own map and oracle). The committed results
keep the retired two-level switch's rows ("aq", run at commit 1dab072 before it was
removed) in retired_aq_summary.csv.

    python benchmarks/object_frontier.py --data ../shared/data/kodak ../shared/data/live1 \\
        --out benchmarks/results/semantic
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import run_folder  # benchmarks/run_folder.py (the scripts run from this folder)

ROOT = Path(__file__).resolve().parent.parent
RDQ_STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0, 2.0, 3.0, 4.0)


def measure(image: np.ndarray, mask: np.ndarray, data: bytes) -> dict:
    from msroi.jpeg.standard import decode
    from msroi.metrics import psnr_hvs_m_rgb
    from msroi.metrics.basic import psnr_from_mse

    decoded = decode(data)
    error = (decoded.astype(np.float64) - image) ** 2
    return {"bytes": len(data), "psnr": psnr_from_mse(error.mean()),
            "region": psnr_from_mse(error[mask].mean()),
            "background": psnr_from_mse(error[~mask].mean()),
            "psnr_hvs_m": psnr_hvs_m_rgb(image, decoded)}


def settings():
    from msroi.codecs.rdq import RDQuantiserCodec

    return {f"rdq s={s:g}": (lambda s=s: RDQuantiserCodec(strength=s)) for s in RDQ_STRENGTHS}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", required=True, help="folders of photos")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "semantic")
    parser.add_argument("--limit", type=int, default=0, help="at most N photos with objects")
    args = parser.parse_args(argv)
    run_folder.claim(parser, args.out)  # a user's folder is refused before any work

    from tqdm import tqdm

    import msroi
    from msroi.io import find_images, read_image
    from msroi.codecs.registry import CODECS
    from msroi.jpeg.standard import encode_pillow
    from msroi.evaluation.judge import Judge
    from msroi.rate import Budget, compress_to_budget

    judge = Judge()
    files = [f for folder in args.data for f in find_images(folder)]
    rows = []
    used = 0
    for path in tqdm(files, unit="img"):
        image = read_image(path)
        mask = judge.mask(image)
        if not 0.05 <= mask.mean() <= 0.7:
            continue
        used += 1
        budget = Budget(max_bytes=len(encode_pillow(image, 50)))
        maps = {"own": msroi.generate_map(image), "oracle": mask.astype(np.float32)}
        base = {"photo": path.name, "folder": path.parent.name, "object_share": mask.mean()}
        for peer in ("mozjpeg", "jpegli"):
            result = compress_to_budget(CODECS[peer](), image, maps["own"], budget)
            rows.append({**base, "setting": peer, "map": "-", **measure(image, mask, result.data)})
        for name, make in settings().items():
            for map_name, importance in maps.items():
                result = compress_to_budget(make(), image, importance, budget)
                rows.append({**base, "setting": name, "map": map_name,
                             **measure(image, mask, result.data)})
        if args.limit and used >= args.limit:
            break
    table = pd.DataFrame(rows)
    table.to_csv(args.out / "per_photo.csv", index=False)

    measures = ("region", "background", "psnr", "psnr_hvs_m")
    peers = table[table.setting.isin(["mozjpeg", "jpegli"])]
    best_peer = peers.groupby("photo")[list(measures)].max()
    moz = peers[peers.setting == "mozjpeg"].set_index("photo")[list(measures) + ["bytes"]]
    summary = []
    for (setting, map_name), group in table.groupby(["setting", "map"], sort=False):
        group = group.set_index("photo")
        row = {"setting": setting, "map": map_name, "photos": len(group),
               "bytes_vs_mozjpeg": (group.bytes / moz.bytes).mean()}
        for m in measures:
            row[f"d_{m}_vs_mozjpeg"] = (group[m] - moz[m]).mean()
            row[f"d_{m}_vs_peer"] = (group[m] - best_peer[m]).mean()
        summary.append(row)
    summary = pd.DataFrame(summary)
    summary.to_csv(args.out / "summary.csv", index=False)
    pd.set_option("display.width", 200)
    print(f"{used} photos with objects; budget = standard JPEG Q50; mean differences in dB")
    print(summary.to_string(index=False, float_format=lambda v: f"{v:+.2f}" if abs(v) < 50 else f"{v:.0f}"))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for family, marker in (("rdq", "o"), ("aq", "s")):
        for map_name, style in (("own", "-"), ("oracle", "--")):
            part = summary[summary.setting.str.startswith(family) & (summary["map"] == map_name)]
            ax.plot(part["d_background_vs_mozjpeg"], part["d_region_vs_mozjpeg"], style,
                    marker=marker, label=f"{family}, {map_name} map")
            for _, r in part.iterrows():
                ax.annotate(r.setting.split(" ", 1)[1], (r["d_background_vs_mozjpeg"],
                            r["d_region_vs_mozjpeg"]), fontsize=7, xytext=(3, 3),
                            textcoords="offset points")
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel("background PSNR vs mozjpeg (dB)")
    ax.set_ylabel("object PSNR vs mozjpeg (dB)")
    ax.set_title(f"Equal bytes (standard JPEG Q50), {used} photos with objects")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out / "frontier.png", dpi=130)
    print(f"wrote {args.out / 'summary.csv'}, {args.out / 'per_photo.csv'}, {args.out / 'frontier.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

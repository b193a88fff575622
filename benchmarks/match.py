"""The quality-target mode (``msroi compress --match qN``) in bytes: for each photo and each
quality, the smallest msroi file as good as the standard JPEG at that quality where the
map looks, its bytes saved against that standard JPEG and against the smallest mozjpeg file
that matches it there. Prints a table per set and quality; writes a CSV and a plot.

    python benchmarks/match.py --data ../shared/data/kodak ../shared/data/fixations/eyecrowd500 \
        ../shared/data/fixations/scene500 --limit 12 --out benchmarks/results/match
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from msroi import io, maps, pipeline
from msroi.fixations import FixationSet

import run_folder  # benchmarks/run_folder.py (the scripts run from this folder)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", required=True, help=(
        "folders of photos, or fixation sets (images/ + fixations.csv: their validation photos)"))
    parser.add_argument("--qualities", nargs="+", type=int, default=[60, 75, 90])
    parser.add_argument("--limit", type=int, default=0, help="at most N photos per folder")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/match"))
    args = parser.parse_args(argv)
    run_folder.claim(parser, args.out)  # a user's folder is refused before any work

    network = maps.resolve_model(None)
    rows = []
    for folder in args.data:
        name = Path(folder).name
        if (Path(folder) / "fixations.csv").is_file():  # never the photos the readout learned on
            data = FixationSet(folder)
            files = [data.photo(n).path for n in data.split()[1]]
        else:
            files = io.find_images(folder)
        files = files[: args.limit or None]
        for path in tqdm(files, unit="img", desc=name):
            image = io.read_image(path)
            importance = maps.generate_map(image, network)
            for quality in args.qualities:
                start = time.perf_counter()
                result = pipeline.compress(image, importance=importance, match=f"q{quality}")
                report = result.report
                rows.append({"set": name, "photo": path.name, "match": quality,
                             "bytes": report["bytes"], "standard_bytes": report["standard_bytes"],
                             "mozjpeg_bytes": report["mozjpeg_bytes"],
                             "saved_vs_standard": report["saved_vs_standard"],
                             "saved_vs_mozjpeg": report["saved_vs_mozjpeg"],
                             "map_psnr": report["map_psnr"], "target_map_psnr": report["target_map_psnr"],
                             "psnr_hvs_m": report["psnr_hvs_m"],
                             "mozjpeg_psnr_hvs_m_same_bytes": report["mozjpeg_psnr_hvs_m_same_bytes"],
                             "seconds": time.perf_counter() - start})
    frame = pd.DataFrame(rows)
    frame.to_csv(args.out / "per_photo.csv", index=False)
    table = frame.groupby(["set", "match"]).agg(
        photos=("photo", "count"), saved_vs_standard=("saved_vs_standard", "mean"),
        saved_vs_mozjpeg=("saved_vs_mozjpeg", "mean"), median_seconds=("seconds", "median"))
    table.to_csv(args.out / "summary.csv")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))

    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    labels = [f"{s} q{q}" for s, q in table.index]
    x = np.arange(len(labels))
    ax.bar(x - 0.2, 100 * table.saved_vs_standard, 0.4, label="vs the standard JPEG at qN")
    ax.bar(x + 0.2, 100 * table.saved_vs_mozjpeg, 0.4, label="vs mozjpeg matching it where the map looks")
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("bytes saved (%)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out / "match.png", dpi=120)
    print(f"wrote {args.out}/summary.csv, per_photo.csv, match.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

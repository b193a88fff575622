"""Seconds per image for each stage on a folder: map, paper combine (mix + size search to
the standard JPEG at Q50), and the whole `msroi.compress`. Prints a table (medians) and
writes a CSV.

    python benchmarks/timing.py --data ../shared/data/kodak --csv results/timing.csv
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import pandas as pd
from tqdm import tqdm

import msroi
from msroi import io, maps
from msroi.jpeg.paper import PaperCodec
from msroi.rate import Budget, compress_to_budget


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder of images")
    parser.add_argument("--model", default=None)
    parser.add_argument("--csv", type=Path)
    args = parser.parse_args(argv)

    files = io.find_images(args.data)
    if not files:
        parser.error(f"{args.data}: no images")
    classifier = maps.resolve_model(args.model)
    maps.semantic_map(io.read_image(files[0]), classifier)  # start-up: load and trace once
    rows = []
    for path in tqdm(files, unit="img"):
        image = io.read_image(path)
        t0 = time.perf_counter()
        made = maps.semantic_map(image, classifier)
        t1 = time.perf_counter()
        result = compress_to_budget(PaperCodec(), image, made.map, Budget(jpeg_quality=50))
        t2 = time.perf_counter()
        msroi.compress(image, model=classifier)
        t3 = time.perf_counter()
        rows.append({"image": path.name, "seconds_map": t1 - t0, "seconds_combine": t2 - t1,
                     "seconds_compress": t3 - t2, "bytes": result.num_bytes,
                     "top1": made.classes[0][1]})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("\nmedian seconds per image: " + ", ".join(
        f"{c[8:]} {statistics.median(table[c]):.3f}" for c in table.columns if c.startswith("seconds")))
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

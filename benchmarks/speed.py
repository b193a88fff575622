"""Speed table: seconds per image for map, paper mix (vectorised), size search and the
whole `msroi.compress` (methods paper and rdq, the default), mozjpeg's own time (one encode, and
its quality searched to the same budget), and the ratio against the seed's literal per-pixel mixing loop run
on the same images in the same process. Prints a table (medians) and writes a CSV.

    python benchmarks/speed.py --data ../shared/data/kodak --literal 2 --csv benchmarks/results/speed_kodak.csv
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd
from tqdm import tqdm

import msroi
from msroi import io, maps
from msroi.arrays import map_to_uint8
from msroi.codecs.paper import MixedState, PaperCodec, mix, quality_ladder, quality_levels
from msroi.jpeg.standard import encode_mozjpeg
from msroi.rate import Budget, search_quality


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder of images")
    parser.add_argument("--model", default=None)
    parser.add_argument("--literal", type=int, default=2,
                        help="images on which to time the literal per-pixel loop (slow: seconds each)")
    parser.add_argument("--csv", type=Path)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from support.paper_reference import literal_mix  # test-only: the seed's literal loop

    files = io.find_images(args.data)
    if not files:
        parser.error(f"{args.data}: no images")
    classifier = maps.resolve_model(args.model)
    start = time.perf_counter()
    maps.semantic_map(io.read_image(files[0]), classifier)
    startup = time.perf_counter() - start
    rows = []
    codec = PaperCodec()
    for i, path in enumerate(tqdm(files, unit="img")):
        image = io.read_image(path)
        t0 = time.perf_counter()
        importance = maps.generate_map(image, classifier)
        t1 = time.perf_counter()
        ladder = quality_ladder(image)
        t2 = time.perf_counter()
        levels = quality_levels(map_to_uint8(importance), 6)
        mixed = mix(ladder, levels)
        t3 = time.perf_counter()
        target = Budget(jpeg_quality=50).target_bytes(image)
        state = MixedState(mixed)
        search_quality(lambda q: codec.encode(state, q), target, low=1, high=95)
        t4 = time.perf_counter()
        msroi.compress(image, model=classifier, method="paper")
        t5 = time.perf_counter()
        msroi.compress(image, model=classifier, method="rdq")
        t6 = time.perf_counter()
        encode_mozjpeg(image, 75)
        t7 = time.perf_counter()
        search_quality(lambda q: encode_mozjpeg(image, q), target)
        t8 = time.perf_counter()
        row = {"image": path.name, "map": t1 - t0, "ladder": t2 - t1, "mix": t3 - t2,
               "size_search": t4 - t3, "compress_paper": t5 - t4, "compress_rdq": t6 - t5,
               "mozjpeg_one_encode": t7 - t6, "mozjpeg_to_budget": t8 - t7}
        if i < args.literal:
            t7 = time.perf_counter()
            literal = literal_mix(ladder, map_to_uint8(importance), 6)
            row["literal_mix"] = time.perf_counter() - t7
            assert (literal == mixed).all(), "vectorised and literal mixes differ"
        rows.append(row)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}", na_rep="-"))
    medians = {c: statistics.median(table[c].dropna()) for c in table.columns if c != "image"}
    print(f"\nstart-up (load + first trace): {startup:.2f} s")
    print("median seconds per image: " + ", ".join(f"{k} {v:.4f}" for k, v in medians.items()))
    ratio = statistics.median(table.compress_rdq / table.mozjpeg_one_encode)
    print(f"msroi.compress (map + rdq + rate control) / one mozjpeg encode of the same photo: "
          f"{ratio:.2f}x (median per photo)")
    if "literal_mix" in table:
        timed = table.dropna(subset=["literal_mix"])
        ratio = statistics.median(timed.literal_mix / timed.mix)
        print(f"literal per-pixel loop / vectorised mix, same images, same process: {ratio:,.0f}x "
              f"(median of {len(timed)})")
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

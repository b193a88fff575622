"""Maps against where people look: NSS, AUC-Judd, shuffled AUC, CC, SIM and KL on the
validation photos of human eye-fixation sets, beside the human ceiling (half of the viewers
predicting the other half), a centre Gaussian and spectral-residual saliency. Prints a table
per set and pooled, writes CSVs and a bar chart.

    python benchmarks/fixation_maps.py --data ../shared/data/fixations/eyecrowd500 \
        ../shared/data/fixations/scene500 --out benchmarks/results/fixations
"""

from __future__ import annotations

import argparse
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from msroi import io, maps
from msroi.maps.baselines import MAP_BASELINES
from msroi.fixations import FixationSet
from msroi.metrics.fixations import fixation_scores, human_ceiling
from msroi.maps.readout import readout_of

import run_folder  # benchmarks/run_folder.py (the scripts run from this folder)

SCORES = ("nss", "auc_judd", "shuffled_auc", "cc", "sim", "kl")
CEILING = "human ceiling (half the viewers)"


def map_makers(model: str | None, recipes: list[str]) -> dict:
    """name -> function(RGB uint8) -> float32 map: msroi's recipes and the baselines."""
    classifier = maps.resolve_model(model)
    makers = {f"msroi {recipe}" + (" (default)" if recipe == maps.DEFAULT_RECIPE else ""):
              partial(maps.generate_map, model=classifier, recipe=recipe) for recipe in recipes}
    readout = readout_of(classifier)
    if readout is not None and "fixations" in recipes:
        # the same map before the calibration exponent: the predicted density itself (NSS,
        # CC, SIM and KL are not rank-invariant; AUCs are the same)
        makers["msroi fixations, density before calibration"] = (
            lambda image: maps.generate_map(image, classifier, recipe="fixations") ** (1 / readout.gamma))
    makers.update({f"baseline: {name}": f for name, f in MAP_BASELINES.items()})
    return makers


def score_set(data: FixationSet, names: list[str], makers: dict) -> list[dict]:
    rows = []
    for name in tqdm(names, unit="img", desc=data.csv_path.parent.name):
        photo = data.photo(name)
        image = io.read_image(photo.path)
        density = photo.density()
        others = data.other_fixations(name, photo.size)
        base = {"set": data.csv_path.parent.name, "image": name}
        rows.append({**base, "map": CEILING, "seconds": np.nan,
                     **human_ceiling(photo.fixations, photo.subjects, photo.size,
                                     sigma=photo.sigma, other_fixations=others)})
        for label, make in makers.items():
            start = time.perf_counter()
            importance = make(image)
            seconds = time.perf_counter() - start
            rows.append({**base, "map": label, "seconds": seconds,
                         **fixation_scores(importance, photo.fixations, density, others)})
    return rows


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean scores per map, pooled and per set, with the median seconds."""
    pooled = frame.groupby("map", sort=False)[list(SCORES)].mean()
    pooled.columns = [f"{c}" for c in pooled.columns]
    for name, group in frame.groupby("set", sort=False):
        per_set = group.groupby("map", sort=False)[["nss", "auc_judd", "cc"]].mean()
        pooled[[f"{c} {name}" for c in per_set.columns]] = per_set
    pooled["median s"] = frame.groupby("map", sort=False).seconds.median()
    pooled["photos"] = frame.groupby("map", sort=False).image.count()
    return pooled


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", required=True,
                        help="fixation set folders (images/ + fixations.csv)")
    parser.add_argument("--model", default=None, help="map model preset (default: the default)")
    parser.add_argument("--recipes", nargs="+", default=list(maps.MAP_RECIPES),
                        choices=maps.MAP_RECIPES, help="msroi map recipes to score")
    parser.add_argument("--split", choices=("validation", "train", "all"), default="validation",
                        help="which photos of each set (default: the fixed validation split)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N photos per set")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/fixations"))
    args = parser.parse_args(argv)
    run_folder.claim(parser, args.out)  # a user's folder is refused before any work

    makers = map_makers(args.model, args.recipes)
    rows = []
    for folder in args.data:
        data = FixationSet(folder)
        train, validation = data.split()
        names = {"validation": validation, "train": train, "all": data.names}[args.split]
        names = names[: args.limit or None]
        for make in makers.values():  # start-up (traces, OpenCV) kept out of the timings
            make(io.read_image(data.photo(names[0]).path))
        rows += score_set(data, names, makers)
    frame = pd.DataFrame(rows)
    table = summarise(frame)
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    frame.to_csv(args.out / "fixation_scores.csv", index=False)
    table.to_csv(args.out / "fixation_summary.csv")

    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4.5))
    axes = fig.subplots(1, 3)
    for ax, score in zip(axes, ("nss", "auc_judd", "cc")):
        y = np.arange(len(table))[::-1]
        ax.barh(y, table[score], color=["tab:grey" if CEILING in n else "tab:blue" for n in table.index])
        ax.set_yticks(y, table.index if score == "nss" else [], fontsize=7)
        ax.set_title(score.upper().replace("_", "-"), fontsize=9)
    fig.suptitle(f"maps against human fixations ({args.split} photos: "
                 f"{', '.join(Path(d).name for d in args.data)})", fontsize=9)
    fig.tight_layout()
    fig.savefig(args.out / "fixation_scores.png", dpi=120)
    print(f"wrote {args.out}/fixation_summary.csv, fixation_scores.csv, fixation_scores.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Map variants against the independent judge: AUC, recall at object area (the share of
the object inside the map's object-sized top region), share of map mass inside the
objects, and seconds per image, beside the centre prior and spectral-residual saliency.
Prints a table (all photos and per folder), writes CSVs and a bar chart.

    python benchmarks/map_study.py --data ../shared/data/kodak ../shared/data/live1 --out benchmarks/results/maps
    python benchmarks/map_study.py --data ../shared/data/train/bsds500/test --out benchmarks/results/maps_bsds500_test
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
from msroi.evaluation.judge import Judge
from msroi.metrics import map_auc, mass_inside, recall_at_area

import run_folder  # benchmarks/run_folder.py (the scripts run from this folder)


def _fused_from(classifier, cues: tuple[str, ...], *, exponent: float = maps.FUSED_EXPONENT,
                border: bool = True):
    """The fused recipe restricted to some of its cues, with another calibration exponent
    or without the border contrast: for ablations."""
    def make(image):
        network_input = maps.resize_for_network(image, maps.DEFAULT_WORKING_SIZE, classifier.stride)
        made = classifier.cues(network_input, top_k=maps.DEFAULT_TOP_K)
        return maps.fuse_cues(made, image, names=cues, exponent=exponent, border=border)
    return make


def _border_alone(classifier):
    def make(image):
        network_input = maps.resize_for_network(image, maps.DEFAULT_WORKING_SIZE, classifier.stride)
        features = classifier.cues(network_input, top_k=maps.DEFAULT_TOP_K)["detail_features"][0]
        return maps.refine_edges(maps.upsample(maps.border_contrast(features), image.shape[:2]), image)
    return make


def variants(classifier) -> dict:
    """name -> function(RGB uint8) -> float32 map: the default ("fused") recipe and its
    ablations, the earlier "energy" recipe and its ablations, the paper's CAMs, baselines."""
    out = {
        "fixations (default: readout trained on human eye fixations)": partial(
            maps.generate_map, model=classifier, recipe="fixations"),
        "fused (energy x gradient x detail, edges, x border contrast)": partial(
            maps.generate_map, model=classifier, recipe="fused"),
        "fused without border contrast (the default before)": _fused_from(
            classifier, maps.CUE_NAMES, border=False),
        "border contrast alone (+ edges)": _border_alone(classifier),
        "fused, no edges": partial(maps.generate_map, model=classifier, recipe="fused", edges=False),
        "fused, cue product not calibrated (exponent 1)": _fused_from(classifier, maps.CUE_NAMES, exponent=1.0),
        "fused, top-1 class gradient": partial(maps.generate_map, model=classifier, recipe="fused",
                                               top_k=1),
        "fused without detail": _fused_from(classifier, ("energy", "gradient")),
        "fused without gradient": _fused_from(classifier, ("energy", "detail")),
        "fused without energy": _fused_from(classifier, ("gradient", "detail")),
        "gradient x activation alone": _fused_from(classifier, ("gradient",)),
        "cam top-5 (paper ranking)": partial(maps.generate_map, model=classifier, recipe="cam"),
        "cam top-5 (sum)": partial(maps.generate_map, model=classifier, recipe="cam", combine="sum"),
        "energy 1 scale, no edges": partial(maps.generate_map, model=classifier, recipe="energy",
                                            scales=(1.0,), edges=False),
        "energy 2 scales, no edges": partial(maps.generate_map, model=classifier, recipe="energy",
                                             edges=False),
        "energy (2 scales + edges)": partial(maps.generate_map, model=classifier, recipe="energy"),
        "energy 3 scales + edges": partial(maps.generate_map, model=classifier, recipe="energy",
                                           scales=(0.85, 1.15, 1.4)),
    }
    out.update({f"baseline: {name}": f for name, f in MAP_BASELINES.items()})
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", required=True, help="folders of photos (never training photos)")
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/maps"))
    args = parser.parse_args(argv)
    run_folder.claim(parser, args.out)  # a user's folder is refused before any work

    judge = Judge()
    classifier = maps.resolve_model(args.model)
    recipes = variants(classifier)
    files = [f for folder in args.data for f in io.find_images(folder)]
    for recipe in recipes.values():  # start-up: traces, OpenCV init
        recipe(io.read_image(files[0]))
    rows = []
    for path in tqdm(files, unit="img"):
        image = io.read_image(path)
        mask = judge.mask(image)
        for name, recipe in recipes.items():
            start = time.perf_counter()
            importance = recipe(image)
            seconds = time.perf_counter() - start
            rows.append({"set": path.parent.name, "image": path.name, "map": name,
                         "seconds": seconds, "has_objects": bool(mask.any()),
                         "auc": map_auc(importance, mask) if mask.any() else np.nan,
                         "recall_at_area": recall_at_area(importance, mask) if mask.any() else np.nan,
                         "mass_inside": mass_inside(importance, mask) if mask.any() else np.nan})
    frame = pd.DataFrame(rows)
    scored = frame[frame.has_objects]
    table = scored.groupby("map", sort=False).agg(
        auc=("auc", "mean"), recall_at_area=("recall_at_area", "mean"),
        mass_inside=("mass_inside", "mean"), images=("image", "count"))
    for name, group in scored.groupby("set"):
        table[f"auc_{name}"] = group.groupby("map", sort=False).auc.mean()
        table[f"recall_{name}"] = group.groupby("map", sort=False).recall_at_area.mean()
    table["median_seconds"] = frame.groupby("map", sort=False).seconds.median()
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    frame.to_csv(args.out / "map_scores.csv", index=False)
    table.to_csv(args.out / "map_summary.csv")

    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 5))
    ax = fig.subplots()
    rows_y = np.arange(len(table))[::-1]
    ax.barh(rows_y + 0.2, table.auc, height=0.4, color="tab:blue", label="AUC")
    ax.barh(rows_y - 0.2, table.recall_at_area, height=0.4, color="tab:orange",
            label="recall at object area")
    ax.set_yticks(rows_y, table.index, fontsize=7)
    ax.set_xlim(0.3, 1.0)
    ax.set_xlabel(f"against the judge's object masks ({int(table.images.iloc[0])} photos)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out / "map_auc.png", dpi=120)
    print(f"wrote {args.out}/map_summary.csv, map_scores.csv, map_auc.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

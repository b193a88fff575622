"""A trained/distilled map model against its teacher on photos it never saw: top-5
agreement, correlation of their maps, and both against the independent judge (AUC, map
mass inside objects) beside OpenCV spectral-residual saliency. Prints a table, writes a CSV.

    python benchmarks/student_vs_teacher.py --student runs/vgg16_msroi_distilled/preset \
        --teacher mobilenet_v2 --data ../shared/data/kodak --out benchmarks/results/student
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from msroi import io, maps, presets
from msroi.maps.baselines import spectral_residual
from msroi.evaluation.judge import Judge
from msroi.metrics import map_auc, mass_inside

import run_folder  # benchmarks/run_folder.py (the scripts run from this folder)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--student", required=True, help="preset name or folder")
    parser.add_argument("--teacher", default="mobilenet_v2")
    parser.add_argument("--data", nargs="+", required=True)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/student"))
    args = parser.parse_args(argv)
    run_folder.claim(parser, args.out)  # a user's folder is refused before any work

    student, teacher = presets.load_model(args.student), presets.load_model(args.teacher)
    judge = Judge()
    rows, seconds = [], {"student": [], "teacher": []}
    files = [f for folder in args.data for f in io.find_images(folder)]
    for model in (student, teacher):  # start-up: traces
        maps.semantic_map(io.read_image(files[0]), model)
    for path in tqdm(files, unit="img"):
        image = io.read_image(path)
        mask = judge.mask(image)
        made = {}
        for who, model in (("student", student), ("teacher", teacher)):
            for method in maps.MAP_RECIPES:
                start = time.perf_counter()
                made[(who, method)] = maps.semantic_map(image, model, recipe=method)
                if method == maps.DEFAULT_RECIPE:
                    seconds[who].append(time.perf_counter() - start)
        top_s = {c[0] for c in made[("student", "cam")].classes}
        top_t = {c[0] for c in made[("teacher", "cam")].classes}
        row = {"image": path.name, "top5_overlap": len(top_s & top_t) / 5,
               "top1_agrees": made[("student", "cam")].classes[0][0] == made[("teacher", "cam")].classes[0][0],
               **{f"{method}_correlation": float(np.corrcoef(made[("student", method)].map.ravel(),
                                                             made[("teacher", method)].map.ravel())[0, 1])
                  for method in maps.MAP_RECIPES}}
        if mask.any():
            for (who, method), m in made.items():
                row[f"auc_{who}_{method}"] = map_auc(m.map, mask)
                row[f"mass_{who}_{method}"] = mass_inside(m.map, mask)
            sr = spectral_residual(image)
            row["auc_spectral_residual"], row["mass_spectral_residual"] = map_auc(sr, mask), mass_inside(sr, mask)
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.to_csv(args.out / "student_vs_teacher.csv", index=False)
    summary = frame.drop(columns="image").mean(numeric_only=True)
    summary["median_seconds_student_map"] = float(np.median(seconds["student"]))
    summary["median_seconds_teacher_map"] = float(np.median(seconds["teacher"]))
    print(summary.to_string(float_format=lambda v: f"{v:.3f}"))
    summary.to_frame("mean").to_csv(args.out / "summary.csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Batch throughput: `msroi compress FOLDER` with -j 1, -j 2 and a local Dask cluster of 2
workers on the same files (a folder repeated --copies times), each run a fresh process as a
user runs it. Prints files/s, MB/s (input bytes), the speed-up over -j 1, the time split
summed over files (decode, map, encode, write) and the peak RSS of the largest process;
writes a CSV and a bar plot.

    python benchmarks/batch.py --data ../shared/data/kodak --copies 4 --repeats 3 \\
        --out benchmarks/results/batch
"""

from __future__ import annotations

import argparse
import csv
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import run_folder  # benchmarks/run_folder.py (the scripts run from this folder)

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {"-j 1": ["-j", "1"], "-j 2": ["-j", "2"], "dask 2 local": ["-j", "2", "--dask", "local"]}


def one_run(source: Path, options: list[str]) -> dict:
    """Wall time, the report's summed time split and the largest child's peak RSS."""
    with tempfile.TemporaryDirectory(prefix="msroi-bench-") as work:
        out = Path(work) / "out"
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "msroi.cli", "compress", str(source), "-o",
                        str(out), "-q", *options], cwd=ROOT, check=True)
        wall = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kB, max over children
        with open(out / "msroi-report.csv", newline="") as f:
            rows = list(csv.DictReader(f))
    assert all(r["status"] == "done" for r in rows), "a file failed"
    split = {k: sum(float(r[f"seconds_{k}"]) for r in rows) for k in ("read", "map", "encode", "write")}
    return {"wall": wall, "files": len(rows), "peak_rss_mb": max(peak, before) / 1024, **split}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder of images (e.g. Kodak)")
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3, help="runs per setting (median)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "batch")
    args = parser.parse_args(argv)
    run_folder.claim(parser, args.out)  # a user's folder is refused before any work

    files = sorted(Path(args.data).glob("*.png"))
    with tempfile.TemporaryDirectory(prefix="msroi-bench-src-") as tmp:
        source = Path(tmp)
        for copy in range(args.copies):
            (source / f"copy{copy}").mkdir()
            for f in files:
                shutil.copy(f, source / f"copy{copy}" / f.name)
        megabytes = sum(p.stat().st_size for p in source.rglob("*.png")) / 1e6
        results = {}
        for repeat in range(args.repeats):  # settings interleaved: drift hits all alike
            for name, options in CONFIGS.items():
                run = one_run(source, options)
                print(f"run {repeat + 1}: {name}: {run['wall']:.1f} s", flush=True)
                results.setdefault(name, []).append(run)

    table = []
    for name, runs in results.items():
        wall = statistics.median(r["wall"] for r in runs)
        row = {"setting": name, "files": runs[0]["files"], "wall_s": round(wall, 2),
               "files_per_s": round(runs[0]["files"] / wall, 3),
               "mb_per_s": round(megabytes / wall, 3)}
        for key in ("read", "map", "encode", "write"):
            row[f"{key}_s"] = round(statistics.median(r[key] for r in runs), 2)
        row["peak_rss_mb"] = round(max(r["peak_rss_mb"] for r in runs))
        table.append(row)
    base = table[0]["files_per_s"]
    for row in table:
        row["speedup"] = round(row["files_per_s"] / base, 2)

    with open(args.out / "batch.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar([r["setting"] for r in table], [r["files_per_s"] for r in table], color="#4477aa")
    for i, r in enumerate(table):
        ax.text(i, r["files_per_s"], f"{r['speedup']}x", ha="center", va="bottom")
    ax.set_ylabel("files / s")
    ax.set_title(f"msroi compress, {table[0]['files']} files, {len(files)} x {args.copies}")
    fig.tight_layout()
    fig.savefig(args.out / "batch.png", dpi=120)

    cols = list(table[0])
    print(" | ".join(cols))
    for row in table:
        print(" | ".join(str(row[c]) for c in cols))
    print(f"wrote {args.out / 'batch.csv'}, {args.out / 'batch.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

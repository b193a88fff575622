"""Start-up and one-photo costs as a user meets them: wall time and peak memory of whole
commands (``/usr/bin/time``), medians of ``--repeat`` runs, beside libjpeg-turbo's ``cjpeg``
and a one-shot mozjpeg encode in the same run.

    python benchmarks/startup.py --photo ../shared/data/kodak/kodim23.png

Writes benchmarks/results/startup.csv and prints the table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


#: The commands run as on a user's machine: Python caches compiled modules (a session's
#: PYTHONDONTWRITEBYTECODE would make every run compile msroi's sources again).
USER_ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one run of ``command``."""
    out = subprocess.run(["/usr/bin/time", "-f", "%e %M", *command], capture_output=True,
                         text=True, env=USER_ENVIRONMENT)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {out.stderr.strip()[-500:]}")
    wall, kilobytes = out.stderr.strip().splitlines()[-1].split()
    return float(wall), float(kilobytes) / 1024.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", required=True, help="a photo (Kodak size: 768x512)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "startup.csv")
    parser.add_argument("--before", type=Path, help=(
        "another msroi source tree (e.g. `git worktree add /tmp/before REV`): its compress "
        "runs too, side by side, imported from there with this environment's packages"))
    args = parser.parse_args(argv)

    import pandas as pd
    from PIL import Image

    msroi = str(Path(sys.executable).parent / "msroi")
    with tempfile.TemporaryDirectory() as tmp:
        ppm = Path(tmp) / "photo.ppm"
        Image.open(args.photo).convert("RGB").save(ppm)
        out = Path(tmp) / "out.jpg"
        mozjpeg = ("import sys, numpy as np, PIL.Image, jpeglib\n"
                   "x = np.asarray(PIL.Image.open(sys.argv[1]).convert('RGB'))\n"
                   "with jpeglib.version('mozjpeg403'):\n"
                   "    jpeglib.from_spatial(x).write_spatial(sys.argv[2], qt=75)")
        commands = {
            "msroi --help": [msroi, "--help"],
            "msroi compress (default map, rdq, q50 budget)":
                [msroi, "compress", args.photo, "-o", str(out), "-q", "--overwrite"],
            "msroi compress --runtime keras (TensorFlow)":
                [msroi, "compress", args.photo, "-o", str(out), "-q", "--overwrite",
                 "--runtime", "keras"],
            "msroi map (default map)": [msroi, "map", args.photo, "-o", str(Path(tmp) / "m.png"),
                                        "-q", "--overwrite"],
            "cjpeg -quality 75 (libjpeg-turbo)": ["cjpeg", "-quality", "75", "-outfile", str(out), str(ppm)],
            "python: mozjpeg one encode (jpeglib)": [sys.executable, "-c", mozjpeg, args.photo, str(out)],
        }
        if args.before:
            # msroi from the other tree: the installed (editable) msroi's import hook removed
            run_before = ("import sys\n"
                          "sys.meta_path[:] = [m for m in sys.meta_path\n"
                          "                    if 'editable' not in getattr(m, '__module__', '')]\n"
                          f"sys.path.insert(0, {str(args.before.resolve())!r})\n"
                          "from msroi.cli import main\n"
                          "sys.exit(main(sys.argv[1:]))")
            commands[f"msroi compress, {args.before} (before)"] = [
                sys.executable, "-c", run_before, *commands["msroi compress (default map, rdq, q50 budget)"][1:]]
        rows = []
        for name, command in commands.items():
            timed(command)  # warm the file cache (and numba's on-disk cache)
            runs = [timed(command) for _ in range(args.repeat)]
            rows.append({"command": name, "wall_s": statistics.median(r[0] for r in runs),
                         "peak_rss_mb": statistics.median(r[1] for r in runs), "runs": len(runs)})
    table = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Packages a folder for a CLIC-style image-compression track with standard JPEGs.

Every image of ``--data`` is compressed so that the whole set fits ``--total-bpp`` (the
low-rate track's 0.15 bpp, by default), bytes going where they lower the set's total
squared error most (``msroi compress --total-budget``). The output folder holds the JPEGs
and ``decode.py``: CLIC runs the decoder with no arguments in the folder of compressed
files and expects one PNG per image there. Prints and writes (CSV) the set's numbers as
CLIC computes them: total bytes, bpp, PSNR of one MSE over all pixels, pixel-weighted
MS-SSIM.

    python compress/clic_submission.py --data ../shared/data/kodak --out submission --total-bpp 0.15
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DECODER = '''"""CLIC decoder: every .jpg here becomes a .png of the same size (Pillow only)."""
from pathlib import Path

from PIL import Image

for path in sorted(Path(".").glob("*.jpg")):
    with Image.open(path) as image:
        image.convert("RGB").save(path.with_suffix(".png"))
'''


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder of images")
    parser.add_argument("--out", required=True, help="submission folder (JPEGs + decode.py)")
    parser.add_argument("--total-bpp", type=float, default=0.15)
    parser.add_argument("--method", default="rdq", help="msroi codec (rdq or paper)")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)

    import pandas as pd

    from msroi import io, pipeline
    from msroi.batch import CompressSettings
    from msroi.errors import MsroiError
    from msroi.decode import StandardDecoder
    from msroi.rate import Budget
    from msroi.metrics import (bits_per_pixel, dataset_psnr, multiscale_structural_similarity,
                               pixel_weighted_mean)

    files = io.find_images(args.data)
    if not files:
        print(f"clic_submission.py: error: {args.data}: no images", file=sys.stderr)
        return 2
    try:
        images = [io.load_image(f) for f in files]
        pixels = sum(i.pixels.shape[0] * i.pixels.shape[1] for i in images)
        total = Budget(bpp=args.total_bpp).total_bytes([i.pixels for i in images])
        settings = CompressSettings(method=args.method, keep_metadata=False)
        results = pipeline.compress_set(images, total, settings, progress=not args.quiet)
    except MsroiError as exc:
        print(f"clic_submission.py: error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    rows, pairs, ms_ssim, sizes = [], [], [], []
    for path, image, result in zip(files, images, results):
        io.write_bytes_atomic(out / f"{path.stem}.jpg", result.data)
        decoded = StandardDecoder().decode(result.data)
        pairs.append((image.pixels, decoded))
        size = image.pixels.shape[0] * image.pixels.shape[1]
        sizes.append(size)
        ms_ssim.append(multiscale_structural_similarity(image.pixels, decoded)
                       if min(image.pixels.shape[:2]) >= 161 else float("nan"))
        rows.append({"image": path.name, "bytes": result.num_bytes, "quality": result.report["quality"],
                     "bpp": result.bpp, "ms_ssim": ms_ssim[-1]})
    io.write_bytes_atomic(out / "decode.py", DECODER.encode())
    used = sum(r.num_bytes for r in results)
    summary = {"images": len(files), "total_bytes": used, "limit_bytes": total,
               "bpp": bits_per_pixel(used, pixels), "psnr": dataset_psnr(pairs),
               "ms_ssim": pixel_weighted_mean(ms_ssim, sizes)}
    pd.DataFrame(rows).to_csv(out.parent / f"{out.name}-report.csv", index=False)
    print(", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The paper's combine_images.py, same flags and outputs, vectorised.

    python combine_images.py -image x.png -map output/msroi_map.jpg

JPEGs of the image at qualities 10..100 are decoded; each pixel takes the quality level
that the mixing model (-model 1..6) picks from the map; the mix is re-encoded at the
highest quality from 90 down to 21 whose size is within (1 + threshold_pct/100) of the
standard JPEG at -jpeg_compression. Writes ``<out>/_original_<name>_<Q>.jpg`` (the standard
JPEG) and ``<out>/_compressed_<name>_.jpg`` (ours); with -find_best 0, ``<out>/<modifier>
<name>_<q>.jpg`` at qualities 100, 85, 65, 45 instead. Unlike the original, a budget that
no quality meets is reported (the file of the last try, quality 21, is still written) and
the exit status is 1.
"""

from __future__ import annotations

import argparse
import sys
from glob import glob
from pathlib import Path
from typing import Sequence

from msroi.errors import MsroiError

FIXED_QUALITIES = (100, 85, 65, 45)


def build_parser() -> argparse.ArgumentParser:
    from msroi.cli.options import OneLineParser, int_in_range

    p = OneLineParser(prog="combine_images.py",
                      description="Mix JPEG qualities by an MSROI map (paper's program).")
    p.add_argument("-image", type=str, default="image.png")
    p.add_argument("-map", type=str, default="./output/msroi_map.jpg")
    p.add_argument("-output_directory", type=str, default="output")
    p.add_argument("-modifier", type=str, default="")
    p.add_argument("-find_best", type=int, default=1)
    # 1 for metric comparisons against the standard JPEG (the paper's advice); 0 = never larger.
    p.add_argument("-threshold_pct", type=int, default=20)
    p.add_argument("-use_convert", type=int, default=0, help="1: ImageMagick (Wand) makes the ladder")
    p.add_argument("-jpeg_compression", type=int_in_range(1, 100), default=50)
    p.add_argument("-model", type=int, default=6, choices=range(1, 7), metavar="{1..6}")
    p.add_argument("-single", type=int, default=1)
    p.add_argument("-dataset", type=str, default="kodak", choices=("kodak", "large"))
    p.add_argument("-print_metrics", type=int, default=0)
    return p


def make_quality_compression(image_path: str, map_path: str, args) -> bool:
    """Writes the standard and the mixed JPEG of one image; False if the budget was missed."""
    from msroi import io
    from msroi.arrays import map_from_uint8, map_to_uint8
    from msroi.codecs.paper import find_best_quality, mix_image
    from msroi.jpeg.standard import encode_pillow

    pixels = io.read_image(image_path)
    importance = map_to_uint8(map_from_uint8(io.read_grayscale(map_path), pixels.shape[:2]))
    mixed = mix_image(pixels, importance, mixing_model=args.model,
                      encoder="imagemagick" if args.use_convert else "pillow")
    name = Path(image_path).name
    out = Path(args.output_directory)
    standard = encode_pillow(pixels, args.jpeg_compression)
    standard_path = out / f"_original_{name}_{args.jpeg_compression}.jpg"
    io.write_bytes_atomic(standard_path, standard)

    if not args.find_best:
        for q in FIXED_QUALITIES:
            io.write_bytes_atomic(out / f"{args.modifier}{name}_{q}.jpg", encode_pillow(mixed, q))
        return True

    limit = len(standard) * (1 + args.threshold_pct / 100.0)
    quality, data, met = find_best_quality(mixed, limit)
    if not met:
        print(f"combine_images.py: warning: {image_path}: no quality from 90 down to 21 keeps "
              f"the file within {int(limit)} bytes (standard JPEG {len(standard)} bytes "
              f"+{args.threshold_pct}%); wrote quality {quality} at {len(data)} bytes",
              file=sys.stderr)
    ours_path = out / f"_compressed_{name}_.jpg"
    io.write_bytes_atomic(ours_path, data)
    if args.print_metrics:
        print_metrics(image_path, pixels, args, standard, data, quality)
    return met


def print_metrics(image_path, pixels, args, standard: bytes, ours: bytes, quality: int) -> None:
    """One line in the layout of the paper's logs: path, model, PNG/standard/our bytes,
    standard and our quality, then | PSNR SSIM MS-SSIM VIFP PSNR-HVS PSNR-HVS-M of the
    standard JPEG | the same of ours |, on the luma of a yuv420 conversion as VQMT measured
    (msroi.metrics, protocol "vqmt")."""
    from msroi.io import encode_png
    from msroi.jpeg.standard import decode
    from msroi.metrics import compute_metrics

    def metrics(data: bytes) -> str:
        values = compute_metrics(pixels, decode(data), protocol="vqmt")
        return " ".join(f"{v:.6f}" for v in values.values())

    print(image_path, args.model, len(encode_png(pixels)), len(standard), len(ours),
          args.jpeg_compression, quality, " | ", metrics(standard), " | ", metrics(ours), " | ")


def dataset_pairs(dataset: str) -> list[tuple[str, str]]:
    """The original's -single 0 layouts, relative to the working folder."""
    if dataset == "kodak":
        return [(f, f"images_directory/output_kodak/map_{Path(f).name}.jpg")
                for f in sorted(glob("images_directory/kodak/*.png"))]
    return [(f, "images_directory/output_large/map" + Path(f).name[3:-4])
            for f in sorted(glob("images_directory/output_large/ori_*.png"))]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    pairs = [(args.image, args.map)] if args.single else dataset_pairs(args.dataset)
    if not pairs:
        print(f"combine_images.py: error: no images found for dataset '{args.dataset}'",
              file=sys.stderr)
        return 2
    status = 0
    for image_path, map_path in pairs:
        try:
            if not make_quality_compression(image_path, map_path, args):
                status = max(status, 1)
        except MsroiError as exc:
            print(f"combine_images.py: error: {exc}", file=sys.stderr)
            status = 2
    return status


if __name__ == "__main__":
    sys.exit(main())

"""``msroi map``: a photo -> its importance map (and the overlay)."""

from __future__ import annotations

import argparse
import sys

from msroi.cli.options import add_damaged_option, add_map_options, check_model, map_options


def run(args) -> int:
    from msroi.batch.single import map_file
    from msroi.io import STREAM

    check_model(args)
    made = map_file(args.image, args.output, overlay=args.overlay, fixations=args.fixations,
                    model=args.model, map_options=map_options(args), overwrite=args.overwrite,
                    accept_damaged=args.accept_damaged)
    if not args.quiet:
        to = sys.stderr if STREAM in (args.output, args.overlay) else sys.stdout  # stdout: the image
        for index, class_name, probability in made.classes:
            print(f"{probability:8.4f}  {index:4d}  {class_name}", file=to)
    return 0


def arguments(p: argparse.ArgumentParser) -> None:
    add_damaged_option(p)
    p.add_argument("image", help="photo file, or - for standard input")
    p.add_argument("-o", "--output", required=True,
                   help="map as 8-bit grey PNG, or - for standard output")
    p.add_argument("--overlay", help="also write the jet heatmap over the photo (PNG)")
    p.add_argument("--fixations", metavar="CSV", help=(
        "with --overlay: draw where people looked at this photo (a fixations.csv of the "
        "shared layout, rows matched by the photo's file name)"))
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("-q", "--quiet", action="store_true")
    add_map_options(p)

"""``msroi decode``: JPEG files -> PNGs through a named decoder."""

from __future__ import annotations

import argparse
import sys

from msroi.cli.options import add_damaged_option, add_input_output
from msroi.errors import MsroiError


def arguments(p: argparse.ArgumentParser) -> None:
    from msroi.decoders import DECODERS

    add_input_output(p, given="JPEG", written=".png")
    p.add_argument("--decoder", choices=list(DECODERS), default="standard", help=(
        "; ".join(f"{name} = {DECODERS[name].description}" for name in DECODERS)
        + " (default standard)"))
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    add_damaged_option(p)
    p.add_argument("-q", "--quiet", action="store_true")


def run(args) -> int:
    from msroi import batch, io
    from msroi.batch.decode import decode_files
    from msroi.batch.single import decode_stream

    if io.STREAM in (args.input, args.output):
        decode_stream(args.input, args.output, args.decoder, overwrite=args.overwrite,
                      accept_damaged=args.accept_damaged)
        return 0
    plan = batch.plan_outputs(args.input, args.output, suffix=".png")
    if not plan.pairs and not plan.problems:
        raise MsroiError(f"{args.input}: no image files found")
    report = decode_files(plan, args.decoder, overwrite=args.overwrite,
                          accept_damaged=args.accept_damaged)
    for row in report.rows:
        if row["status"] == "failed":
            print(f"msroi: error: {row['error']}", file=sys.stderr)
        elif not args.quiet:
            print(f"{row['output']}: {row['status']}")
    if report.ok:
        return 0
    return 2 if plan.folder is None else 1

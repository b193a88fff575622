"""``msroi compare``: the side-by-side page in the browser."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from msroi.cli.options import add_damaged_option, budget_text, check_model
from msroi.errors import MsroiError


def arguments(p: argparse.ArgumentParser) -> None:
    from msroi.rate import DEFAULT_BUDGET

    p.add_argument("input", help="photo or folder of photos")
    p.add_argument("-o", "--output", required=True, help="the HTML page to write")
    p.add_argument("--budget", type=budget_text, default=DEFAULT_BUDGET,
                   help="msroi's budget; the peers get msroi's bytes (default q50)")
    p.add_argument("--model", help="map model preset (default: the default map model)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing page")
    add_damaged_option(p)


def run(args) -> int:
    from msroi import io

    check_model(args)
    source = Path(args.input)
    if source.is_dir():
        walk = io.walk_images(source)
        files = walk.files
        for path, reason in walk.problems:
            print(f"msroi: error: {path}: {reason}", file=sys.stderr)
    else:
        files = [source]
    if not files:
        raise MsroiError(f"{args.input}: no image files found")
    return write_page(files, args.output, args, overwrite=args.overwrite)


def write_page(files: list, out: str, args, *, overwrite: bool) -> int:
    """The compare page of ``files`` into ``out``; one line per photo that failed."""
    from msroi.evaluation.compare import write_compare_page
    from msroi.rate import DEFAULT_BUDGET

    shown, failed = write_compare_page(
        files, out, model=args.model, budget=getattr(args, "budget", None) or DEFAULT_BUDGET,
        accept_damaged=getattr(args, "accept_damaged", False), overwrite=overwrite,
        on_error=lambda exc: print(f"msroi: error: {exc}", file=sys.stderr))
    print(f"wrote {out}: {shown} photos, open it in a browser")
    return 1 if failed else 0


"""Packages a folder for CLIC's low-rate track: a thin program over ``msroi clic pack``
(kept for its flags; ``msroi clic pack DIR --track lowrate|transparent -o OUT`` is the
command, see the README's "Decoding").

    python compress/clic_submission.py --data ../shared/data/kodak --out submission --total-bpp 0.15
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder of images")
    parser.add_argument("--out", required=True, help="submission folder (JPEGs, decode.py, report.csv)")
    parser.add_argument("--total-bpp", type=float, default=0.15)
    parser.add_argument("--method", default="rdq", help="msroi codec (rdq, paper, mozjpeg, ...)")
    parser.add_argument("--decoder", default="postfilter", help="postfilter or standard")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)

    from msroi import cli

    return cli.main(["clic", "pack", args.data, "-o", args.out, "--track", "lowrate",
                     "--bpp", str(args.total_bpp), "--method", args.method,
                     "--decoder", args.decoder] + (["-q"] if args.quiet else []))


if __name__ == "__main__":
    sys.exit(main())

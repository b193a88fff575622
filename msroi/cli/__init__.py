"""``msroi``: the command line. Thin over the API (parse, call the library, print); one module
per command, each with ``arguments(parser)`` and ``run(args)``; ``main(argv)``-testable.

    msroi map IMAGE -o MAP.png [--overlay OUT.png [--fixations CSV]] [--model NAME]
    msroi compress INPUT -o OUTPUT [--budget q50|30kB|0.5bpp | --match q80] [--method paper]
    msroi decode INPUT -o OUTPUT [--decoder postfilter]
    msroi evaluate --data DIR [--out DIR] [--fixations CSV] [--perceptual] [--paper-table]
    msroi compare PHOTO|FOLDER -o page.html
    msroi clic pack DIR --track lowrate|transparent -o OUT
    msroi train DATA [--distill-from mobilenet_v2] [--config train/x.json] [--out DIR]
    msroi train-postfilter DATA --out DIR
    msroi train-readout SET... --out DIR
    msroi models

(The table of commands is :data:`COMMANDS`; a test checks this list names each of them.)
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from msroi.cli import clic, compare, compress, decode, evaluate, models, train
from msroi.cli import map as map_command
from msroi.cli.options import OneLineParser
from msroi.errors import MsroiError

#: name -> (help, arguments, run). Only the command being run builds its arguments, so
#: ``msroi --help`` imports no codec and no network.
COMMANDS = {
    "map": ("write the semantic importance map of an image", map_command.arguments, map_command.run),
    "compress": ("compress an image or a folder tree to JPEG", compress.arguments, compress.run),
    "decode": ("decode JPEG files to PNG (file or folder)", decode.arguments, decode.run),
    "evaluate": ("benchmark against the standard JPEG and peers at equal bytes",
                 evaluate.arguments, evaluate.run),
    "train": ("train VGG16-MSROI on class-labelled photos or distil it", train.arguments, train.run),
    "train-postfilter": ("train the learned post-filter decoder on photos",
                         train.postfilter_arguments, train.run_postfilter),
    "train-readout": ("train the fixation readout (where people look) on eye-fixation sets",
                      train.readout_arguments, train.run_readout),
    "clic": ("CLIC-style submissions: msroi clic pack DIR --track lowrate|transparent -o OUT",
             clic.arguments, clic.run),
    "compare": ("a side-by-side page in the browser: original, msroi, mozjpeg, jpegli at "
                "equal bytes", compare.arguments, compare.run),
    "models": ("list the model presets", lambda p: None, models.run),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command``, only that subcommand gets its arguments (all of them
    do when ``command`` is None, none when it is "")."""
    from msroi import __version__

    parser = OneLineParser(
        prog="msroi", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=("Semantic region-of-interest JPEG compression: a CNN finds where people "
                     "will look, the encoder spends the bytes there, the output is a standard "
                     "JPEG."),
        epilog="exit status:\n" + "\n".join(f"  {code:>3}  {meaning}"
                                              for code, meaning in EXIT_CODES.items()))
    parser.add_argument("--version", action="version", version=f"msroi {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, arguments, run) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if command is None or command == name:
            arguments(p)
        p.set_defaults(run=run)
    return parser


#: Exit statuses of every msroi command (the README's table).
EXIT_CODES = {
    0: "done: every file written or already up to date",
    1: "a folder run finished, but some files failed (each named on stderr and in the report)",
    2: "nothing done: a usage error, a bad or damaged input, an output refused, an "
       "impossible budget, an unknown model; or the one file of a one-file run failed",
    130: "stopped by SIGINT (Ctrl-C) after the files in flight; rerun to resume",
    143: "stopped by SIGTERM after the files in flight; rerun to resume",
}


#: Modules an optional feature needs -> the extra that installs them.
EXTRA_OF_MODULE = {"pandas": "eval", "matplotlib": "eval", "skimage": "eval", "cv2": "eval",
                   "pyjpegli": "eval", "ssimulacra2": "eval", "tensorflow": "train",
                   "keras": "train", "h5py": "train", "tensorboard": "train", "wand": "paper"}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(command if command in COMMANDS else "").parse_args(argv)
    try:
        return args.run(args)
    except MsroiError as exc:
        print(f"msroi: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # outside a batch run, which stops by itself
        print("msroi: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # the system refused (full disk, permissions) where no check did
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"msroi: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("msroi: error: out of memory (lower --max-pixels or --jobs)", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # an optional feature whose extra is not installed
        module = (exc.name or "").split(".")[0]
        if module not in EXTRA_OF_MODULE:
            raise
        extra = EXTRA_OF_MODULE[module]
        print(f"msroi: error: msroi {args.command} needs {module}, from the [{extra}] extra: "
              f"pip install 'msroi[{extra}]'", file=sys.stderr)
        return 2


"""The options several commands share, and the argparse types that turn a library's
ValueError into a one-line usage message."""

from __future__ import annotations

import argparse
import os

from msroi.errors import MsroiError


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line, ``PROG: error: ... (see PROG --help)``, exit status 2."""

    def error(self, message: str):
        message = message.replace("\r", "\\r").replace("\n", "\\n")  # stays one line
        program = self.prog.split()[0]
        self.exit(2, f"{program}: error: {message} (see {self.prog} --help)\n")


def int_in_range(low: int, high: int | None = None):
    """An argparse type: a whole number in [low, high] (no upper end if ``high`` is None)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            span = f"at least {low}" if high is None else f"{low}..{high}"
            raise argparse.ArgumentTypeError(f"must be {span}, got {value}")
        return value
    return parse


def budget_text(text: str) -> str:
    """Checks a budget's text (kept as text: it travels to workers and into the manifest)."""
    from msroi.rate import Budget

    try:
        Budget.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_map_options(parser: argparse.ArgumentParser) -> None:
    from msroi.maps import COMBINERS, DEFAULT_TOP_K, DEFAULT_WORKING_SIZE, MAP_RECIPES, RENAMED_COMBINERS
    from msroi.presets import RUNTIMES

    parser.add_argument("--model", help="map model preset or folder (default: the default "
                        "map model; see 'msroi models')")
    parser.add_argument("--map-recipe", "--map-method", dest="recipe", choices=MAP_RECIPES,
                        default=None, help=(
        "fixations = where people look: a readout trained on human eye fixations over the "
        "network's features and the fused map (default where the model ships one, as the "
        "shipped one does); fused = feature energy x top-k class gradient x finer-layer "
        "energy x border contrast, snapped to edges (best against the object judge); energy = two-scale feature energy snapped to edges (default "
        "otherwise); cam = the paper's top-k class activation maps"))
    parser.add_argument("--top-k", type=int_in_range(1), default=DEFAULT_TOP_K,
                        help=f"classes combined into the map (default {DEFAULT_TOP_K})")
    parser.add_argument("--combine", default="ranking",
                        **choice(sorted(COMBINERS), kind="combination", renamed=RENAMED_COMBINERS),
                        help="map recipe cam: how class maps are combined: ranking = the paper's exponential "
                        "ranking (default; 'paper' still read), sum")
    parser.add_argument("--working-size", type=int_in_range(0),
                        default=DEFAULT_WORKING_SIZE,
                        help=f"longer side of the network input in pixels (default {DEFAULT_WORKING_SIZE}); 0 = full resolution")
    parser.add_argument("--runtime", choices=RUNTIMES, default="auto", help=(
        "how the map network runs: litert = the preset's LiteRT export (no TensorFlow), "
        "keras = the Keras network, auto = LiteRT where exported (default)"))


def map_options(args) -> dict:
    """Map settings as keyword arguments of msroi.maps.semantic_map and msroi.pipeline."""
    return {"recipe": args.recipe, "top_k": args.top_k, "combine": args.combine,
            "working_size": args.working_size or None, "runtime": args.runtime}


def choice(choices, *, kind: str, renamed: dict) -> dict:
    """``type`` and ``metavar`` of an option whose values were partly renamed: the library's
    :func:`msroi.names.canonical` (an old spelling becomes the new name; anything else is
    one usage line naming the choices), shown as ``{a,b}`` in the help."""
    from msroi.names import canonical

    return {"type": parse_with(lambda text: canonical(text, choices, kind=kind, renamed=renamed)),
            "metavar": "{" + ",".join(choices) + "}"}


def parse_with(parse):
    """An argparse type from a settings parser: its ValueError becomes the usage message."""
    def convert(text: str):
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return convert


def add_codec_options(parser: argparse.ArgumentParser) -> None:
    """One option per command-line field of every registered codec's settings
    (``--strength`` ...); a field two codecs share is one option for both."""
    from msroi.codecs.registry import CODECS

    fields: dict[str, tuple] = {}
    for name in CODECS:
        for f in CODECS[name].Settings.command_line_fields():
            methods = fields.get(f.name, (f, []))[1]
            fields[f.name] = (fields.get(f.name, (f, []))[0], methods + [name])
    for field_name, (f, methods) in sorted(fields.items()):
        flag = "--" + field_name.replace("_", "-")
        applies = f"(method{'s' if len(methods) > 1 else ''} {', '.join(methods)})"
        if isinstance(f.default, bool):
            flag = flag if not f.default else "--no-" + flag[2:]
            parser.add_argument(flag, dest=f"codec_{field_name}", action="store_const",
                                const=not f.default, default=None,
                                help=f"{applies} {f.metadata['help']}")
            continue
        parse = f.metadata["parse"] or type(f.default)
        parser.add_argument(flag, dest=f"codec_{field_name}", default=None,
                            type=parse_with(parse), choices=f.metadata["choices"],
                            metavar=None if f.metadata["choices"] else field_name.upper(),
                            help=f"{applies} {f.metadata['help']}")


def codec_options(args) -> dict:
    """The codec settings given on the command line for ``args.method``; an option of
    another codec is an error (it would be ignored)."""
    from msroi.codecs.registry import CODECS

    given = {k[len("codec_"):]: v for k, v in vars(args).items()
             if k.startswith("codec_") and v is not None}
    own = {f.name for f in CODECS[args.method].Settings.command_line_fields()}
    stray = sorted(set(given) - own)
    if stray:
        flag = "--" + stray[0].replace("_", "-")
        raise MsroiError(f"{flag} does not apply to method {args.method}")
    return given


def check_model(args) -> None:
    """An unknown model, or one that makes no maps, is a usage error, before any work."""
    if args.model:
        from msroi.presets import check_map_model

        check_map_model(args.model)


def add_executor_options(p: argparse.ArgumentParser, what: str) -> None:
    from msroi.parallel import DASK_ENV, check_dask_address, usable_cores

    p.add_argument("-j", "--jobs", type=int_in_range(1), default=usable_cores(), help=(
        f"worker processes for the {what} (default: the usable cores, {usable_cores()} here)"))
    p.add_argument("--dask", default=os.environ.get(DASK_ENV), metavar="ADDRESS",
                   type=parse_with(check_dask_address), help=(
        f"run the {what} on a Dask cluster: its scheduler (tcp://host:8786), or 'local' for "
        f"a local cluster of --jobs workers (default: ${DASK_ENV} if set, else the local pool)"))


def add_input_output(p: argparse.ArgumentParser, *, given: str, written: str) -> None:
    """The input (a file, a folder searched recursively, or - for standard input) and
    ``-o`` (one file, a folder mirroring the input tree, or - for standard output)."""
    p.add_argument("input", help=f"{given} file or folder (searched recursively), or - for "
                   "standard input")
    p.add_argument("-o", "--output", required=True, help=(
        f"output {written} (one file) or folder (mirrors the input tree), or - for standard output"))


def add_damaged_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--accept-damaged", action="store_true", help=(
        "read damaged JPEG inputs anyway (cut short, corrupt data: libjpeg's warnings); "
        "without it such a file fails with one line"))


def compress_settings(args):
    from msroi.batch import CompressSettings
    from msroi.io import read_input
    from msroi.rate import DEFAULT_BUDGET

    importance_png = read_input(args.map, what="map") if args.map else None
    match = getattr(args, "match", None)
    if match and args.budget:
        raise MsroiError("--match and --budget cannot be combined (one sets the quality, the "
                         "other the size)")
    if match and getattr(args, "total_budget", None):
        raise MsroiError("--match and --total-budget cannot be combined")
    return CompressSettings(method=args.method, budget=args.budget or DEFAULT_BUDGET,
                            codec_options=codec_options(args),
                            model=args.model, map_options=map_options(args),
                            keep_metadata=not args.strip_metadata, max_pixels=args.max_pixels,
                            importance_file=args.map, importance_png=importance_png,
                            accept_damaged=args.accept_damaged,
                            match=f"q{match}" if match else None,
                            match_floor=getattr(args, "match_floor", 0.0))


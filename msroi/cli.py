"""``msroi``: the command line. Thin over the API; every subcommand is ``main(argv)``-testable.

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
import json
import os
import sys
from pathlib import Path
from typing import Sequence

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


def _budget(text: str) -> str:
    """Checks a budget's text (kept as text: it travels to workers and into the manifest)."""
    from msroi.rate import Budget

    try:
        Budget.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _add_map_options(parser: argparse.ArgumentParser) -> None:
    from msroi.maps import COMBINERS, DEFAULT_TOP_K, DEFAULT_WORKING_SIZE, MAP_RECIPES
    from msroi.zoo import RUNTIMES

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
    parser.add_argument("--combine", choices=sorted(COMBINERS), default="paper",
                        help="map recipe cam: how class maps are combined (default: the paper's ranking)")
    parser.add_argument("--working-size", type=int_in_range(0),
                        default=DEFAULT_WORKING_SIZE,
                        help=f"longer side of the network input in pixels (default {DEFAULT_WORKING_SIZE}); 0 = full resolution")
    parser.add_argument("--runtime", choices=RUNTIMES, default="auto", help=(
        "how the map network runs: litert = the preset's LiteRT export (no TensorFlow), "
        "keras = the Keras network, auto = LiteRT where exported (default)"))


def _map_options(args) -> dict:
    """Map settings as keyword arguments of msroi.maps.semantic_map and msroi.pipeline."""
    return {"recipe": args.recipe, "top_k": args.top_k, "combine": args.combine,
            "working_size": args.working_size or None, "runtime": args.runtime}


def _parse_with(parse):
    """An argparse type from a settings parser: its ValueError becomes the usage message."""
    def convert(text: str):
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return convert


def _add_codec_options(parser: argparse.ArgumentParser) -> None:
    """One option per command-line field of every registered codec's settings
    (``--strength`` ...); a field two codecs share is one option for both."""
    from msroi.jpeg.registry import CODECS

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
                            type=_parse_with(parse), choices=f.metadata["choices"],
                            metavar=None if f.metadata["choices"] else field_name.upper(),
                            help=f"{applies} {f.metadata['help']}")


def _codec_options(args) -> dict:
    """The codec settings given on the command line for ``args.method``; an option of
    another codec is an error (it would be ignored)."""
    from msroi.jpeg.registry import CODECS

    given = {k[len("codec_"):]: v for k, v in vars(args).items()
             if k.startswith("codec_") and v is not None}
    own = {f.name for f in CODECS[args.method].Settings.command_line_fields()}
    stray = sorted(set(given) - own)
    if stray:
        flag = "--" + stray[0].replace("_", "-")
        raise MsroiError(f"{flag} does not apply to method {args.method}")
    return given


def _check_model(args) -> None:
    """An unknown model, or one that makes no maps, is a usage error, before any work."""
    if args.model:
        from msroi.zoo import check_map_model

        check_map_model(args.model)


def cmd_map(args) -> int:
    from msroi import io

    outputs = [args.output] + ([args.overlay] if args.overlay else [])
    if len({os.path.abspath(o) for o in outputs}) < len(outputs):
        raise MsroiError(f"{args.output}: the map and the overlay need different files")
    for output in outputs:
        io.check_target(output, inputs=[args.image], overwrite=args.overwrite)
    _check_model(args)
    from msroi import maps
    from msroi.importance import map_to_uint8

    name, data = io.read_source(args.image)
    image = io.load_image(name, data=data, accept_damaged=args.accept_damaged).pixels
    made = maps.semantic_map(image, args.model, **_map_options(args))
    io.write_target(args.output, io.encode_png(map_to_uint8(made.map)), overwrite=args.overwrite)
    if args.overlay:
        points = None
        if args.fixations:
            from msroi.fixations import FixationSet

            points = FixationSet(args.fixations, images=Path(args.image).parent).photo(
                Path(args.image).name).fixations
        io.write_target(args.overlay, io.encode_png(maps.overlay(image, made.map, fixations=points)),
                      overwrite=args.overwrite)
    if not args.quiet:
        to = sys.stderr if io.STREAM in outputs else sys.stdout  # stdout carries the image
        for index, class_name, probability in made.classes:
            print(f"{probability:8.4f}  {index:4d}  {class_name}", file=to)
    return 0


def _compress_settings(args):
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
                            codec_options=_codec_options(args),
                            model=args.model, map_options=_map_options(args),
                            keep_metadata=not args.strip_metadata, max_pixels=args.max_pixels,
                            importance_file=args.map, importance_png=importance_png,
                            accept_damaged=args.accept_damaged,
                            match=f"q{match}" if match else None,
                            match_floor=getattr(args, "match_floor", 0.0))


def _compress_stream(args) -> int:
    """``msroi compress`` with ``-`` as input (standard input, any format Pillow reads)
    or output (the JPEG to standard output; every message to standard error)."""
    from msroi import batch, io

    if args.total_budget:
        raise MsroiError("--total-budget needs a folder, not a pipe")
    io.check_target(args.output, inputs=[args.input, args.map], overwrite=args.overwrite)
    name, data = io.read_source(args.input)
    result = batch.compress_file(_compress_settings(args), name, data)
    if result.error:
        raise MsroiError(result.error)
    io.write_target(args.output, result.data, overwrite=args.overwrite)
    if not args.quiet:
        print(_compressed_line({**result.row, "output": args.output}), file=sys.stderr)
    return 0


def cmd_compress(args) -> int:
    from msroi import batch, io

    _check_model(args)
    if io.STREAM in (args.input, args.output):
        return _compress_stream(args)
    plan = batch.plan_outputs(args.input, args.output)
    if not plan.pairs and not plan.problems:
        raise MsroiError(f"{args.input}: no image files found")
    if args.map and plan.folder is not None:
        raise MsroiError("--map applies to a single input image, not a folder")
    if args.map:  # the map is an input too: never written over, even with --overwrite
        io.check_output(plan.pairs[0][1], inputs=[args.map], replace=True)
    if args.map and args.total_budget:
        raise MsroiError("--map and --total-budget cannot be combined")
    if args.total_budget:
        from msroi.batch.sets import compress_files_to_total

        report = compress_files_to_total(
            plan, _compress_settings(args), args.total_budget, jobs=args.jobs, dask=args.dask,
            overwrite=args.overwrite, max_pixels=args.max_pixels,
            accept_damaged=args.accept_damaged, progress=not args.quiet)
        if not args.quiet and report.total:
            print(report.total)
    else:
        warn = None if args.quiet else (lambda text: print(f"msroi: warning: {text}", file=sys.stderr))
        report = batch.compress_files(plan, _compress_settings(args), jobs=args.jobs,
                                      dask=args.dask, overwrite=args.overwrite,
                                      progress=not args.quiet, on_warning=warn)
    return _finish_compress(report, plan, args)


def _compressed_line(row: dict) -> str:
    """What one compressed file got: its size against the budget, or against the standard
    JPEG and mozjpeg at the matched quality (``--match``)."""
    if row.get("match_quality"):
        moz = (f", {row['saved_vs_mozjpeg']:.1%} fewer than mozjpeg's {row['mozjpeg_bytes']}"
               if row.get("mozjpeg_bytes") else "")
        return (f"{row['output']}: {row['bytes']} bytes, as good as the standard JPEG at "
                f"quality {row['match_quality']} where the map looks ({row['map_psnr']:.2f} >= "
                f"{row['target_map_psnr']:.2f} dB): {row['saved_vs_standard']:.1%} fewer bytes "
                f"than its {row['standard_bytes']}{moz} for the same quality there")
    return (f"{row['output']}: {row['bytes']} bytes (limit {row['target_bytes']}), "
            f"{row['bpp']} bpp, quality {row['quality']}")


def _finish_compress(report, plan, args) -> int:
    """Prints what a compress run did; the exit status (see :data:`EXIT_CODES`)."""
    if not args.quiet:
        if plan.folder is None:
            for row in report.done:
                print(_compressed_line(row))
        else:
            counts = {s: sum(r["status"] == s for r in report.rows)
                      for s in ("done", "up-to-date", "failed", "not started")}
            print(f"{plan.folder}: {counts['done']} compressed, {counts['up-to-date']} already "
                  f"up to date, {counts['failed']} failed, {counts['not started']} not started, "
                  f"of {len(report.rows)} ({report.seconds:.1f} s)")
            replaced = [r["replaced"] for r in report.rows if r.get("replaced")]
            if replaced:
                print(f"replaced {len(replaced)} files msroi had not written (--overwrite)")
    for _, message in report.failed:
        print(f"msroi: error: {message}", file=sys.stderr)
    if report.report_error:
        print(f"msroi: error: {report.report_error}", file=sys.stderr)
    if report.interrupted is not None:
        left = report.not_started
        advice = ("run the same command again to resume" if left else
                  "every file had been handled")
        print(f"msroi: stopped by signal {report.interrupted}; {left} of {len(report.rows)} "
              f"not started; {advice}", file=sys.stderr)
        return 128 + report.interrupted
    if report.ok and not report.report_error:
        return 0
    return 2 if plan.folder is None else 1  # one file that failed: the command failed


def cmd_evaluate(args) -> int:
    from msroi import io

    files = io.find_images(args.data)[: args.limit or None]
    if not files:
        raise MsroiError(f"{args.data}: no image files found")
    _check_model(args)
    out = io.claim_run_folder(args.out or Path("results") / f"evaluate-{Path(args.data).resolve().name}")
    if args.paper_table:
        from msroi import maps, paper_table

        if not args.reference:
            raise MsroiError("--paper-table needs --reference (the authors' per-image log)")
        options = _map_options(args)
        map_maker = lambda image: maps.generate_map(image, args.model, **options)  # noqa: E731
        ours = paper_table.paper_protocol(files, map_maker=map_maker, mixing_model=args.mixing_model,
                                          threshold_pct=args.threshold_pct,
                                          quality=args.quality, progress=not args.quiet)
        table = paper_table.side_by_side(ours, paper_table.read_paper_log(args.reference))
        ours.to_csv(out / "paper_protocol.csv", index=False)
        table.to_csv(out / "paper_table.csv", index=False)
        print(f"The paper's protocol (model {args.mixing_model}, threshold {args.threshold_pct}%, "
              f"Q{args.quality}): the authors' log beside this run")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        print(f"wrote {out / 'paper_table.csv'}, {out / 'paper_protocol.csv'}")
        return 0

    from msroi import batch, evaluate

    settings = evaluate.EvaluateSettings(
        model=args.model, map_options=_map_options(args), judge=not args.no_judge,
        reference_quality=args.quality, protocol=args.protocol, methods=tuple(args.methods),
        peers=tuple(args.peers), seeds=() if args.no_seeds else evaluate.MIXING_MODELS,
        curve_qualities=() if args.no_curves else tuple(args.curve_qualities or evaluate.CURVE_QUALITIES),
        oracle=args.oracle, variants_on_curves=args.variant_curves, decoders=tuple(args.decoder),
        fixations=args.fixations, perceptual=args.perceptual)
    executor = batch.make_executor(min(args.jobs, len(files)), args.dask)
    try:
        evaluation = evaluate.evaluate(files, settings, executor=executor, progress=not args.quiet)
    finally:
        executor.close()
    written = evaluate.write_outputs(evaluation, out)
    print(evaluate.format_report(evaluation))
    print("wrote " + ", ".join(str(p) for p in written))
    if args.html:  # the page lives in msroi's own (claimed) results folder
        return _write_compare_page(files, str(out / "compare.html"), args, overwrite=True)
    return 0


def cmd_decode(args) -> int:
    from msroi import batch, io
    from msroi.batch.decode import decode_files, decode_one

    if io.STREAM in (args.input, args.output):
        from msroi.decode import get_decoder

        io.check_target(args.output, inputs=[args.input], overwrite=args.overwrite)
        name, data = io.read_source(args.input)
        png = decode_one(data, name, get_decoder(args.decoder), accept_damaged=args.accept_damaged)
        io.write_target(args.output, png, overwrite=args.overwrite)
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


def cmd_train(args) -> int:
    from msroi.quiet import import_tensorflow

    import_tensorflow()
    from msroi.training.fit import TrainConfig, train

    overrides = {k: v for k, v in vars(args).items() if k in TrainConfig.__dataclass_fields__}
    if args.config:
        config = TrainConfig.from_json(args.config, **overrides)  # flags given win
    else:
        if not args.data:
            raise MsroiError("msroi train needs DATA (a class-folder tree or a CSV manifest) or --config")
        config = TrainConfig(**{k: v for k, v in overrides.items() if v is not None})
    result = train(config, verbose=0 if args.quiet else 2)
    print(f"trained {result.train_images} images ({result.skipped_files} unreadable skipped); "
          f"preset written to {result.preset}")
    return 0


def _training_config(config_class, args, missing: str):
    """A training config from --config (flags given win) or from the flags and DATA."""
    overrides = {k: v for k, v in vars(args).items()
                 if k in config_class.__dataclass_fields__ and v not in (None, [])}
    if args.config:
        return config_class.from_json(args.config, **overrides)
    if not args.data:
        raise MsroiError(missing)
    return config_class(**overrides)


def cmd_train_postfilter(args) -> int:
    from msroi.quiet import import_tensorflow

    import_tensorflow()
    from msroi.training.postfilter import PostFilterConfig, train_postfilter

    config = _training_config(PostFilterConfig, args, "msroi train-postfilter needs DATA "
                              "folders or --config")
    preset = train_postfilter(config, verbose=0 if args.quiet else 2)
    metrics = json.loads((preset / "metadata.json").read_text())["metrics"]
    print(f"validation PSNR {metrics['validation_psnr_plain']:.2f} -> "
          f"{metrics['validation_psnr_filtered']:.2f} dB; preset written to {preset}")
    return 0


def cmd_train_readout(args) -> int:
    from msroi.training.readout import ReadoutConfig, train_readout

    config = _training_config(ReadoutConfig, args, "msroi train-readout needs fixation set "
                              "folders (DATA) or --config")
    preset = train_readout(config, progress=not args.quiet)
    metrics = json.loads((preset / "metadata.json").read_text())["fixation_readout"]
    print(f"validation: {metrics['validation_nll_nats_vs_uniform']:.3f} nats per fixation "
          f"against a uniform map ({metrics['validation_photos']} photos); preset written to {preset}")
    return 0


def cmd_clic(args) -> int:
    import dataclasses

    from msroi import clic

    decoder = args.decoder or {"lowrate": "postfilter", "transparent": "standard"}[args.track]
    settings = dataclasses.replace(_compress_settings(args), decoder=decoder, keep_metadata=False)
    submission, written = clic.pack_folder(
        args.input, args.output, args.track, settings, bpp=args.bpp, overwrite=args.overwrite,
        accept_damaged=args.accept_damaged, jobs=args.jobs, dask=args.dask, progress=not args.quiet)
    numbers = submission.summary
    print(f"{args.track}: {numbers['images']} images, {numbers['total_bytes']} bytes "
          f"(limit {numbers['limit_bytes']}), {numbers['bpp']:.4f} bpp, PSNR {numbers['psnr']:.2f} dB, "
          f"MS-SSIM {numbers['ms_ssim']:.4f} after the {numbers['decoder']} decoder; "
          f"wrote {len(written) - 2} files, decode.py and report.csv to {args.output}")
    return 0


def _write_compare_page(files: list, out: str, args, *, overwrite: bool) -> int:
    """The compare page of ``files`` into ``out``; one line per photo that failed."""
    from msroi.compare import write_compare_page
    from msroi.rate import DEFAULT_BUDGET

    shown, failed = write_compare_page(
        files, out, model=args.model, budget=getattr(args, "budget", None) or DEFAULT_BUDGET,
        accept_damaged=getattr(args, "accept_damaged", False), overwrite=overwrite,
        on_error=lambda exc: print(f"msroi: error: {exc}", file=sys.stderr))
    print(f"wrote {out}: {shown} photos, open it in a browser")
    return 1 if failed else 0


def cmd_compare(args) -> int:
    from msroi import io

    _check_model(args)
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
    return _write_compare_page(files, args.output, args, overwrite=args.overwrite)


def cmd_models(args) -> int:
    from msroi import zoo

    for name in zoo.list_models():
        marker = " (default map model)" if name == zoo.DEFAULT_MAP_MODEL else ""
        try:
            description = zoo.read_preset(name, verify=False)["metadata"].get("description", "")
        except MsroiError as exc:
            description = f"unusable: {exc}"
        print(f"{name}{marker}\n    {description}")
    return 0


def _add_executor_options(p: argparse.ArgumentParser, what: str) -> None:
    from msroi.batch import DASK_ENV, check_dask_address, usable_cores

    p.add_argument("-j", "--jobs", type=int_in_range(1), default=usable_cores(), help=(
        f"worker processes for the {what} (default: the usable cores, {usable_cores()} here)"))
    p.add_argument("--dask", default=os.environ.get(DASK_ENV), metavar="ADDRESS",
                   type=_parse_with(check_dask_address), help=(
        f"run the {what} on a Dask cluster: its scheduler (tcp://host:8786), or 'local' for "
        f"a local cluster of --jobs workers (default: ${DASK_ENV} if set, else the local pool)"))


def _add_damaged_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--accept-damaged", action="store_true", help=(
        "read damaged JPEG inputs anyway (cut short, corrupt data: libjpeg's warnings); "
        "without it such a file fails with one line"))


def _map_arguments(p: argparse.ArgumentParser) -> None:
    _add_damaged_option(p)
    p.add_argument("image", help="photo file, or - for standard input")
    p.add_argument("-o", "--output", required=True,
                   help="map as 8-bit grey PNG, or - for standard output")
    p.add_argument("--overlay", help="also write the jet heatmap over the photo (PNG)")
    p.add_argument("--fixations", metavar="CSV", help=(
        "with --overlay: draw where people looked at this photo (a fixations.csv of the "
        "shared layout, rows matched by the photo's file name)"))
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("-q", "--quiet", action="store_true")
    _add_map_options(p)


def _compress_arguments(p: argparse.ArgumentParser) -> None:
    from msroi.jpeg.registry import CODECS, DEFAULT_METHOD
    from msroi.rate import QualityTarget

    p.add_argument("input", help="image file or folder (searched recursively), or - for "
                   "standard input")
    p.add_argument("-o", "--output", required=True,
                   help="output .jpg (one image) or folder (mirrors the input tree), or - for "
                        "standard output")
    p.add_argument("--budget", type=_budget, default=None, help=(
        "size limit: q50 = no larger than the standard JPEG at quality 50 (default), "
        "30000 or 30kB = bytes, 0.5bpp = bits per pixel"))
    p.add_argument("--match", type=_parse_with(lambda t: str(QualityTarget.parse(t).jpeg_quality)),
                   metavar="qN", help=(
        "instead of a size: the smallest file as good as the standard JPEG at quality N where "
        "the map looks (map-weighted PSNR), its whole image (PSNR-HVS-M) not below mozjpeg's "
        "at the same bytes; e.g. --match q80"))
    p.add_argument("--match-floor", type=float, default=0.0, metavar="DB", help=(
        "with --match: how many dB of whole-image PSNR-HVS-M below mozjpeg's at the same "
        "bytes are allowed (default 0; negative demands more)"))
    p.add_argument("--method", choices=list(CODECS), default=DEFAULT_METHOD, help=(
        "; ".join(f"{name} = {CODECS[name].description}" for name in CODECS)
        + f" (default {DEFAULT_METHOD})"))
    _add_codec_options(p)
    p.add_argument("--total-budget", type=_budget, help=(
        "folder: one budget for all images together (CLIC style), e.g. 0.15bpp, 2MB, or q50 "
        "(the standard JPEGs' total); bytes go where they lower the set's error most"))
    p.add_argument("--map", help="use this map (grey image) instead of computing one")
    p.add_argument("--strip-metadata", action="store_true", help="do not copy EXIF and ICC")
    _add_damaged_option(p)
    from msroi.batch.job import DEFAULT_BATCH_MAX_PIXELS

    p.add_argument("--overwrite", action="store_true", help=(
        "replace existing files that msroi did not write (the report names them); without "
        "it such files are left as they are and reported"))
    _add_executor_options(p, "files of a folder")
    p.add_argument("--max-pixels", type=int_in_range(1),
                   default=DEFAULT_BATCH_MAX_PIXELS, help=(
                       f"refuse images larger than this many pixels, before decoding them "
                       f"(default {DEFAULT_BATCH_MAX_PIXELS:,}: ~2 GB of work per image, "
                       f"plus ~0.8 GB per worker for the runtime)"))
    p.add_argument("-q", "--quiet", action="store_true")
    _add_map_options(p)


def _evaluate_arguments(p: argparse.ArgumentParser) -> None:
    from msroi.jpeg.paper import MIXING_MODELS
    from msroi.jpeg.registry import DECODERS, map_codecs, peer_codecs
    from msroi.metrics.protocol import PROTOCOLS

    p.add_argument("--data", required=True, help="folder of images (e.g. Kodak)")
    p.add_argument("--out", help="folder for CSV files and plots (default results/evaluate-<data>)")
    p.add_argument("--quality", type=int, default=50, help="reference quality of the standard JPEG (budget)")
    p.add_argument("--protocol", choices=PROTOCOLS, default="paper",
                   help="metrics on yuv420 luma as the paper (default) or on RGB")
    p.add_argument("--methods", nargs="+", choices=map_codecs(), default=map_codecs(),
                   help="msroi methods (codecs the map steers; default all)")
    p.add_argument("--peers", nargs="*", choices=peer_codecs(),
                   default=["libjpeg-turbo-opt", "mozjpeg", "jpegli"],
                   help="map-blind codecs held to the same budget")
    p.add_argument("--decoder", nargs="+", choices=list(DECODERS), default=["standard"],
                   help="what turns every file back into pixels before measuring (default "
                        "standard); further decoders add rows <method>+<decoder>")
    p.add_argument("--no-seeds", action="store_true", help="skip the paper's mixing models 1..6")
    p.add_argument("--no-curves", action="store_true", help="skip rate-quality curves and BD-rates")
    p.add_argument("--curve-qualities", nargs="+", type=int_in_range(1, 100), metavar="Q",
                   help="libjpeg-turbo qualities whose sizes are the curves' budgets (default 20 30 ... 90)")
    p.add_argument("--variant-curves", action="store_true",
                   help="curves and BD-rates for the named variants (e.g. msroi-rdq-objects) too")
    p.add_argument("--no-judge", action="store_true", help="no region numbers")
    p.add_argument("--oracle", action="store_true", help=(
        "also run every msroi method with the judge's object masks as its map (rows "
        "'<method>+oracle'): how much a perfect map would give"))
    p.add_argument("--fixations", metavar="CSV", help=(
        "where people looked at these photos (fixations.csv of the shared layout, rows matched "
        "by file name): fixation-weighted PSNR and SSIM in every row, each method's bytes "
        "against each peer at equal fixation-weighted PSNR (people_savings.csv), maps scored "
        "against people beside the human ceiling, and with --oracle the viewers' density as a map"))
    p.add_argument("--perceptual", action="store_true", help=(
        "also whole-image SSIMULACRA2 (the [eval] extra) and Butteraugli (libjxl's "
        "butteraugli_main, where installed) in every row at the budget"))
    p.add_argument("--html", action="store_true", help=(
        "also write compare.html: the side-by-side page of every photo (msroi compare)"))
    p.add_argument("--limit", type=int, default=0, help="only the first N images")
    p.add_argument("--paper-table", action="store_true",
                   help="run the paper's exact protocol and print the authors' log beside it")
    p.add_argument("--reference", help="the authors' per-image log (paper_kodak_metrics.log)")
    p.add_argument("--threshold-pct", type=float, default=2.0,
                   help="paper table: size slack over the standard JPEG in percent (default 2)")
    p.add_argument("--mixing-model", type=int, choices=MIXING_MODELS, default=6,
                   help="paper table: the paper's mixing model (default 6)")
    _add_executor_options(p, "images")
    p.add_argument("-q", "--quiet", action="store_true")
    _add_map_options(p)


def _decode_arguments(p: argparse.ArgumentParser) -> None:
    from msroi.jpeg.registry import DECODERS

    p.add_argument("input", help="JPEG file or folder (searched recursively), or - for "
                   "standard input")
    p.add_argument("-o", "--output", required=True,
                   help="output .png (one file) or folder (mirrors the input tree), or - for "
                        "standard output")
    p.add_argument("--decoder", choices=list(DECODERS), default="standard", help=(
        "; ".join(f"{name} = {DECODERS[name].description}" for name in DECODERS)
        + " (default standard)"))
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    _add_damaged_option(p)
    p.add_argument("-q", "--quiet", action="store_true")


def _train_arguments(p: argparse.ArgumentParser) -> None:
    from msroi.training.fit import OPTIMISERS

    p.add_argument("data", nargs="?", help="class-folder tree (ImageNet or Caltech-256 layout) or CSV manifest (path,label)")
    p.add_argument("--config", help="JSON file of options (see train/*.json); flags override it")
    p.add_argument("--out", help="run folder: checkpoints, logs, backup for resume, preset/")
    p.add_argument("--val", help="validation folder or manifest (default: last 10 files of each class)")
    p.add_argument("--holdout-per-class", dest="holdout_per_class", type=int)
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", dest="batch_size", type=int)
    p.add_argument("--steps-per-epoch", dest="steps_per_epoch", type=int)
    p.add_argument("--image-size", dest="image_size", type=int)
    p.add_argument("--optimiser", "--recipe", dest="optimiser", choices=sorted(OPTIMISERS),
                   help="paper: Adam lr 0.002 eps 0.1 wd 5e-4; modern: cosine, label smoothing")
    p.add_argument("--lr", dest="learning_rate", type=float)
    p.add_argument("--fine-tune", dest="freeze_backbone", action="store_false", default=None,
                   help="train the VGG16 backbone too (at --backbone-lr-scale x the learning rate)")
    p.add_argument("--backbone-lr-scale", dest="backbone_lr_scale", type=float)
    p.add_argument("--dropout", type=float)
    p.add_argument("--num-classes", dest="num_classes", type=int)
    p.add_argument("--checkpoint-every", dest="checkpoint_every", type=int)
    p.add_argument("--init-from", dest="init_from", help="start from this preset's weights (e.g. an earlier run's preset/)")
    p.add_argument("--distill-from", dest="distill_from", help="teacher preset, e.g. mobilenet_v2")
    p.add_argument("--cache-views", dest="cache_views", type=int,
                   help="frozen backbone: run it (and the teacher) once on this many augmented "
                        "views per photo and train the head on the cached features")
    p.add_argument("--cache-dir", dest="cache_dir", help="where the feature cache lives (default OUT/cache)")
    p.add_argument("--temperature", type=float)
    p.add_argument("--label-weight", dest="label_weight", type=float)
    p.add_argument("--map-weight", dest="map_weight", type=float)
    p.add_argument("--strategy", choices=("auto", "mirrored", "multiworker", "default"))
    p.add_argument("--mixed-precision", dest="mixed_precision", action="store_true", default=None)
    p.add_argument("--seed", type=int)
    p.add_argument("--name", help="preset name (default vgg16_msroi)")
    p.add_argument("-q", "--quiet", action="store_true")


def _train_postfilter_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="*", help="folders of photos (never the benchmark sets)")
    p.add_argument("--config", help="JSON file of options; flags override it")
    p.add_argument("--out", help="run folder: patches, checkpoints, log.csv, backup for resume, preset/")
    p.add_argument("--name", help="preset name (default postfilter_small)")
    p.add_argument("--epochs", type=int_in_range(1))
    p.add_argument("--batch-size", dest="batch_size", type=int_in_range(1))
    p.add_argument("--lr", dest="learning_rate", type=float)
    p.add_argument("--max-photos", dest="max_photos", type=int_in_range(0))
    p.add_argument("--crops-per-file", dest="crops_per_file", type=int_in_range(1))
    p.add_argument("--strategy", choices=("auto", "mirrored", "multiworker", "default"))
    p.add_argument("--seed", type=int)
    p.add_argument("-q", "--quiet", action="store_true")


def _compare_arguments(p: argparse.ArgumentParser) -> None:
    from msroi.rate import DEFAULT_BUDGET

    p.add_argument("input", help="photo or folder of photos")
    p.add_argument("-o", "--output", required=True, help="the HTML page to write")
    p.add_argument("--budget", type=_budget, default=DEFAULT_BUDGET,
                   help="msroi's budget; the peers get msroi's bytes (default q50)")
    p.add_argument("--model", help="map model preset (default: the default map model)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing page")
    _add_damaged_option(p)


def _train_readout_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="*", help="fixation set folders (images/ + fixations.csv)")
    p.add_argument("--config", help="JSON file of options; flags override it")
    p.add_argument("--out", help="run folder: checkpoints (resume), log.csv, preset/")
    p.add_argument("--model", help="the frozen map network's preset (default mobilenet_v2)")
    p.add_argument("--name", help="name of the preset written (default: the base's)")
    p.add_argument("--epochs", type=int_in_range(1))
    p.add_argument("--lr", dest="learning_rate", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("-q", "--quiet", action="store_true")


def _clic_arguments(p: argparse.ArgumentParser) -> None:
    from msroi.clic import TRACKS
    from msroi.jpeg.registry import CODECS, DECODERS
    from msroi.jpeg.registry import DEFAULT_METHOD

    p.add_argument("action", choices=("pack",), help="pack: make a submission folder")
    p.add_argument("input", help="folder of images")
    p.add_argument("-o", "--output", required=True, help="submission folder (JPEGs, decode.py, report.csv)")
    p.add_argument("--track", choices=TRACKS, default="lowrate", help=(
        "lowrate: the set within 0.15 bpp; transparent: the fewest bytes with PSNR >= 40 dB "
        "and MS-SSIM >= 0.993, 4:4:4 unless --subsampling says otherwise (default lowrate)"))
    p.add_argument("--bpp", type=float, default=0.15,
                   help="lowrate track: bits per pixel of the whole set (default 0.15, CLIC's)")
    p.add_argument("--decoder", choices=list(DECODERS), default=None, help=(
        "the decoder the submission's decode.py runs and the allocation measures after "
        "(default: postfilter for lowrate; standard for transparent, where the filter, "
        "trained for low qualities, cost 4%% more bytes at 40 dB on Kodak)"))
    p.add_argument("--method", choices=list(CODECS), default=DEFAULT_METHOD)
    _add_codec_options(p)
    p.add_argument("--overwrite", action="store_true", help="replace existing files in the output folder")
    _add_executor_options(p, "images")
    p.add_argument("-q", "--quiet", action="store_true")
    from msroi.batch.job import DEFAULT_BATCH_MAX_PIXELS
    from msroi.rate import DEFAULT_BUDGET

    _add_damaged_option(p)
    p.set_defaults(budget=DEFAULT_BUDGET, map=None, strip_metadata=True, model=None,
                   max_pixels=DEFAULT_BATCH_MAX_PIXELS)
    _add_map_options(p)


#: name -> (help, arguments, run). Only the command being run builds its arguments, so
#: ``msroi --help`` imports no codec and no network.
COMMANDS = {
    "map": ("write the semantic importance map of an image", _map_arguments, cmd_map),
    "compress": ("compress an image or a folder tree to JPEG", _compress_arguments, cmd_compress),
    "decode": ("decode JPEG files to PNG (file or folder)", _decode_arguments, cmd_decode),
    "evaluate": ("benchmark against the standard JPEG and peers at equal bytes",
                 _evaluate_arguments, cmd_evaluate),
    "train": ("train VGG16-MSROI on class-labelled photos or distil it", _train_arguments, cmd_train),
    "train-postfilter": ("train the learned post-filter decoder on photos",
                         _train_postfilter_arguments, cmd_train_postfilter),
    "train-readout": ("train the fixation readout (where people look) on eye-fixation sets",
                      _train_readout_arguments, cmd_train_readout),
    "clic": ("CLIC-style submissions: msroi clic pack DIR --track lowrate|transparent -o OUT",
             _clic_arguments, cmd_clic),
    "compare": ("a side-by-side page in the browser: original, msroi, mozjpeg, jpegli at "
                "equal bytes", _compare_arguments, cmd_compare),
    "models": ("list the model presets", lambda p: None, cmd_models),
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


if __name__ == "__main__":
    sys.exit(main())

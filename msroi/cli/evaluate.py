"""``msroi evaluate``: the benchmark (and the paper's table) on a folder of photos."""

from __future__ import annotations

import argparse
from pathlib import Path

from msroi.cli.compare import write_page
from msroi.cli.options import (add_executor_options, add_map_options, check_model, int_in_range,
                               map_options, choice)
from msroi.errors import MsroiError


def arguments(p: argparse.ArgumentParser) -> None:
    from msroi.codecs.paper import MIXING_MODELS
    from msroi.codecs.registry import map_codecs, peer_codecs
    from msroi.decoders import DECODERS
    from msroi.metrics.protocol import PROTOCOLS, RENAMED_PROTOCOLS

    p.add_argument("--data", required=True, help="folder of images (e.g. Kodak)")
    p.add_argument("--out", help="folder for CSV files and plots (default results/evaluate-<data>)")
    p.add_argument("--quality", type=int, default=50, help="reference quality of the standard JPEG (budget)")
    p.add_argument("--protocol", default="vqmt",
                   **choice(PROTOCOLS, kind="protocol", renamed=RENAMED_PROTOCOLS),
                   help="vqmt = metrics on yuv420 luma as the paper measured with VQMT (default; "
                        "'paper' still read), rgb = on RGB")
    p.add_argument("--methods", nargs="+", choices=map_codecs(), default=map_codecs(),
                   help="msroi methods (codecs the map steers; default all)")
    p.add_argument("--peers", nargs="*", choices=peer_codecs(),
                   default=["libjpeg-turbo-opt", "mozjpeg", "jpegli"],
                   help="map-blind codecs held to the same budget")
    p.add_argument("--decoder", nargs="+", choices=list(DECODERS), default=["standard"],
                   help="what turns every file back into pixels before measuring (default "
                        "standard); further decoders add rows <method>+<decoder>")
    p.add_argument("--no-mixing-models", "--no-seeds", dest="no_mixing_models", action="store_true",
                   help="skip the paper's original program at its mixing models 1..6 (rows original-m1..m6)")
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
    add_executor_options(p, "images")
    p.add_argument("-q", "--quiet", action="store_true")
    add_map_options(p)


def run(args) -> int:
    from msroi import io

    files = io.find_images(args.data)[: args.limit or None]
    if not files:
        raise MsroiError(f"{args.data}: no image files found")
    check_model(args)
    out = io.claim_run_folder(args.out or Path("results") / f"evaluate-{Path(args.data).resolve().name}")
    if args.paper_table:
        from msroi.evaluation.paper_table import run_paper_table

        if not args.reference:
            raise MsroiError("--paper-table needs --reference (the authors' per-image log)")
        table, written = run_paper_table(
            files, args.reference, out, model=args.model, map_options=map_options(args),
            mixing_model=args.mixing_model, threshold_pct=args.threshold_pct,
            quality=args.quality, progress=not args.quiet)
        print(f"The paper's protocol (mixing model {args.mixing_model}, threshold {args.threshold_pct}%, "
              f"Q{args.quality}): the authors' log beside this run")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        print("wrote " + ", ".join(str(p) for p in written))
        return 0

    from msroi.evaluation import benchmark, report
    from msroi.parallel import make_executor

    settings = benchmark.EvaluateSettings(
        model=args.model, map_options=map_options(args), judge=not args.no_judge,
        reference_quality=args.quality, protocol=args.protocol, methods=tuple(args.methods),
        peers=tuple(args.peers), mixing_models=() if args.no_mixing_models else benchmark.MIXING_MODELS,
        curve_qualities=() if args.no_curves else tuple(args.curve_qualities or benchmark.CURVE_QUALITIES),
        oracle=args.oracle, variants_on_curves=args.variant_curves, decoders=tuple(args.decoder),
        fixations=args.fixations, perceptual=args.perceptual)
    executor = make_executor(min(args.jobs, len(files)), args.dask)
    try:
        evaluation = benchmark.evaluate(files, settings, executor=executor, progress=not args.quiet)
    finally:
        executor.close()
    written = report.write_outputs(evaluation, out)
    print(report.format_report(evaluation))
    print("wrote " + ", ".join(str(p) for p in written))
    if args.html:  # the page lives in msroi's own (claimed) results folder
        return write_page(files, str(out / "compare.html"), args, overwrite=True)
    return 0


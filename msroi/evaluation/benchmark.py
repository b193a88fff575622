"""The benchmark: every method at the byte budget of the standard JPEG, measured the same way.

For each image of a folder: the standard JPEG (Pillow/libjpeg-turbo, 4:2:0) at the
reference quality sets the budget; our codecs, the peer encoders (quality searched for the
largest file under the budget) and the paper's original algorithm (mixing models 1..6,
given our map) are all held to it. Whole-image metrics (the paper's six), region metrics
under the independent judge, map scores against the judge, rate-quality curves and
BD-rates. Nothing here makes maps or files differently from what users get.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from msroi.maps.baselines import MAP_BASELINES
from msroi.errors import BudgetError
from msroi.io import read_image
from msroi.codecs.base import Codec
from msroi.codecs.paper import MIXING_MODELS, PaperCodec
from msroi.codecs.registry import CODECS
from msroi.jpeg.standard import encode_pillow
from msroi.metrics import (
    METRIC_NAMES,
    compute_metrics,
    error_share_inside,
    map_auc,
    mass_inside,
    recall_at_area,
    region_psnr,
    region_ssim,
    weighted_psnr,
    weighted_ssim,
)
from msroi.metrics.basic import squared_error
from msroi.metrics.fixations import fixation_scores, human_ceiling
from msroi.evaluation.tables import (BD_ANCHORS, STANDARD, bd_table, people_savings,
                                     summarize)
from msroi.rate import Budget, compress_to_budget

CURVE_QUALITIES = tuple(range(20, 91, 10))
#: Extra named settings of our codecs that the benchmark runs beside their defaults.
VARIANTS = {"rdq": {"rdq-objects": {"strength": "objects"}}}


def contenders(methods: Iterable[str], peers: Iterable[str],
               mixing_models: Iterable[int]) -> dict[str, Codec]:
    """Named codecs: ``msroi-<method>``, the peers, ``original-m<k>`` (the paper's original
    algorithm: plain Huffman tables, final quality searched in 21..90)."""
    out: dict[str, Codec] = {}
    for method in methods:
        out[f"msroi-{method}"] = CODECS.get_class(method)()
        for name, options in VARIANTS.get(method, {}).items():
            out[f"msroi-{name}"] = CODECS.get_class(method)(**options)
    for peer in peers:
        out[peer] = CODECS.get_class(peer)()
    for k in mixing_models:
        out[f"original-m{k}"] = PaperCodec(mixing_model=k, optimize=False, quality_range=(21, 90))
    return out


@dataclass(frozen=True)
class EvaluateSettings:
    """What the benchmark runs on each image (picklable: it travels to the workers).

    ``model`` and ``map_options``: the map (:func:`msroi.maps.semantic_map`); ``judge``:
    region numbers from :class:`msroi.evaluation.judge.Judge` (False: none); ``methods``: msroi
    codecs (map-steered), ``peers``: map-blind codecs, ``mixing_models``: the paper's
    original program at these mixing models (rows ``original-m<k>``); ``oracle``: every msroi method also runs with the judge's object mask
    as its map (rows ``<method>+oracle``), to tell a short map from a short quantiser
    (analysis only, maps are never made from the judge); ``variants_on_curves``: the named
    variants (e.g. ``msroi-rdq-objects``) get rate-quality curves too; ``decoders``: what
    turns every file back into pixels before it is measured (:mod:`msroi.decoders.base`): rows of
    the first keep the method's name, every further decoder adds rows ``<method>+<decoder>``
    for the same files (so "msroi-rdq+postfilter" sits beside "mozjpeg" at equal bytes);
    ``fixations``: a ``fixations.csv`` of where people looked at these photos (the shared
    layout, rows matched by file name): every row gets the fixation-weighted PSNR, the maps
    are scored against people (table ``fixation_scores``, with the human ceiling) and, with
    ``oracle``, every msroi method also runs with the viewers' own density as its map (rows
    ``<method>+people``); every row also gets the fixation-weighted SSIM, the rate curves
    carry the fixation-weighted PSNR, and table ``people_savings`` gives each method's bytes
    over what each peer needs for its fixation-weighted PSNR. ``perceptual``: every row at
    the budget also gets SSIMULACRA2 (the ``ssimulacra2`` package) and, where libjxl's
    ``butteraugli_main`` is installed, the Butteraugli distance.
    """

    model: str | None = None
    map_options: dict = field(default_factory=dict)
    judge: bool = True
    reference_quality: int = 50
    protocol: str = "vqmt"
    methods: tuple[str, ...] = ("paper", "rdq")
    peers: tuple[str, ...] = ("libjpeg-turbo-opt", "mozjpeg", "jpegli")
    mixing_models: tuple[int, ...] = MIXING_MODELS
    curve_qualities: tuple[int, ...] = CURVE_QUALITIES
    oracle: bool = False
    variants_on_curves: bool = False
    decoders: tuple[str, ...] = ("standard",)
    fixations: str | None = None
    perceptual: bool = False


@dataclass
class Evaluation:
    per_image: pd.DataFrame
    curves: pd.DataFrame
    map_scores: pd.DataFrame
    reference_quality: int
    protocol: str
    fixation_scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    bd_rates: pd.DataFrame = field(default_factory=pd.DataFrame)
    people_savings: pd.DataFrame = field(default_factory=pd.DataFrame)


@functools.lru_cache(maxsize=4)
def _fixation_set(csv_path: str, images: str):
    from msroi.fixations import FixationSet

    return FixationSet(csv_path, images=images)


def _people(csv_path: str | None, path: Path):
    """(the photo's viewing data, its fixation set) if ``csv_path`` has rows for it."""
    if not csv_path:
        return None, None
    data = _fixation_set(str(csv_path), str(path.parent))
    return (data.photo(path.name), data) if path.name in data.names else (None, data)


def _measure(pixels, mask, decoded, num_bytes: int, protocol: str, metric_names,
             density: np.ndarray | None = None, perceptual: bool = False) -> dict:
    error = squared_error(pixels, decoded)
    row = {"bytes": num_bytes, "bpp": 8.0 * num_bytes / (pixels.shape[0] * pixels.shape[1]),
           "sse": float(error.sum()), "samples": error.size}
    if density is not None:
        row["fixation_psnr"] = weighted_psnr(pixels, decoded, density)
    if metric_names:
        row.update(compute_metrics(pixels, decoded, protocol=protocol, names=metric_names))
        if density is not None:
            row["fixation_ssim"] = weighted_ssim(pixels, decoded, density)
        if perceptual:
            from msroi.metrics.perceptual import butteraugli, butteraugli_available, ssimulacra2

            row["ssimulacra2"] = ssimulacra2(pixels, decoded)
            if butteraugli_available():
                row["butteraugli"] = butteraugli(pixels, decoded)[0]
    if mask is not None and mask.any():
        row.update(region_psnr=region_psnr(pixels, decoded, mask),
                   region_ssim=region_ssim(pixels, decoded, mask),
                   error_inside=error_share_inside(pixels, decoded, mask),
                   region_sse=float(error[mask].sum()), region_samples=int(mask.sum()) * 3)
    return row


def evaluate_file(settings: EvaluateSettings, path: Path) -> dict[str, list[dict]]:
    """The benchmark's rows for one image: ``per_image`` (every contender at the budget),
    ``curves`` (rate-quality points) and ``map_scores`` (maps against the judge). A pure,
    picklable job: any executor runs it; networks load once per process."""
    from msroi.decoders.base import shared_decoder
    from msroi.evaluation.judge import shared_judge
    from msroi.maps import generate_map

    decoders = [shared_decoder(name) for name in settings.decoders]
    pixels = read_image(path)
    mask = shared_judge().mask(pixels) if settings.judge else None
    person, fixation_set = _people(settings.fixations, path)
    density = person.density() if person is not None else None

    def measure(data: bytes, metric_names, decoder=decoders[0]) -> dict:
        return _measure(pixels, mask, decoder.decode(data), len(data), settings.protocol,
                        metric_names, density, settings.perceptual)

    def decoded_rows(row: dict, data: bytes) -> list[dict]:
        """The row under the first decoder, and one per further decoder."""
        return [{**row, "method": row["method"] + ("" if i == 0 else f"+{decoder.name}"),
                 **measure(data, METRIC_NAMES, decoder)} for i, decoder in enumerate(decoders)]

    at_budget = contenders(settings.methods, settings.peers, settings.mixing_models)
    on_curves = _on_curves(settings, at_budget)
    rows = []
    start = time.perf_counter()
    importance = generate_map(pixels, settings.model, **settings.map_options)
    seconds_map = time.perf_counter() - start
    maps = {"msroi": importance, **{n: f(pixels) for n, f in MAP_BASELINES.items()}}
    score_rows, fixation_rows = _map_score_rows(path.name, maps, mask, person, fixation_set)
    oracles = _oracle_maps(settings, mask, density) if settings.oracle else {}
    standard = encode_pillow(pixels, settings.reference_quality)
    budget = Budget(max_bytes=len(standard))
    base = {"image": path.name, "pixels": pixels.shape[0] * pixels.shape[1],
            "mask_share": float(mask.mean()) if mask is not None else np.nan}
    rows += decoded_rows({**base, "method": STANDARD, "quality": settings.reference_quality,
                          "seconds": 0.0}, standard)
    for name, codec in at_budget.items():
        start = time.perf_counter()
        result = compress_to_budget(codec, pixels, importance, budget, label=str(path))
        seconds = time.perf_counter() - start + (seconds_map if codec.uses_map else 0)
        rows += decoded_rows({**base, "method": name, "quality": result.report["quality"],
                              "seconds": seconds}, result.data)
        for label, oracle_map in (oracles.items() if name.startswith("msroi") else ()):
            result = compress_to_budget(codec, pixels, oracle_map, budget, label=str(path))
            rows.append({**base, "method": f"{name}+{label}", "quality": result.report["quality"],
                         "seconds": np.nan, **measure(result.data, METRIC_NAMES)})
    curve_rows = []
    for q in settings.curve_qualities:
        anchor = encode_pillow(pixels, q)
        curve_rows.append({**base, "method": "libjpeg-turbo", "point": q, **measure(anchor, ())})
        for name, codec in on_curves.items():
            try:
                result = compress_to_budget(codec, pixels, importance, Budget(max_bytes=len(anchor)))
            except BudgetError:  # a budget below a codec's reach: no point on its curve
                continue
            curve_rows.append({**base, "method": name, "point": q, **measure(result.data, ())})
    return {"per_image": rows, "curves": curve_rows, "map_scores": score_rows,
            "fixation_scores": fixation_rows}


def _on_curves(settings: EvaluateSettings, at_budget: dict) -> dict:
    """The codecs that get rate-quality curves: msroi's methods (their variants only when
    asked: time) and the BD anchors but libjpeg-turbo (the anchor is Pillow's own file)."""
    defaults = {f"msroi-{m}" for m in settings.methods}
    on_curves = {**{n: c for n, c in at_budget.items()
                    if n in defaults or (settings.variants_on_curves and n.startswith("msroi-"))},
                 **{p: CODECS.get_class(p)() for p in BD_ANCHORS if p in CODECS}}
    on_curves.pop("libjpeg-turbo", None)
    return on_curves


def _oracle_maps(settings: EvaluateSettings, mask, density) -> dict[str, np.ndarray]:
    """The maps of the oracle rows: the judge's objects (where it found any) and the
    viewers' density (where known), float32 (H, W)."""
    oracles = {}
    if mask is not None and mask.any():
        oracles["oracle"] = mask.astype(np.float32)
    if density is not None:
        oracles["people"] = people_as_map(density, settings.model)
    return oracles


def _map_score_rows(image: str, maps: dict[str, np.ndarray], mask, person, fixation_set
                    ) -> tuple[list[dict], list[dict]]:
    """Each map (H, W) scored against the judge's ``mask`` (where it found objects) and
    against the photo's viewers (``person``, with the human ceiling): (judge rows, people rows)."""
    score_rows, fixation_rows = [], []
    if person is not None:
        density = person.density()
        others = fixation_set.other_fixations(person.name, person.size)
        fixation_rows.append({"image": image, "map": "human ceiling (half the viewers)",
                              **human_ceiling(person.fixations, person.subjects, person.size,
                                              sigma=person.sigma, other_fixations=others)})
        for name, m in maps.items():
            fixation_rows.append({"image": image, "map": name,
                                  **fixation_scores(m, person.fixations, density, others)})
    if mask is not None and mask.any():
        for name, m in maps.items():
            score_rows.append({"image": image, "map": name, "auc": map_auc(m, mask),
                               "recall_at_area": recall_at_area(m, mask),
                               "mass_inside": mass_inside(m, mask), "mask_share": mask.mean()})
    return score_rows, fixation_rows


def people_as_map(density: np.ndarray, model: str | None = None) -> np.ndarray:
    """The viewers' fixation density as an encoder's map: divided by its peak and raised to
    the calibration exponent of the model's fixation readout (the value spread the
    strengths were tuned on; 1 where the model has none). float32 (H, W) in [0, 1]."""
    from msroi.maps import resolve_model
    from msroi.maps.readout import readout_of

    readout = readout_of(resolve_model(model))
    gamma = readout.gamma if readout is not None else 1.0
    return (density / max(float(density.max()), 1e-30)).astype(np.float32) ** np.float32(gamma)


def evaluate(files: list[Path], settings: EvaluateSettings | None = None, *, executor=None,
             progress: bool = True) -> Evaluation:
    """Runs the benchmark on image files, one :func:`evaluate_file` job per file on
    ``executor`` (default: this process); rows keep the files' order."""
    from tqdm import tqdm

    from msroi.parallel import InlineExecutor, run_unordered

    settings = settings or EvaluateSettings()
    executor = executor or InlineExecutor()
    done: dict[int, dict[str, list[dict]]] = {}
    with tqdm(total=len(files), unit="img", disable=not progress) as bar:
        jobs = ((i, (settings, Path(f))) for i, f in enumerate(files))
        for index, result, error in run_unordered(executor, evaluate_file, jobs):
            if error is not None:
                raise error
            done[index] = result
            bar.update()
    tables = {key: pd.DataFrame([row for i in sorted(done) for row in done[i][key]])
              for key in ("per_image", "curves", "map_scores", "fixation_scores")}
    evaluation = Evaluation(tables["per_image"], tables["curves"], tables["map_scores"],
                            settings.reference_quality, settings.protocol,
                            fixation_scores=tables["fixation_scores"])
    evaluation.summary = summarize(evaluation.per_image)
    evaluation.bd_rates = bd_table(evaluation.curves)
    evaluation.people_savings = people_savings(evaluation.per_image, evaluation.curves)
    return evaluation



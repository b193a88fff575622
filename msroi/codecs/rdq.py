"""Semantic rate-distortion quantisation (codec ``rdq``): field -> per-block lambda -> trellis.

One standard JPEG: mozjpeg's quantisation tables at quality ``q`` (the table knob), our own
DCT of the photo (:mod:`msroi.jpeg.dct`), and every block's AC levels chosen by the trellis
of :mod:`msroi.jpeg.trellis` to minimise ``D + lambda_b R`` with the block's own lambda:

    lambda_b = base(q) * multiplier_b

where the multiplier (:func:`msroi.codecs.field.lambda_multiplier`) is what minimising
``sum_b (w_b + 1/strength) D_b + lambda R`` asks for, ``w_b`` the block's share of where
people look (the map read as a fixation density, :func:`msroi.codecs.field.fixation_share`),
with texture masking on top. ``strength`` 0 ignores the map (the plain rate-distortion
encoder, one lambda); larger values let the rarely seen background fall further (named:
:data:`STRENGTHS`). Distortion is measured in the coefficients with a weight per
frequency, ``(Q_ref / Q_k) ** (2 * table_weighting)``: 0 = squared error (PSNR), 1 = error
in units of each frequency's quantiser step (mozjpeg's choice, what the table's
psychovisual shape asks for; the default leans slightly further, 1.1). The file size is
computed from the levels (:mod:`msroi.jpeg.entropy`), so rate control searches without
writing and writes the file once (a progressive file sometimes twice), progressive
(mozjpeg's scans) or baseline, with optimised Huffman tables.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from msroi.errors import InvalidArgumentError
from msroi.arrays import check_map
from msroi.codecs.base import Codec, CodecSettings, EncoderState, option
from msroi.jpeg.dct import SAMPLING, dct_coefficients
from msroi.jpeg.entropy import baseline_size_zigzag, code_lengths
from msroi.codecs.field import (
    density_from_map,
    fixation_share,
    lambda_multiplier,
    masking_weight,
    upsample_blocks,
)
from msroi.jpeg.markers import insert_metadata, metadata_segments
from msroi.jpeg.standard import libjpeg_version
from msroi.jpeg.trellis import (
    ZIGZAG,
    ac_symbol_counts,
    from_zigzag,
    quantise_zigzag,
    to_zigzag,
)

#: Written progressive size / computed baseline size before a file has been written:
#: the median over 20 BSDS500 validation photos x q40/70/90 (5-95%: 0.967-1.003).
PROGRESSIVE_RATIO = 0.9885
#: Named strengths, chosen on the frontier of where people look against the whole image
#: (``benchmarks/semantic_frontier.py``, 80 fixation-set validation photos not used to set
#: the other constants; README, "The encoder judged where people look"): balanced = the
#: most saving where people look with whole-image SSIMULACRA2 no worse than the better of
#: mozjpeg and jpegli (0.3: +0.02 points, 6.4% saved; 0.6: -0.08); objects = the knee,
#: past which a further SSIMULACRA2 point buys under a third of the first one's saving.
STRENGTHS = {"balanced": 0.3, "objects": 1.0}
#: lambda = LAMBDA_SCALE * Q_ref^2 * multiplier: below the slope of uniform quantisation at
#: high rate (dD/dR = 2 ln2 Q^2/12 ~ 0.115 Q^2): with the masking tilt, 0.08 gave +0.24
#: SSIMULACRA2 points and 2.6% fewer bytes where people look at strength 0 against 0.115
#: (40 fixation-set photos at the Q50 budget: x0.978 / +0.17 vs x1.004 / -0.07).
LAMBDA_SCALE = 0.08
#: The map read as a fixation density: importance ** DENSITY_EXPONENT. The shipped fixation
#: readout writes (density / max) ** 0.102 (its calibration exponent), which 10 undoes; a
#: 0/1 mask stays a mask.
DENSITY_EXPONENT = 10.0
#: Distortion weight (Q_ref / Q_k)^(2 x this): 1 = error in units of each frequency's step
#: (mozjpeg's choice); 1.1 leans a little further towards the table's psychovisual shape:
#: on BSDS500 training photos at strength 0, PSNR-HVS-M +0.28 dB and PSNR -0.08 dB vs
#: mozjpeg at equal bytes (1.0: -0.01 / +0.00; 1.25: +0.05 / -0.34, 12 and 6 photos).
TABLE_WEIGHTING = 1.1
#: Share of a lambda raise that the flattest blocks take (the busiest take all of it): 0
#: kept flat areas at the base lambda, on the frontier above 0.3 and 1 (40 fixation-set
#: photos at the Q50 budget: at strength 1, 0.922 x the peer's bytes where people look at
#: -0.84 SSIMULACRA2, against 0.918 at -1.05 and 0.906 at -1.56).
FLAT_SHARE = 0.0
#: exp(MASKING x (texture rank - 1/2)) on every block's lambda. Negative: busy blocks get
#: more bits, flat ones fewer (what people look at is mostly detail). Same 40 photos,
#: strength 1: -0.5 gave 0.910 x / -0.75 points against 0's 0.922 x / -0.84; +0.5
#: (jpegli-like masking) 0.936 x / -1.01.
MASKING = -0.5


@lru_cache(maxsize=1)
def _mozjpeg_base_tables() -> tuple[np.ndarray, np.ndarray]:
    """mozjpeg 4.0.3's default (luma, chroma) base tables: its tables at quality 50, where
    libjpeg's scaling leaves them as they are, read once from a file mozjpeg writes (not
    forced to baseline: entries above 255 kept, 16-bit tables)."""
    import jpeglib

    with tempfile.TemporaryDirectory(prefix="msroi-qt-") as tmp:
        path = os.path.join(tmp, "t.jpg")
        with libjpeg_version("mozjpeg403"):
            jpeglib.from_spatial(np.zeros((16, 16, 3), np.uint8)).write_spatial(path, qt=50)
        dct = jpeglib.read_dct(path)
        dct.load()
        return tuple(dct.qt[n].astype(np.int64) for n in (dct.quant_tbl_no[0], dct.quant_tbl_no[1]))


@lru_cache(maxsize=128)
def mozjpeg_tables(quality: int) -> tuple[np.ndarray, np.ndarray]:
    """mozjpeg 4.0.3's default (luma, chroma) quantisation tables at ``quality``, values
    kept in 1..255 (baseline), float64 (8, 8) each: its base tables scaled as libjpeg's
    ``jpeg_quality_scaling`` and ``jpeg_add_quant_table`` do (tested equal to the tables
    mozjpeg writes), so rate control's tries cost no file each."""
    quality = min(max(int(quality), 1), 100)
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return tuple(np.clip((base * scale + 50) // 100, 1, 255).astype(np.float64)
                 for base in _mozjpeg_base_tables())


@dataclass
class RDState(EncoderState):
    """What does not depend on the knobs: coefficients and the field, per component."""

    image: np.ndarray
    coefficients: list[np.ndarray]          # float32 (rows * cols, 64) zigzag per component
    shapes: list[tuple[int, int]]           # block grid (rows, cols) per component
    share: list[np.ndarray]                 # float64 (rows, cols) per component, mean 1
    texture: list[np.ndarray]               # float (rows, cols) per component in [0, 1]
    factors: tuple
    mcus: tuple[int, int]
    cache: dict = field(default_factory=dict)  # (quality, strength, scale) -> zigzag levels
    ratio: float = 1.0  # written size / computed baseline size, updated by each write
    trellis_ratio: float = 0.8  # trellis / plainly rounded computed size, updated likewise
    metadata_bytes: int = 0  # EXIF/ICC segments the file will carry

    def close(self) -> None:
        self.cache.clear()  # the levels of every try: ~2 bytes per pixel each


def parse_strength(value: float | str) -> float:
    """A strength: a number >= 0 (also as text) or a name of :data:`STRENGTHS`."""
    if isinstance(value, str) and value in STRENGTHS:
        return STRENGTHS[value]
    try:
        strength = float(value)
    except (TypeError, ValueError):
        strength = float("nan")
    if not 0 <= strength <= 100:
        raise InvalidArgumentError(f"{value!r} is not a strength (a number >= 0, or "
                         f"{', '.join(STRENGTHS)})")
    return strength


@dataclass(frozen=True)
class RDQSettings(CodecSettings):
    """Settings of :class:`RDQuantiserCodec`: ``strength`` (a number >= 0 or a name of
    :data:`STRENGTHS`, kept as the number), ``baseline`` (sequential file instead of
    progressive), ``subsampling``; ``table_weighting``, ``lambda_scale``,
    ``flat_share``, ``masking``, ``density_exponent``: see the module constants."""

    strength: float = option(
        "balanced", "how far the rarely seen background falls: a number >= 0 (0 = ignore "
        f"the map) or balanced ({STRENGTHS['balanced']:g}, default: whole-image quality kept "
        f"at the best peer's) or objects ({STRENGTHS['objects']:g})", parse=parse_strength)
    baseline: bool = option(False, "sequential (baseline) JPEG instead of progressive")
    subsampling: str = option("4:2:0", "chroma subsampling (default 4:2:0)",
                              choices=("4:2:0", "4:4:4"))
    table_weighting: float = TABLE_WEIGHTING
    lambda_scale: float = LAMBDA_SCALE
    flat_share: float = FLAT_SHARE
    masking: float = MASKING
    density_exponent: float = DENSITY_EXPONENT

    def __post_init__(self):
        object.__setattr__(self, "strength", parse_strength(self.strength))
        if self.subsampling not in SAMPLING:
            raise InvalidArgumentError(f"subsampling must be one of {', '.join(SAMPLING)}")
        for name in ("table_weighting", "lambda_scale", "flat_share", "masking", "density_exponent"):
            object.__setattr__(self, name, float(getattr(self, name)))


class RDQuantiserCodec(Codec):
    """Per-block rate-distortion quantisation steered by the map (see module docstring)."""

    name = "rdq"
    description = "per-block rate-distortion quantisation steered by the map (default)"
    Settings = RDQSettings
    quality_range = (5, 98)
    knobs = ("quality", "strength")

    settings: RDQSettings

    def distortion_weights(self, importance: np.ndarray) -> np.ndarray:
        """The objective's weight per pixel, ``(strength * w + 1) / (strength + 1)`` with
        ``w`` the map read as a fixation density (:mod:`msroi.codecs.field`): the inverse of
        the lambda multiplier before masking, so a pixel counts as much as it is favoured."""
        s = self.settings
        return (s.strength * density_from_map(importance, s.density_exponent) + 1) / (s.strength + 1)

    def prepare(self, image: np.ndarray, importance: np.ndarray) -> RDState:
        importance = check_map(importance, image.shape[:2])
        coefficients = dct_coefficients(image, self.settings.subsampling)
        factors = SAMPLING[self.settings.subsampling]
        dims = np.array([c.shape[:2] for c in coefficients])
        shares = fixation_share(importance, dims, np.array(factors),
                                density_exponent=self.settings.density_exponent)
        max_v = max(v for v, _ in factors)
        max_h = max(h for _, h in factors)
        mcus = (-(-image.shape[0] // (8 * max_v)), -(-image.shape[1] // (8 * max_h)))
        texture = masking_weight(np.abs(coefficients[0]).sum(axis=(2, 3)) - np.abs(coefficients[0][..., 0, 0]))
        textures = [texture if i == 0 else upsample_blocks(texture, dims[i]) for i in range(len(dims))]
        zigzag = [np.ascontiguousarray(to_zigzag(c), dtype=np.float32) for c in coefficients]
        state = RDState(np.ascontiguousarray(image), zigzag, [tuple(d) for d in dims], shares,
                        textures, factors, mcus)
        state.ratio = 1.0 if self.settings.baseline else PROGRESSIVE_RATIO
        return state

    # -- field -> lambda -> levels -------------------------------------------------------
    def lambdas(self, state: RDState, table: np.ndarray, component: int,
                strength: float) -> np.ndarray:
        """lambda per block (rows, cols) of one component."""
        s = self.settings
        base = s.lambda_scale * float(table[0, 1]) ** 2
        return base * lambda_multiplier(state.share[component], state.texture[component],
                                        strength=strength, flat_share=s.flat_share,
                                        masking=s.masking)

    def levels(self, state: RDState, quality: int, strength: float | None = None,
               scale: float = 1.0) -> list[np.ndarray]:
        """int16 levels (rows, cols, 8, 8) per component at ``quality`` and ``strength``,
        every lambda times ``scale`` (rate control's fine knob between two qualities)."""
        return [from_zigzag(zz, shape) for zz, shape in
                zip(self._levels_zigzag(state, quality, strength, scale), state.shapes)]

    def _levels_zigzag(self, state: RDState, quality: int, strength: float | None,
                       scale: float) -> list[np.ndarray]:
        strength = self.settings.strength if strength is None else float(strength)
        key = (int(quality), strength, float(scale))
        if key in state.cache:
            return state.cache[key]
        tables = mozjpeg_tables(int(quality))
        out = []
        for component, coefficients in enumerate(state.coefficients):
            table = tables[0 if component == 0 else 1]
            table_zz = table.reshape(64)[ZIGZAG]
            weights = (table_zz[1] / table_zz) ** (2 * self.settings.table_weighting)
            lambdas = scale * self.lambdas(state, table, component, strength).reshape(-1)
            # Code lengths from plain rounding's symbols, then once more from the trellis's own.
            rounded = np.round(coefficients / table_zz).astype(np.int16)
            levels = quantise_zigzag(coefficients, table_zz, lambdas, self._ac_bits(rounded), weights)
            levels = quantise_zigzag(coefficients, table_zz, lambdas, self._ac_bits(levels), weights)
            out.append(levels)
        state.cache[key] = out
        return out

    @staticmethod
    def _ac_bits(levels: np.ndarray) -> np.ndarray:
        counts = np.zeros(256, np.int64)
        ac_symbol_counts(levels, counts)
        lengths = code_lengths(counts).astype(np.float64)
        lengths[lengths == 0] = 16.0  # a symbol the image does not use yet: the longest code
        return lengths

    def size_estimate(self, state: RDState, quality: int, strength: float | None = None,
                      scale: float = 1.0) -> int:
        """Bytes of the baseline file (no metadata) at these knobs, without writing it."""
        return baseline_size_zigzag(self._levels_zigzag(state, quality, strength, scale),
                                    state.shapes, state.factors, state.mcus)

    def size_model(self, state: RDState, *, exif: bytes | None = None,
                   icc_profile: bytes | None = None):
        """Computed size x the written/computed ratio seen so far (1 until a file is
        written; progressive scans differ from baseline by a few per cent) + the metadata."""
        state.metadata_bytes = len(metadata_segments(exif, icc_profile))
        return lambda quality: self.scaled_size(state, quality)

    def scaled_size(self, state: RDState, quality: int, scale: float = 1.0) -> int:
        """Expected bytes of the file at ``quality`` with every lambda times ``scale`` (the
        second knob: :func:`msroi.rate.refine`): the computed size x the written/computed
        ratio seen so far + the metadata."""
        return int(round(state.ratio * self.size_estimate(state, quality, scale=scale))) + state.metadata_bytes

    def size_proxy(self, state: RDState):
        """A cheap size per quality for placing rate control's tries: the computed size of
        plainly rounded levels (no trellis), times the trellis/rounded ratio and the
        written/computed ratio last measured."""
        return lambda quality: (state.trellis_ratio * state.ratio * self._rounded_size(state, quality)
                                + state.metadata_bytes)

    @staticmethod
    def _rounded_size(state: RDState, quality: int) -> int:
        """Computed baseline size of plainly rounded levels (no trellis) at ``quality``."""
        tables = mozjpeg_tables(int(quality))
        rounded = [np.round(c / tables[0 if i == 0 else 1].reshape(64)[ZIGZAG]).astype(np.int16)
                   for i, c in enumerate(state.coefficients)]
        return baseline_size_zigzag(rounded, state.shapes, state.factors, state.mcus)

    # -- levels -> file --------------------------------------------------------------------
    def write(self, state: RDState, quality: int, levels: list[np.ndarray]) -> bytes:
        import jpeglib

        with tempfile.TemporaryDirectory(prefix="msroi-rdq-") as tmp:
            template, target = os.path.join(tmp, "t.jpg"), os.path.join(tmp, "o.jpg")
            with libjpeg_version("turbo210"):
                spatial = jpeglib.from_spatial(np.full(state.image.shape, 128, np.uint8))
                spatial.samp_factor = np.array(state.factors, np.int32)
                spatial.write_spatial(template, qt=50)
            dct = jpeglib.read_dct(template)
            dct.load()
            luma, chroma = mozjpeg_tables(int(quality))
            qt = np.empty_like(dct.qt)
            qt[dct.quant_tbl_no[0]] = luma
            qt[dct.quant_tbl_no[1]] = chroma
            dct.qt = qt
            dct.Y, dct.Cb, dct.Cr = levels
            dct.markers = []
            with libjpeg_version("turbo210" if self.settings.baseline else "mozjpeg403"):
                dct.write_dct(target, flags=["+OPTIMIZE_CODING"])
            with open(target, "rb") as f:
                return f.read()

    def encode(self, prepared: RDState, quality: int, *, exif: bytes | None = None,
               icc_profile: bytes | None = None, strength: float | None = None,
               scale: float = 1.0) -> bytes:
        levels = self.levels(prepared, quality, strength, scale)
        written = self.write(prepared, quality, levels)
        data = insert_metadata(written, exif, icc_profile)
        # What the model learns: written bytes over the computed size (metadata apart), and
        # what the trellis saves over plain rounding at this quality.
        prepared.metadata_bytes = len(data) - len(written)
        computed = self.size_estimate(prepared, quality, strength, scale)
        prepared.ratio = len(written) / computed
        prepared.trellis_ratio = computed / max(self._rounded_size(prepared, quality), 1)
        return data

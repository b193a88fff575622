"""The paper's encoder (Prakash et al., DCC 2017, combine_images.py), vectorised.

The image is JPEG-encoded at qualities 10, 20, ..., 100 and decoded (the "ladder"); every
pixel takes its value from the rung a mixing model picks from the map; the mixed image is
then encoded once more at a single quality chosen to meet a size budget.

Mixing models (map ``s`` as uint8, as the original read it from a JPEG file; the level is
an index into the ladder, clipped to 1..9, i.e. quality 20..100):

1. ``s > mean`` -> 9 else 6
2. linear: ``10 * s // max + 2``
3. deciles: level = 1 + the number of the 10th, 20th, ..., 100th percentiles <= s
4. percentiles 20/60/90 -> 4/6/8/9
5. median -> 2/8
6. median -> 7/9 (the paper's model for its Kodak results)

One deliberate difference: in model 3 the original left a pixel at the map's maximum (not
below any percentile) with the previous pixel's level; here it gets the top level (9).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from msroi.errors import InvalidArgumentError
from msroi.arrays import check_map, map_to_uint8
from msroi.codecs.base import Codec, CodecSettings, EncoderState, option
from msroi.jpeg.standard import decode, encode_imagemagick, encode_pillow

QUALITY_STEPS = tuple(range(10, 101, 10))
MIXING_MODELS = (1, 2, 3, 4, 5, 6)
LOW_LEVEL, HIGH_LEVEL = 1, 9


def quality_levels(importance: np.ndarray, model: int) -> np.ndarray:
    """Ladder index 1..9 per pixel, int64 (H, W), from a uint8 map (H, W)."""
    s = np.asarray(importance)
    if s.ndim != 2:
        raise InvalidArgumentError(f"expected a single-channel map (H, W), got shape {s.shape}")
    s = s.astype(np.int64)
    if model == 1:
        levels = np.where(s > s.mean(), 9, 6)
    elif model == 2:
        mx = int(s.max())
        levels = (s * 10 // mx if mx else np.zeros_like(s)) - 1 + 3
    elif model == 3:
        deciles = np.percentile(s, QUALITY_STEPS)
        levels = np.searchsorted(deciles, s, side="right") + 1
    elif model == 4:
        q20, q60, q90 = np.percentile(s, (20, 60, 90))
        levels = np.select([s < q20, s < q60, s < q90], [4, 6, 8], 9)
    elif model == 5:
        levels = np.where(s < np.percentile(s, 50), 2, 8)
    elif model == 6:
        levels = np.where(s < np.percentile(s, 50), 7, 9)
    else:
        raise InvalidArgumentError(f"unknown mixing model {model} (choose 1..6)")
    return np.clip(levels, LOW_LEVEL, HIGH_LEVEL)


LADDER_ENCODERS: dict[str, Callable[[np.ndarray, int], bytes]] = {
    "pillow": encode_pillow,
    "imagemagick": encode_imagemagick,
}


def quality_ladder(image: np.ndarray, *, encoder: str = "pillow") -> np.ndarray:
    """The image decoded from JPEGs at qualities 10..100: uint8 (10, H, W, 3)."""
    encode = LADDER_ENCODERS[encoder]
    return np.stack([decode(encode(image, q)) for q in QUALITY_STEPS])


def mix(ladder: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Per pixel, the ladder rung ``levels`` (H, W) picks: uint8 (H, W, 3)."""
    rows, cols = np.indices(levels.shape, sparse=True)
    return ladder[levels, rows, cols]


def mix_image(image: np.ndarray, importance: np.ndarray, *, mixing_model: int = 6,
              encoder: str = "pillow") -> np.ndarray:
    """The paper's mixed image (before the final encode) of RGB uint8 ``image`` (H, W, 3)
    under a uint8 map (H, W) of the same size."""
    if importance.shape != image.shape[:2]:
        raise InvalidArgumentError(f"map {importance.shape} and image {image.shape[:2]} differ in size")
    return mix(quality_ladder(image, encoder=encoder), quality_levels(importance, mixing_model))


def find_best_quality(mixed: np.ndarray, limit: float, *,
                      qualities: range = range(90, 20, -1)) -> tuple[int, bytes, bool]:
    """The original's size search: the first quality from 90 down to 21 whose standard
    JPEG of ``mixed`` is at most ``limit`` bytes. Returns (quality, file, met); when none
    fits, the last try and False."""
    for quality in qualities:
        data = encode_pillow(mixed, quality)
        if len(data) <= limit:
            return quality, data, True
    return quality, data, False


@dataclass(frozen=True)
class PaperSettings(CodecSettings):
    """Settings of :class:`PaperCodec`: the mixing model (1..6), the encoder of the quality
    ladder, the final file's subsampling and Huffman optimisation, and the qualities rate
    control may try (the original searched 21..90)."""

    mixing_model: int = option(6, "the paper's mixing model (default 6)",
                               choices=MIXING_MODELS)
    ladder_encoder: str = "pillow"
    subsampling: str = "4:2:0"
    optimize: bool = True
    quality_range: tuple[int, int] = (1, 95)

    def __post_init__(self):
        object.__setattr__(self, "quality_range", tuple(self.quality_range))
        if self.mixing_model not in MIXING_MODELS:
            raise InvalidArgumentError(f"unknown mixing model {self.mixing_model} (choose 1..6)")
        if self.ladder_encoder not in LADDER_ENCODERS:
            raise InvalidArgumentError(f"unknown ladder encoder '{self.ladder_encoder}'")


@dataclass
class MixedState(EncoderState):
    """The paper's mixed image, RGB uint8 (H, W, 3): the ladder blended by the map."""

    mixed: np.ndarray


class PaperCodec(Codec):
    """The paper's method behind the codec interface: mix the ladder by the map, then one
    standard JPEG of the mix. ``optimize`` adds optimised Huffman tables (still baseline)."""

    name = "paper"
    description = "the paper's mix of JPEG qualities steered by the map"
    Settings = PaperSettings
    settings: PaperSettings

    @property
    def quality_range(self) -> tuple[int, int]:
        return self.settings.quality_range

    def prepare(self, image: np.ndarray, importance: np.ndarray) -> MixedState:
        importance = check_map(importance, image.shape[:2])
        return MixedState(mix_image(image, map_to_uint8(importance),
                                    mixing_model=self.settings.mixing_model,
                                    encoder=self.settings.ladder_encoder))

    def encode(self, state: MixedState, quality: int, *, exif: bytes | None = None,
               icc_profile: bytes | None = None) -> bytes:
        return encode_pillow(state.mixed, quality, subsampling=self.settings.subsampling,
                             optimize=self.settings.optimize, exif=exif, icc_profile=icc_profile)

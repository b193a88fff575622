"""Semantic adaptive quantisation inside one standard JPEG (field -> quantiser).

JPEG has one quantisation table per component, but nothing stops a block from carrying
coefficients that are coarser than the table needs. The image is encoded by mozjpeg
(trellis quantisation: rate-distortion choices per coefficient with one global lambda) at
a high quality ``q`` and at ``q - delta``; blocks that the field marks as unimportant take
the ``q - delta`` encoder's coefficients, re-expressed under the ``q`` table
(``round(C_lo * Q_lo / Q_hi)``), so their trellis decisions were made with a larger lambda.
The DC coefficient always stays at ``q`` (no blocking, no brightness steps), and only
textured blocks are switched in the default mode (contrast masking hides the loss there;
flat sky would show it). The file is written from coefficients with optimised Huffman
tables, progressive by default (mozjpeg's scans) or baseline on request.

Measured alternatives that lost (see shared/RESOURCES.md): requantising whole blocks by a
multiplier, blurring the background.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field

import numpy as np

from msroi.importance import check_map
from msroi.jpeg.codec import Codec, register
from msroi.jpeg.field import activity, importance_field, masking_weight, upsample_blocks
from msroi.jpeg.markers import insert_metadata

#: Named settings: quality gap of unimportant blocks, importance below which a block is
#: unimportant, and the masking weight (activity rank) a block needs to be switched.
#: Chosen on Kodak at the Q50 budget with MobileNetV2 maps (README, "Results"): balanced
#: kept PSNR-HVS-M above the standard JPEG; objects trades the background for the region.
MODES = {
    "balanced": {"delta": 10, "threshold": 0.3, "texture": 0.5},
    "objects": {"delta": 35, "threshold": 0.6, "texture": 0.0},
}
#: Size of an aq file over the standard JPEG (Pillow, same quality), per mode: where the
#: quality search starts (it then measures the ratio). Kodak, 12 photos, q 60-80:
#: balanced 0.74-0.80 (sd 0.03), objects 0.61-0.66 (sd 0.07).
SIZE_RATIO = {"balanced": 0.76, "objects": 0.63}
_SAMPLING = {"4:2:0": [[2, 2], [1, 1], [1, 1]], "4:4:4": [[1, 1], [1, 1], [1, 1]]}


@dataclass
class _Coefficients:
    components: list[np.ndarray]  # quantised blocks per component, (rows, cols, 8, 8) int16
    tables: list[np.ndarray]      # quantisation table per component, (8, 8)


@dataclass
class _Prepared:
    image: np.ndarray
    importance: np.ndarray
    workdir: tempfile.TemporaryDirectory
    encodes: dict[int, _Coefficients] = field(default_factory=dict)


@register
class AdaptiveCodec(Codec):
    """Per-block semantic quantisation on top of mozjpeg's trellis (see module docstring).

    ``mode``: ``"balanced"`` (default) or ``"objects"`` (objects first: a larger gap and
    every background block switched). ``delta``, ``threshold``, ``texture`` override the
    mode's values. ``baseline``: sequential file instead of progressive.
    """

    name = "aq"
    quality_range = (5, 98)

    def __init__(self, *, mode: str = "balanced", delta: int | None = None,
                 threshold: float | None = None, texture: float | None = None,
                 baseline: bool = False, subsampling: str = "4:2:0"):
        if mode not in MODES:
            raise ValueError(f"unknown mode '{mode}' (choose from {', '.join(MODES)})")
        if subsampling not in _SAMPLING:
            raise ValueError(f"subsampling must be one of {', '.join(_SAMPLING)}")
        settings = dict(MODES[mode])
        settings.update({k: v for k, v in (("delta", delta), ("threshold", threshold),
                                           ("texture", texture)) if v is not None})
        self.mode = mode
        self.delta = int(settings["delta"])
        self.threshold = float(settings["threshold"])
        self.texture = float(settings["texture"])
        self.baseline = baseline
        self.subsampling = subsampling

    def options(self) -> dict:
        return {"mode": self.mode, "delta": self.delta, "threshold": self.threshold,
                "texture": self.texture, "baseline": self.baseline,
                "subsampling": self.subsampling}

    # -- the two encodes -------------------------------------------------------------
    def _encode_mozjpeg(self, prepared: _Prepared, quality: int) -> _Coefficients:
        import jpeglib

        quality = int(np.clip(quality, 1, 100))
        if quality not in prepared.encodes:
            path = os.path.join(prepared.workdir.name, f"q{quality}.jpg")
            with jpeglib.version("mozjpeg403"):
                spatial = jpeglib.from_spatial(np.ascontiguousarray(prepared.image))
                spatial.samp_factor = np.array(_SAMPLING[self.subsampling], np.int32)
                # FORCE_BASELINE keeps table values <= 255, so a baseline file is possible.
                spatial.write_spatial(path, qt=quality, flags=["+FORCE_BASELINE"])
            dct = jpeglib.read_dct(path)
            dct.load()
            components = [dct.Y, dct.Cb, dct.Cr]
            tables = [dct.qt[n] for n in dct.quant_tbl_no]
            prepared.encodes[quality] = _Coefficients(components, tables)
        return prepared.encodes[quality]

    def size_proxy(self, prepared: _Prepared):
        """SIZE_RATIO x the standard JPEG's size (libjpeg-turbo: ~1/10 the time of one
        mozjpeg trellis encode) at each quality."""
        from msroi.jpeg.standard import encode_pillow

        ratio = SIZE_RATIO[self.mode]
        return lambda quality: ratio * len(encode_pillow(prepared.image, quality,
                                                         subsampling=self.subsampling))

    def prepare(self, image: np.ndarray, importance: np.ndarray) -> _Prepared:
        importance = check_map(importance, image.shape[:2])
        return _Prepared(image=np.ascontiguousarray(image), importance=importance,
                         workdir=tempfile.TemporaryDirectory(prefix="msroi-aq-"))

    # -- field -> quantiser ------------------------------------------------------------
    def switched_blocks(self, prepared: _Prepared, hi: _Coefficients,
                        threshold: float) -> list[np.ndarray]:
        """Per component, the blocks (bool (rows, cols)) that take the coarser coefficients."""
        dims = np.array([c.shape[:2] for c in hi.components])
        factors = np.array(_SAMPLING[self.subsampling])
        fields = importance_field(prepared.importance, dims, factors)
        texture = masking_weight(activity(hi.components[0], hi.tables[0]))
        out = []
        for component, importance in enumerate(fields):
            weight = texture if component == 0 else upsample_blocks(texture, importance.shape)
            out.append((importance < threshold) & (weight >= self.texture))
        return out

    def coefficients(self, prepared: _Prepared, quality: int,
                     threshold: float | None = None) -> tuple[_Coefficients, list[np.ndarray]]:
        """The mixed coefficients at ``quality`` and the switched-block masks."""
        hi = self._encode_mozjpeg(prepared, quality)
        low_quality = max(1, quality - self.delta)
        if self.delta <= 0 or low_quality == quality:
            return hi, [np.zeros(c.shape[:2], bool) for c in hi.components]
        lo = self._encode_mozjpeg(prepared, low_quality)
        switched = self.switched_blocks(prepared, hi, self.threshold if threshold is None else threshold)
        mixed = []
        for c_hi, c_lo, q_hi, q_lo, mask in zip(hi.components, lo.components, hi.tables,
                                                lo.tables, switched):
            requantised = np.round(c_lo.astype(np.float64) * (q_lo / q_hi)).astype(np.int16)
            requantised[..., 0, 0] = c_hi[..., 0, 0]  # DC stays at the high quality
            mixed.append(np.where(mask[..., None, None], requantised, c_hi))
        return _Coefficients(mixed, hi.tables), switched

    # -- coefficients -> file ------------------------------------------------------------
    def _write(self, prepared: _Prepared, quality: int, coefficients: _Coefficients) -> bytes:
        import jpeglib

        source = os.path.join(prepared.workdir.name, f"q{int(quality)}.jpg")
        target = os.path.join(prepared.workdir.name, "out.jpg")
        with jpeglib.version("turbo210" if self.baseline else "mozjpeg403"):
            dct = jpeglib.read_dct(source)
            dct.load()
            dct.Y, dct.Cb, dct.Cr = coefficients.components
            dct.markers = []  # libjpeg writes its own JFIF header; metadata is added after
            dct.write_dct(target, flags=["+OPTIMIZE_CODING"])
        with open(target, "rb") as f:
            return f.read()

    def encode(self, prepared: _Prepared, quality: int, *, exif: bytes | None = None,
               icc_profile: bytes | None = None, threshold: float | None = None) -> bytes:
        coefficients, _ = self.coefficients(prepared, quality, threshold)
        return insert_metadata(self._write(prepared, quality, coefficients), exif, icc_profile)

    def refine(self, prepared: _Prepared, quality: int, max_bytes: int, *,
               exif: bytes | None = None, icc_profile: bytes | None = None,
               steps: int = 8, tolerance: float = 0.002) -> tuple[bytes, dict] | None:
        """The largest file at ``quality`` that fits ``max_bytes``, found by bisection on
        the importance threshold (a higher threshold switches more blocks: a smaller file),
        stopping early once a file is within ``tolerance`` under the limit.
        None if even switching every eligible block does not fit."""
        everything = 1.0 + 1e-6

        def attempt(threshold: float) -> bytes:
            return self.encode(prepared, quality, exif=exif, icc_profile=icc_profile,
                               threshold=threshold)

        data = attempt(everything)
        if len(data) > max_bytes:
            return None
        best = (data, {"threshold": everything})
        low, high = 0.0, everything
        for _ in range(steps):
            middle = (low + high) / 2
            data = attempt(middle)
            if len(data) <= max_bytes:
                best, high = (data, {"threshold": middle}), middle
                if len(data) >= (1 - tolerance) * max_bytes:
                    break
            else:
                low = middle
        return best

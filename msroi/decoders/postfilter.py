"""The post-filter decoder: the plain decode, then the learned filter of
:mod:`msroi.nn.postfilter` run by LiteRT in overlapping tiles (no seams, bounded memory).

The file stays a standard JPEG; only this decoder improves what it shows. The filter is
conditioned on the file's own quantisation tables (:func:`condition`), so one network
serves every quality. ``msroi decode --decoder postfilter``, ``msroi evaluate --decoder``.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, JpegImagePlugin

from msroi.decoders.base import Decoder
from msroi.errors import ModelError
from msroi.jpeg.standard import decode as decode_standard
from msroi.runtime import LiteModel

#: The shipped post-filter preset.
DEFAULT_POSTFILTER = "postfilter_small"
#: Tiles are TILE x TILE pixels of output, each computed with MARGIN pixels of context on
#: every side (more than the network's receptive radius, so tiles agree with one pass over
#: the whole image; tested); both even, so the network's stride-2 grid stays aligned. The
#: margins cost 27% more work at 512 (56% at 256).
TILE, MARGIN = 512, 32


def condition(data: bytes) -> np.ndarray:
    """The filter's condition of a JPEG file, float32 (3,): log2 of the mean quantiser step
    of the luma and of the chroma table, over 8, and 1.0 if chroma is subsampled (4:2:0 or
    4:2:2). A file without chroma tables (grey) repeats the luma value."""
    with Image.open(io.BytesIO(data)) as image:
        tables = getattr(image, "quantization", None) or {}
        if not tables:
            raise ValueError("not a JPEG file with quantisation tables")
        sampling = JpegImagePlugin.get_sampling(image)
    luma = float(np.mean(tables[0]))
    chroma = float(np.mean(tables[1])) if 1 in tables else luma
    return np.array([np.log2(luma) / 8.0, np.log2(chroma) / 8.0,
                     1.0 if sampling in (1, 2) else 0.0], np.float32)


def network_input(pixels: np.ndarray, conditions: np.ndarray) -> np.ndarray:
    """(H, W, 6) float32: RGB uint8 (H, W, 3) scaled to [0, 1], then the condition (3,)
    as constant planes."""
    planes = np.broadcast_to(conditions.astype(np.float32), (*pixels.shape[:2], 3))
    return np.concatenate([pixels.astype(np.float32) / 255.0, planes], axis=-1)


def tiles(height: int, width: int, *, tile: int = TILE, margin: int = MARGIN):
    """(output box, input box) pairs covering an image, boxes as (y0, y1, x0, x1): each
    output box with ``margin`` pixels of context where the image has them."""
    for y in range(0, height, tile):
        for x in range(0, width, tile):
            out = (y, min(y + tile, height), x, min(x + tile, width))
            yield out, (max(0, y - margin), min(height, out[1] + margin),
                        max(0, x - margin), min(width, out[3] + margin))


class PostFilterDecoder(Decoder):
    """The plain decode, then the learned post-filter. ``model``: a post-filter preset name
    or folder (default :data:`DEFAULT_POSTFILTER`); ``threads``: LiteRT threads (default
    :func:`msroi.parallel.threads_per_process`)."""

    name = "postfilter"
    description = "the plain decode, then a learned filter against blocking and ringing"

    def __init__(self, model: str | None = None, *, threads: int | None = None,
                 tile: int = TILE, margin: int = MARGIN):
        from msroi.presets import preset_file, read_preset

        config = read_preset(model or DEFAULT_POSTFILTER)
        if config.get("kind") != "postfilter":
            raise ModelError(f"model '{model}' is a {config.get('kind')}, not a post-filter")
        self.model = config["name"]
        self.tile, self.margin = int(tile), int(margin)
        if self.tile % 2 or self.margin % 2:
            raise ValueError("tile and margin must be even")
        self._model = LiteModel(preset_file(config, config["litert"]["model"]), threads=threads)

    def options(self) -> dict:
        return {"model": self.model, "tile": self.tile, "margin": self.margin}

    def filter(self, pixels: np.ndarray, conditions: np.ndarray) -> np.ndarray:
        """The filtered image of decoded RGB uint8 ``pixels`` (H, W, 3) under the
        condition (3,) of its file: RGB uint8 (H, W, 3)."""
        return np.clip(np.round(self.filter_values(pixels, conditions) * 255.0), 0, 255).astype(np.uint8)

    def filter_values(self, pixels: np.ndarray, conditions: np.ndarray) -> np.ndarray:
        """The network's output for the whole image, float32 (H, W, 3) in ~[0, 1], computed
        tile by tile."""
        height, width = pixels.shape[:2]
        out = np.empty((height, width, 3), np.float32)
        for (y0, y1, x0, x1), (iy0, iy1, ix0, ix1) in tiles(height, width, tile=self.tile,
                                                            margin=self.margin):
            piece = self._run(network_input(pixels[iy0:iy1, ix0:ix1], conditions))
            out[y0:y1, x0:x1] = piece[y0 - iy0: y1 - iy0, x0 - ix0: x1 - ix0]
        return out

    def _run(self, values: np.ndarray) -> np.ndarray:
        """The network on one (h, w, 6) input; odd sizes are edge-padded to even and cut."""
        h, w = values.shape[:2]
        padded = np.pad(values, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")[None]
        (out,) = self._model.run({self._model.inputs[0]: np.ascontiguousarray(padded, np.float32)})
        return out[0, :h, :w]

    def decode(self, data: bytes) -> np.ndarray:
        return self.filter(decode_standard(data), condition(data))


"""The fixation readout: where people look, predicted from the map network's features.

In the spirit of DeepGaze II (Kümmerer, Wallis, Gatys, Bethge, ICCV 2017): the shipped
backbone stays frozen; a small readout of 1x1 layers reads its features at two depths (the
stride-16 ``detail_features`` and the stride-32 ``features``, resized to the stride-16
grid), the result is resized to a grid of :attr:`FixationReadout.output_stride` pixels,
blurred with a learned Gaussian, added to a learned centre bias (an 8x8 grid of log-weights
over the frame, whatever its shape) and to a learned multiple of the log of today's fused
map (the class and contrast cues), and normalised by a softmax over the grid into a
log-density of fixations. It was trained on human eye fixations by maximum likelihood
(:mod:`msroi.training.readout`).

This module is the forward pass in NumPy (no TensorFlow at run time); training mirrors it
with TensorFlow operations, and a test holds the two together.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from msroi.errors import ModelError

#: Floor under the fused map before its log is taken (keeps log finite, bounds its pull).
FUSED_FLOOR = 0.05


def resize_bilinear(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of (h, w) or (h, w, C) float values to ``shape`` (H, W) with pixel
    centres aligned and edges clamped (TensorFlow's ``tf.image.resize(..., "bilinear")``
    when enlarging). float32."""
    values = np.asarray(values, np.float32)
    if values.shape[:2] == tuple(shape):
        return values.copy()

    def axis(n_in: int, n_out: int):
        centres = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
        centres = np.clip(centres, 0, n_in - 1)
        low = np.floor(centres).astype(np.int64)
        high = np.minimum(low + 1, n_in - 1)
        return low, high, (centres - low).astype(np.float32)

    rows_low, rows_high, rows_t = axis(values.shape[0], shape[0])
    cols_low, cols_high, cols_t = axis(values.shape[1], shape[1])
    extra = (None,) * (values.ndim - 2)
    rows = (values[rows_low] * (1 - rows_t)[(slice(None), None, *extra)]
            + values[rows_high] * rows_t[(slice(None), None, *extra)])
    return (rows[:, cols_low] * (1 - cols_t)[(None, slice(None), *extra)]
            + rows[:, cols_high] * cols_t[(None, slice(None), *extra)])


def gaussian_kernel(sigma: float, radius: int) -> np.ndarray:
    """A normalised 1-D Gaussian of ``2 * radius + 1`` taps."""
    taps = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (taps / sigma) ** 2)
    return kernel / kernel.sum()


def blur(values: np.ndarray, sigma: float, radius: int) -> np.ndarray:
    """Separable Gaussian blur of (h, w) values, edges mirrored (``numpy.pad`` "symmetric")."""
    kernel = gaussian_kernel(sigma, radius)
    padded = np.pad(values, ((radius, radius), (0, 0)), mode="symmetric")
    values = np.lib.stride_tricks.sliding_window_view(padded, kernel.size, axis=0) @ kernel
    padded = np.pad(values, ((0, 0), (radius, radius)), mode="symmetric")
    return np.lib.stride_tricks.sliding_window_view(padded, kernel.size, axis=1) @ kernel


def output_grid(shape: tuple[int, int], stride: int) -> tuple[int, int]:
    """The readout's grid for a photo of ``shape`` (H, W): one cell per ``stride`` pixels."""
    return -(-shape[0] // stride), -(-shape[1] // stride)


def fused_on_grid(fused: np.ndarray, stride: int) -> np.ndarray:
    """The fused map (H, W) sampled once per grid cell (its top-left pixel)."""
    return np.asarray(fused, np.float32)[::stride, ::stride]


def readout_inputs(cues: dict[str, np.ndarray]) -> np.ndarray:
    """The readout's per-cell input (h16, w16, C): the stride-16 features beside the
    stride-32 features resized to their grid (batch of one)."""
    detail = np.asarray(cues["detail_features"][0], np.float32)
    deep = resize_bilinear(cues["features"][0], detail.shape[:2])
    return np.concatenate([detail, deep], axis=-1)


@dataclass(frozen=True)
class FixationReadout:
    """Trained readout weights (see the module docstring). ``mean``/``std``: input
    standardisation (C,); ``w1`` (C, K), ``b1`` (K,), ``w2`` (K, 1), ``b2`` (1,): the 1x1
    layers (softplus between); ``centre``: (8, 8) log-weights; ``log_sigma``: the blur in
    grid cells (log); ``fused_weight``: the multiple of log(FUSED_FLOOR + fused map);
    ``gamma``: the calibration exponent that turns density / max into the encoder's
    importance (chosen so the value spread matches what the strengths were tuned on)."""

    mean: np.ndarray
    std: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    centre: np.ndarray
    log_sigma: float
    fused_weight: float
    gamma: float = 1.0
    output_stride: int = 8
    radius: int = 8

    @classmethod
    def load(cls, path) -> "FixationReadout":
        """Reads a readout from an ``.npz`` path (or file object) written by :meth:`to_bytes`."""
        try:
            with np.load(path) as stored:
                values = {f.name: stored[f.name] for f in fields(cls) if f.name in stored}
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"{path}: unusable fixation readout ({exc})") from None
        for name in ("log_sigma", "fused_weight", "gamma"):
            if name in values:
                values[name] = float(values[name])
        for name in ("output_stride", "radius"):
            if name in values:
                values[name] = int(values[name])
        return cls(**values)

    def to_bytes(self) -> bytes:
        """The readout as ``.npz`` bytes (what :meth:`load` reads)."""
        import io

        buffer = io.BytesIO()
        np.savez(buffer, **{f.name: np.asarray(getattr(self, f.name)) for f in fields(self)})
        return buffer.getvalue()

    def log_density(self, inputs: np.ndarray, fused_grid: np.ndarray) -> np.ndarray:
        """Log-density of fixations over the readout's grid: float64, the shape of
        ``fused_grid`` (:func:`fused_on_grid` cut to :func:`output_grid`), ``logsumexp`` =
        0. ``inputs``: from :func:`readout_inputs`."""
        grid = np.shape(fused_grid)
        x = (np.asarray(inputs, np.float32) - self.mean) / self.std
        hidden = np.logaddexp(0.0, x @ self.w1 + self.b1)  # softplus
        score = (hidden @ self.w2 + self.b2)[..., 0]
        score = blur(resize_bilinear(score, grid).astype(np.float64), np.exp(self.log_sigma),
                     self.radius)
        centre = resize_bilinear(self.centre, grid)
        z = score + centre + self.fused_weight * np.log(FUSED_FLOOR + np.asarray(fused_grid))
        top = z.max()
        return z - (top + np.log(np.exp(z - top).sum()))

    def importance(self, inputs: np.ndarray, fused: np.ndarray,
                   shape: tuple[int, int]) -> np.ndarray:
        """The importance map of a photo of ``shape`` (H, W) whose fused map is ``fused``:
        the predicted fixation density resized to the photo, divided by its peak and raised
        to ``gamma``. float32 (H, W) in [0, 1]."""
        grid = output_grid(shape, self.output_stride)
        fused_grid = fused_on_grid(fused, self.output_stride)[:grid[0], :grid[1]]
        density = np.exp(self.log_density(inputs, fused_grid))
        stride = self.output_stride
        full = resize_bilinear(density, (grid[0] * stride, grid[1] * stride))[:shape[0], :shape[1]]
        full = full / max(float(full.max()), 1e-30)
        return np.clip(full, 0, 1).astype(np.float32) ** np.float32(self.gamma)


def readout_of(network) -> FixationReadout | None:
    """The fixation readout of a map network's preset (``map.readout`` in its config,
    checked against its sha256 in metadata.json), or None if the preset has none."""
    from msroi.parallel import LOADED
    from msroi.presets import preset_file

    info = getattr(network, "info", {}) or {}
    name = info.get("map", {}).get("readout")
    if not name or "directory" not in info:
        return None
    path = Path(info["directory"]) / name
    key = ("fixation readout", str(path), path.stat().st_mtime if path.exists() else 0.0)
    return LOADED.get(key, lambda: FixationReadout.load(preset_file(info, name)))

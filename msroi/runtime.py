"""The map networks' common interface, and its lean runtime: LiteRT, no TensorFlow.

:class:`MapNetwork` is what map making (:mod:`msroi.maps`) needs from a classifier:
``predict`` (features and class probabilities), ``cues`` (the fused map's cues), class
activation maps and class names. Two implementations: :class:`msroi.nn.classifier.Classifier`
runs the Keras network (training, research, any preset), :class:`LiteClassifier` runs the
preset's exported LiteRT file (``litert`` in its ``config.json``, written by
``models/export_litert.py``) in a process that never imports TensorFlow: start-up in
~0.1 s instead of ~3 s.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from msroi.parallel import threads_per_process
from msroi.errors import ModelError
from msroi.quiet import held_stderr

#: Outputs of an exported map network, in the order the export writes them.
LITERT_OUTPUTS = ("features", "probabilities", "gradient", "detail", "detail_features")
#: File names of a preset's export (see :func:`msroi.presets.write_litert`).
LITERT_MODEL, LITERT_HEAD = "map.tflite", "map_head.npz"


class MapNetwork:
    """A global-average-pooling classifier seen by map making.

    Attributes: ``name``; ``stride`` (input pixels per feature cell); ``num_classes``;
    ``classes`` (N names or None); ``cue_layers`` (the preset's cue layer names, or None
    when the network gives no fused-map cues); ``info`` (the preset's config).
    """

    name: str
    stride: int
    num_classes: int
    classes: list[str] | None
    cue_layers: dict[str, str] | None
    info: dict

    def predict(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Features (B, h, w, C) float32 and class probabilities (B, N) of RGB [0, 1] images
        (B, H, W, 3) float32."""
        raise NotImplementedError

    def cues(self, images: np.ndarray, *, top_k: int = 5) -> dict[str, np.ndarray]:
        """The fused map's cues, float32: ``features`` (B, h, w, C), ``energy`` (B, h, w),
        ``gradient`` (B, h', w'), ``detail`` (B, h'', w''), ``detail_features``
        (B, h'', w'', C''), ``probabilities`` (B, N); see
        :meth:`msroi.nn.classifier.Classifier.cues` for their definitions."""
        raise NotImplementedError

    @property
    def kernel(self) -> np.ndarray:
        """The last dense layer's weights, (C, N) float32."""
        raise NotImplementedError

    def class_maps(self, features: np.ndarray, class_ids: np.ndarray) -> np.ndarray:
        """Class activation maps (B, h, w, K) of the K classes ``class_ids`` (B, K) per image:
        ``features @ kernel[:, k]`` (exact, since pooling and the dense layer are linear)."""
        weights = self.kernel[:, np.asarray(class_ids)]  # (C, B, K)
        return np.einsum("bhwc,cbk->bhwk", features, weights, optimize=True)

    def class_name(self, index: int) -> str:
        return self.classes[index] if self.classes else str(index)

    def _check_images(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images, dtype=np.float32)
        if images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"expected images of shape (B, H, W, 3), got {images.shape}")
        return images


class LiteModel:
    """A LiteRT flatbuffer ready to run on inputs of any shape: it re-plans its tensors
    when an input's shape changes (quietly: LiteRT announces its CPU delegate on stderr)
    and returns the outputs in the order they were exported (``Identity``,
    ``Identity_1``, ...). ``threads``: default :func:`msroi.parallel.threads_per_process`."""

    def __init__(self, path: str | Path, *, threads: int | None = None):
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_path=str(path), num_threads=threads or threads_per_process())
        details = self._interpreter.get_input_details()
        #: Input names in the model's order.
        self.inputs = [d["name"] for d in details]
        self._inputs = {d["name"]: d["index"] for d in details}
        outputs = sorted(self._interpreter.get_output_details(),
                         key=lambda d: int(d["name"].rpartition("_")[2] or 0)
                         if "_" in d["name"] else 0)
        self._outputs = [d["index"] for d in outputs]
        #: How many outputs the model returns.
        self.output_count = len(outputs)
        self._shapes: dict[str, tuple[int, ...]] = {}

    def run(self, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """The outputs (copies) for input arrays by name."""
        replan = False
        for name, value in feeds.items():
            if self._shapes.get(name) != value.shape:
                self._interpreter.resize_tensor_input(self._inputs[name], value.shape, strict=False)
                self._shapes[name] = value.shape
                replan = True
        if replan:
            with held_stderr():
                self._interpreter.allocate_tensors()
        for name, value in feeds.items():
            self._interpreter.set_tensor(self._inputs[name], value)
        self._interpreter.invoke()
        return [self._interpreter.get_tensor(index).copy() for index in self._outputs]


def litert_available() -> bool:
    """Whether the LiteRT interpreter (``ai-edge-litert``) is installed."""
    return importlib.util.find_spec("ai_edge_litert") is not None


class LiteClassifier(MapNetwork):
    """A preset's exported map network run by the LiteRT interpreter.

    ``model_path``: the ``.tflite`` file (see :mod:`msroi.nn.export`); ``head_path``: the
    ``.npz`` holding the dense layer's ``kernel`` (C, N) for class activation maps;
    ``threads``: interpreter threads (default :func:`msroi.parallel.threads_per_process`).
    """

    def __init__(self, model_path: str | Path, head_path: str | Path, *, stride: int,
                 classes: Sequence[str] | None = None, name: str = "",
                 info: Mapping | None = None, cue_layers: Mapping[str, str] | None = None,
                 threads: int | None = None):
        try:
            self._model = LiteModel(model_path, threads=threads)
            with np.load(head_path) as head:
                self._kernel = np.asarray(head["kernel"], np.float32)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"{model_path}: unusable LiteRT map network ({exc})") from None
        self._outputs = LITERT_OUTPUTS[:self._model.output_count]
        self.name = name
        self.stride = int(stride)
        self.classes = list(classes) if classes is not None else None
        self.cue_layers = dict(cue_layers) if cue_layers and "gradient" in self._outputs else None
        self.info = dict(info or {})
        self.num_classes = int(self._kernel.shape[1])

    @property
    def kernel(self) -> np.ndarray:
        return self._kernel

    def _run(self, image: np.ndarray, top_k: int) -> dict[str, np.ndarray]:
        values = self._model.run({"images": image, "top_k": np.asarray(top_k, np.int32)})
        return dict(zip(self._outputs, values))

    def _each(self, images: np.ndarray, top_k: int) -> dict[str, np.ndarray]:
        runs = [self._run(image[None], top_k) for image in self._check_images(images)]
        return {key: np.concatenate([r[key] for r in runs]) for key in runs[0]}

    def predict(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = self._each(images, 1)
        return out["features"], out["probabilities"]

    def cues(self, images: np.ndarray, *, top_k: int = 5) -> dict[str, np.ndarray]:
        if not self.cue_layers:
            raise ModelError(f"model '{self.name}' names no cue layers (map.cue_layers in its "
                             "config.json); use the energy or cam map")
        out = self._each(images, top_k)
        out["energy"] = np.linalg.norm(out["features"], axis=-1)
        return out

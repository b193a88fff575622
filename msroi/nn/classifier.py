"""A classifier with class activation maps: the interface map making needs from a network.

Wraps a Keras model whose outputs are ``features`` (B, h, w, C) and ``logits`` (B, N) and
whose last layer ``classifier`` is a dense layer C -> N applied after global average
pooling. For such networks the class activation map of class k (Zhou et al., 2016) is
``features @ kernel[:, k]``: exact, because pooling and the dense layer are both linear.
"""

from __future__ import annotations

from typing import Sequence

import keras
import numpy as np
import tensorflow as tf


class Classifier:
    """A GAP classifier and its class activation maps.

    ``model``: a Keras model taking RGB float32 in [0, 1], (B, H, W, 3), returning
    ``{"features", "logits"}``. ``classes``: N class names, or None. ``stride``: input
    pixels per feature cell.
    """

    def __init__(self, model: keras.Model, *, classes: Sequence[str] | None = None,
                 stride: int, name: str | None = None, info: dict | None = None):
        self.model = model
        self.classes = list(classes) if classes is not None else None
        self.stride = int(stride)
        self.name = name or model.name
        self.info = dict(info or {})
        kernel = model.get_layer("classifier").kernel
        self.num_classes = int(kernel.shape[-1])
        if self.classes is not None and len(self.classes) != self.num_classes:
            raise ValueError(f"{len(self.classes)} class names for {self.num_classes} classes")
        # One trace serves every image size: a fully dynamic input signature.
        self._forward = tf.function(
            self._forward_impl,
            input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)],
        )

    def _forward_impl(self, images):
        outputs = self.model(images, training=False)
        return outputs["features"], tf.nn.softmax(outputs["logits"], axis=-1)

    def predict(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Features (B, h, w, C) float32 and class probabilities (B, N) of RGB [0, 1] images."""
        images = np.asarray(images, dtype=np.float32)
        if images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"expected images of shape (B, H, W, 3), got {images.shape}")
        features, probabilities = self._forward(tf.convert_to_tensor(images))
        return features.numpy(), probabilities.numpy()

    @property
    def kernel(self) -> np.ndarray:
        """The classifier's weights, (C, N) float32."""
        return np.asarray(self.model.get_layer("classifier").kernel.numpy())

    def class_maps(self, features: np.ndarray, class_ids: np.ndarray) -> np.ndarray:
        """Class activation maps (B, h, w, K) of the K classes ``class_ids`` (B, K) per image."""
        weights = self.kernel[:, np.asarray(class_ids)]  # (C, B, K)
        return np.einsum("bhwc,cbk->bhwk", features, weights, optimize=True)

    def class_name(self, index: int) -> str:
        return self.classes[index] if self.classes else str(index)

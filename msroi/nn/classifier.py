"""A classifier with class activation maps: the interface map making needs from a network.

Wraps a Keras model whose outputs are ``features`` (B, h, w, C) and ``logits`` (B, N) and
whose last layer ``classifier`` is a dense layer C -> N applied after global average
pooling. For such networks the class activation map of class k (Zhou et al., 2016) is
``features @ kernel[:, k]``: exact, because pooling and the dense layer are both linear.

Networks whose preset names two inner layers (``cue_layers``) also give the cues of the
fused map (:meth:`Classifier.cues`): the gradient x activation of the top classes' evidence
at one layer and the activation energy of a finer layer, from one forward/backward pass.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf

from msroi.errors import ModelError
from msroi.runtime import MapNetwork


class Classifier(MapNetwork):
    """A GAP classifier and its class activation maps.

    ``network``: a Keras model taking RGB float32 in [0, 1], (B, H, W, 3), returning
    ``{"features", "logits"}``. ``classes``: N class names, or None. ``stride``: input
    pixels per feature cell. ``cue_layers``: ``{"gradient": layer name, "detail": layer
    name}`` for :meth:`cues`, or None.
    """

    def __init__(self, network: keras.Model, *, classes: Sequence[str] | None = None,
                 stride: int, name: str | None = None, info: dict | None = None,
                 cue_layers: Mapping[str, str] | None = None):
        self.network = network
        self.cue_layers = dict(cue_layers) if cue_layers else None
        self._cues = None
        self.classes = list(classes) if classes is not None else None
        self.stride = int(stride)
        self.name = name or network.name
        self.info = dict(info or {})
        kernel = network.get_layer("classifier").kernel
        self.num_classes = int(kernel.shape[-1])
        if self.classes is not None and len(self.classes) != self.num_classes:
            raise ValueError(f"{len(self.classes)} class names for {self.num_classes} classes")
        # One trace serves every image size: a fully dynamic input signature.
        self._forward = tf.function(
            self._forward_impl,
            input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)],
        )

    def _forward_impl(self, images):
        outputs = self.network(images, training=False)
        return outputs["features"], tf.nn.softmax(outputs["logits"], axis=-1)

    def predict(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        images = self._check_images(images)
        features, probabilities = self._forward(tf.convert_to_tensor(images))
        return features.numpy(), probabilities.numpy()

    def cues(self, images: np.ndarray, *, top_k: int = 5) -> dict[str, np.ndarray]:
        """The fused map's cues for RGB [0, 1] images (B, H, W, 3), one forward/backward pass.

        Returns float32 arrays: ``features`` (B, h, w, C), the last features; ``energy``
        (B, h, w), their L2 norm over channels; ``gradient`` (B, h', w'), sum over channels
        of |activation x d evidence / d activation| at the ``gradient`` layer, where the
        evidence is the top-k classes' logits weighted by their probabilities; ``detail``
        (B, h'', w''), the L2 norm over channels at the ``detail`` layer, and
        ``detail_features`` (B, h'', w'', C''), that layer itself; ``probabilities`` (B, N).
        """
        if not self.cue_layers:
            raise ModelError(f"model '{self.name}' names no cue layers (map.cue_layers in its "
                             "config.json); use the energy or cam map")
        images = self._check_images(images)
        if self._cues is None:
            self._cues = self._build_cues()
        out = self._cues(tf.convert_to_tensor(images), tf.constant(int(top_k)))
        return {key: value.numpy() for key, value in out.items()}

    def _build_cues(self):
        inner = keras.Model(self.network.input, {
            "gradient": self.network.get_layer(self.cue_layers["gradient"]).output,
            "detail": self.network.get_layer(self.cue_layers["detail"]).output,
            **self.network.output})

        def run(images, top_k):
            with tf.GradientTape() as tape:
                out = inner(images, training=False)
                logits = tf.cast(out["logits"], tf.float32)
                probabilities = tf.nn.softmax(logits, axis=-1)
                # The top-k classes' probabilities as weights over all N classes (zero
                # elsewhere): a product of two (B, N) tensors, whose gradient needs no
                # dynamic-shape broadcasting (which the lean runtime's export cannot hold).
                top_p, _ = tf.math.top_k(probabilities, k=top_k)
                chosen = tf.where(probabilities >= top_p[:, -1:], probabilities, 0.0)
                weights = tf.stop_gradient(chosen / tf.reduce_sum(chosen, axis=-1, keepdims=True))
                evidence = tf.reduce_sum(logits * weights)
            activation = out["gradient"]
            grads = tape.gradient(evidence, activation)
            features = tf.cast(out["features"], tf.float32)
            return {"features": features, "energy": tf.norm(features, axis=-1),
                    "gradient": tf.reduce_sum(tf.abs(activation * grads), axis=-1),
                    "detail": tf.norm(tf.cast(out["detail"], tf.float32), axis=-1),
                    "detail_features": tf.cast(out["detail"], tf.float32),
                    "probabilities": probabilities}

        return tf.function(run, input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32),
                                                  tf.TensorSpec([], tf.int32)])

    @property
    def kernel(self) -> np.ndarray:
        return np.asarray(self.network.get_layer("classifier").kernel.numpy())

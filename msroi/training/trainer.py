"""The training step: supervised cross-entropy and/or distillation from a frozen teacher.

Distillation: the student (B, N) logits learn the teacher's softened class distribution
(KL divergence at a temperature, times T^2 as Hinton et al. do) and, with ``map_weight``,
the teacher's combined class-activation map of its top-k classes (both maps normalised to
[0, 1] per image, compared at the student's feature resolution). Backbone variables can
move at a fraction of the learning rate (``backbone_lr_scale``): their optimizer update is
scaled after it is applied, which is exact for Adam and SGD alike.
"""

from __future__ import annotations


import keras
import tensorflow as tf


def combined_cam(features, kernel, class_ids, weights):
    """Probability-weighted sum of per-image normalised class maps.

    features (B, h, w, C), kernel (C, N), class_ids (B, K) int, weights (B, K) summing to
    1 -> (B, h, w) in [0, 1].
    """
    selected = tf.gather(tf.transpose(kernel), class_ids)             # (B, K, C)
    cams = tf.einsum("bhwc,bkc->bhwk", features, selected)
    low = tf.reduce_min(cams, axis=[1, 2], keepdims=True)
    high = tf.reduce_max(cams, axis=[1, 2], keepdims=True)
    cams = (cams - low) / (high - low + 1e-6)
    return tf.einsum("bhwk,bk->bhw", cams, weights)


def teacher_targets(teacher: keras.Model, images, top_k: int) -> dict:
    """What the student learns from: the teacher's logits (B, N), its top-k class ids (B, K)
    and renormalised probabilities (B, K), and its combined top-k map (B, h, w) in [0, 1]."""
    out = teacher(images, training=False)
    logits = tf.cast(out["logits"], tf.float32)
    top_p, top_ids = tf.math.top_k(tf.nn.softmax(logits), k=top_k)
    weights = top_p / tf.reduce_sum(top_p, axis=-1, keepdims=True)
    cam = combined_cam(tf.cast(out["features"], tf.float32), teacher.get_layer("classifier").kernel,
                       top_ids, weights)
    return {"teacher_logits": logits, "teacher_ids": top_ids, "teacher_weights": weights,
            "teacher_map": cam}


class Trainer(keras.Model):
    """Wraps a network with ``features``/``logits`` outputs for ``fit``.

    Batches are (inputs, labels) or (inputs, targets) with ``targets`` a dict holding
    ``label`` and, precomputed (a feature cache), the :func:`teacher_targets`.
    ``teacher``: a frozen Keras model with the same outputs (or None), run on the inputs
    when the batch brings no teacher targets. ``label_weight``:
    weight of cross-entropy on labels (labels < 0 are ignored). ``backbone``: names of
    layers trained at ``backbone_lr_scale`` x the learning rate.
    """

    def __init__(self, network: keras.Model, *, teacher: keras.Model | None = None,
                 temperature: float = 4.0, label_weight: float = 1.0,
                 distill_weight: float = 1.0, map_weight: float = 0.0, map_top_k: int = 5,
                 label_smoothing: float = 0.0, backbone: tuple[str, ...] = (),
                 backbone_lr_scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.teacher = teacher
        if teacher is not None:
            teacher.trainable = False
        self.temperature = float(temperature)
        self.label_weight = float(label_weight)
        self.distill_weight = float(distill_weight)
        self.map_weight = float(map_weight)
        self.map_top_k = int(map_top_k)
        self.label_smoothing = float(label_smoothing)
        self.backbone_lr_scale = float(backbone_lr_scale)
        backbone = set(backbone)
        self._backbone_vars = [v for layer in network.layers if layer.name in backbone
                               for v in layer.trainable_weights]
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.map_tracker = keras.metrics.Mean(name="map_loss")
        self.top1 = keras.metrics.SparseCategoricalAccuracy(name="top1")
        self.top5 = keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5")

    @property
    def metrics(self):
        return [self.loss_tracker, self.kl_tracker, self.map_tracker, self.top1, self.top5]

    def call(self, images, training=False):
        return self.network(images, training=training)["logits"]

    def _compute_losses(self, images, targets, training):
        labels, teacher = (targets["label"], targets) if isinstance(targets, dict) else (targets, None)
        if teacher is not None and "teacher_logits" not in teacher:
            teacher = None
        if teacher is None and self.teacher is not None:
            teacher = teacher_targets(self.teacher, images, self.map_top_k)
        out = self.network(images, training=training)
        logits = tf.cast(out["logits"], tf.float32)
        total = tf.constant(0.0)
        valid = labels >= 0
        if self.label_weight > 0:
            safe = tf.where(valid, labels, 0)
            num_classes = tf.shape(logits)[-1]
            target = tf.one_hot(safe, num_classes) * (1 - self.label_smoothing) + \
                self.label_smoothing / tf.cast(num_classes, tf.float32)
            ce = tf.nn.softmax_cross_entropy_with_logits(target, logits)
            weight = tf.cast(valid, tf.float32)
            total += self.label_weight * tf.reduce_sum(ce * weight) / tf.maximum(tf.reduce_sum(weight), 1.0)
        kl = map_loss = tf.constant(0.0)
        if teacher is not None:
            teacher_logits = tf.cast(teacher["teacher_logits"], tf.float32)
            t = self.temperature
            p_teacher = tf.nn.softmax(teacher_logits / t)
            log_p_student = tf.nn.log_softmax(logits / t)
            kl = tf.reduce_mean(tf.reduce_sum(
                p_teacher * (tf.math.log(p_teacher + 1e-8) - log_p_student), axis=-1)) * t * t
            total += self.distill_weight * kl
            if self.map_weight > 0:
                student_map = combined_cam(tf.cast(out["features"], tf.float32),
                                           self.network.get_layer("classifier").kernel,
                                           teacher["teacher_ids"], teacher["teacher_weights"])
                teacher_map = tf.cast(teacher["teacher_map"], tf.float32)[..., None]
                teacher_map = tf.image.resize(teacher_map, tf.shape(student_map)[1:3])[..., 0]
                map_loss = tf.reduce_mean(tf.square(student_map - teacher_map))
                total += self.map_weight * map_loss
        return total, kl, map_loss, logits

    def _update_metrics(self, total, kl, map_loss, logits, targets):
        labels = targets["label"] if isinstance(targets, dict) else targets
        self.loss_tracker.update_state(total)
        self.kl_tracker.update_state(kl)
        self.map_tracker.update_state(map_loss)
        valid = labels >= 0
        self.top1.update_state(tf.boolean_mask(labels, valid), tf.boolean_mask(logits, valid))
        self.top5.update_state(tf.boolean_mask(labels, valid), tf.boolean_mask(logits, valid))
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        images, labels = data
        with tf.GradientTape() as tape:
            total, kl, map_loss, logits = self._compute_losses(images, labels, training=True)
            scaled = self.optimizer.scale_loss(total) if hasattr(self.optimizer, "scale_loss") else total
        variables = self.network.trainable_variables
        gradients = tape.gradient(scaled, variables)
        pairs = [(g, v) for g, v in zip(gradients, variables) if g is not None]
        if self.backbone_lr_scale != 1.0 and self._backbone_vars:
            before = [tf.identity(v) for v in self._backbone_vars]
            self.optimizer.apply([g for g, _ in pairs], [v for _, v in pairs])
            for old, v in zip(before, self._backbone_vars):
                v.assign(old + self.backbone_lr_scale * (v - old))
        else:
            self.optimizer.apply([g for g, _ in pairs], [v for _, v in pairs])
        return self._update_metrics(total, kl, map_loss, logits, labels)

    def test_step(self, data):
        images, labels = data
        total, kl, map_loss, logits = self._compute_losses(images, labels, training=False)
        return self._update_metrics(total, kl, map_loss, logits, labels)

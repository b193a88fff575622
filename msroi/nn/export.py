"""Keras classifier -> LiteRT flatbuffer: the map network for the lean runtime.

The exported graph takes one RGB float32 image in [0, 1], (1, H, W, 3) with any H and W,
and the number of classes ``top_k`` (int32 scalar), and returns what map making reads, in the order of
:data:`msroi.runtime.LITERT_OUTPUTS`: ``features`` (1, h, w, C), ``probabilities`` (1, N) and, for presets that name cue layers,
the fused map's ``gradient`` and ``detail`` cues (1, h', w') exactly as
:meth:`msroi.nn.classifier.Classifier.cues` computes them. The energy cue is the channel
norm of ``features`` and is taken on the runtime side.

The gradient cue needs a backward pass, and two of TensorFlow's backward ops have no LiteRT
kernel (``Relu6Grad``, ``DepthwiseConv2dNativeBackpropInput``). The exported network is a
clone whose ReLU6 and stride-1 depthwise layers carry their own gradients written with
forward ops (a mask product; a depthwise convolution of the padded upstream gradient with
the spatially flipped kernel), so the whole computation is LiteRT builtins.
"""

from __future__ import annotations


import keras
import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

from msroi.nn.classifier import Classifier
from msroi.runtime import LITERT_OUTPUTS


@tf.custom_gradient
def _relu6(x):
    def grad(upstream):
        return upstream * tf.cast((x > 0.0) & (x < 6.0), upstream.dtype)
    return tf.nn.relu6(x), grad


def _depthwise_stride1(x, kernel, padding: str):
    """Depthwise 2D convolution, stride 1, whose input gradient is itself a depthwise
    convolution: the upstream gradient padded (fully for "valid", half for "same") and
    correlated with the kernel flipped in both spatial axes."""
    kh, kw = int(kernel.shape[0]), int(kernel.shape[1])

    @tf.custom_gradient
    def run(inputs):
        def grad(upstream):
            if padding == "valid":
                upstream = tf.pad(upstream, [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]])
            flipped = tf.reverse(kernel, axis=[0, 1])
            return tf.nn.depthwise_conv2d(upstream, flipped, [1, 1, 1, 1], padding.upper())
        return tf.nn.depthwise_conv2d(inputs, kernel, [1, 1, 1, 1], padding.upper()), grad

    return run(x)


class _ExportReLU6(keras.layers.ReLU):
    def call(self, inputs):
        return _relu6(inputs)


class _ExportDepthwise(keras.layers.DepthwiseConv2D):
    def call(self, inputs):
        kernel = tf.convert_to_tensor(self.kernel)
        outputs = _depthwise_stride1(inputs, kernel, self.padding)
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs) if self.activation is not None else outputs


def _exportable_layer(layer: keras.layers.Layer) -> keras.layers.Layer:
    config = layer.get_config()
    if (type(layer) is keras.layers.ReLU and config.get("max_value") == 6.0
            and not config.get("negative_slope") and not config.get("threshold")):
        return _ExportReLU6.from_config(config)
    if (type(layer) is keras.layers.DepthwiseConv2D and tuple(layer.strides) == (1, 1)
            and tuple(layer.dilation_rate) == (1, 1) and layer.padding in ("valid", "same")
            and layer.depth_multiplier == 1 and layer.kernel_size[0] % 2 == 1):
        return _ExportDepthwise.from_config(config)
    return layer.__class__.from_config(config)


def exportable_clone(model: keras.Model) -> keras.Model:
    """The same functional network and weights, with LiteRT-friendly gradients."""
    clone = keras.models.clone_model(model, clone_function=_exportable_layer)
    clone.set_weights(model.get_weights())
    return clone


def export_litert(classifier: Classifier) -> bytes:
    """The classifier's map computation as a LiteRT flatbuffer (float32, builtin ops only).

    Raises the converter's error if the network holds a layer whose gradient has no
    LiteRT kernel and no rewrite here (the cue layers' backward pass must convert).
    """
    clone = Classifier(exportable_clone(classifier.network), classes=classifier.classes,
                       stride=classifier.stride, name=classifier.name, info=classifier.info,
                       cue_layers=classifier.cue_layers)
    spec = [tf.TensorSpec([1, None, None, 3], tf.float32, name="images"),
            tf.TensorSpec([], tf.int32, name="top_k")]
    if classifier.cue_layers:
        cues = clone._build_cues()

        def run(images, top_k):
            out = cues(images, top_k)
            return tuple(out[name] for name in LITERT_OUTPUTS)
    else:
        def run(images, top_k):
            del top_k
            outputs = clone.network(images, training=False)
            return (tf.cast(outputs["features"], tf.float32),
                    tf.nn.softmax(tf.cast(outputs["logits"], tf.float32)))
    return convert(tf.function(run, input_signature=spec).get_concrete_function())


def convert(function) -> bytes:
    """A concrete TensorFlow function as a LiteRT flatbuffer of builtin ops, its variables
    frozen into constants first (left as variables, the converter kept Keras 3 weights as
    uninitialised resources: the model ran and returned NaN)."""
    frozen = convert_variables_to_constants_v2(function)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return converter.convert()

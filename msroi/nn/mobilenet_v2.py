"""MobileNetV2 (Sandler et al., 2018) as torchvision builds it, ported to Keras 3.

The shipped weights are torchvision's ImageNet-1k ``mobilenet_v2-b0353104.pth``. The port
reproduces torchvision's arithmetic: symmetric one-pixel zero padding before every 3x3
convolution (``ZeroPadding2D(1)`` + ``padding="valid"``, since Keras' ``"same"`` pads
asymmetrically at stride 2), batch-norm epsilon 1e-5 and ReLU6.

Outputs a dict: ``features`` (B, H/32, W/32, 1280), the last convolutional features whose
weighted sum with the classifier's weights gives class activation maps, and ``logits``
(B, num_classes).
"""

from __future__ import annotations

from typing import Mapping

import keras
import numpy as np
from keras import layers

from msroi.nn.preprocessing import torchvision_normalization

# (expansion t, output channels c, repeats n, first stride s): torchvision's table.
INVERTED_RESIDUAL_SETTING = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
BN_EPSILON = 1e-5
FEATURE_CHANNELS = 1280


def _bn(name: str) -> layers.Layer:
    return layers.BatchNormalization(epsilon=BN_EPSILON, momentum=0.9, name=name)


def _conv_bn_relu6(x, filters: int, kernel: int, stride: int, prefix: str):
    if kernel == 3:
        x = layers.ZeroPadding2D(1, name=f"{prefix}_pad")(x)
    x = layers.Conv2D(filters, kernel, strides=stride, padding="valid", use_bias=False,
                      name=f"{prefix}_conv")(x)
    x = _bn(f"{prefix}_bn")(x)
    return layers.ReLU(6.0, name=f"{prefix}_relu6")(x)


def _inverted_residual(x, in_channels: int, out_channels: int, stride: int, expansion: int,
                       prefix: str):
    shortcut = x
    hidden = in_channels * expansion
    if expansion != 1:
        x = layers.Conv2D(hidden, 1, use_bias=False, name=f"{prefix}_expand")(x)
        x = _bn(f"{prefix}_expand_bn")(x)
        x = layers.ReLU(6.0, name=f"{prefix}_expand_relu6")(x)
    x = layers.ZeroPadding2D(1, name=f"{prefix}_pad")(x)
    x = layers.DepthwiseConv2D(3, strides=stride, padding="valid", use_bias=False,
                               name=f"{prefix}_depthwise")(x)
    x = _bn(f"{prefix}_depthwise_bn")(x)
    x = layers.ReLU(6.0, name=f"{prefix}_depthwise_relu6")(x)
    x = layers.Conv2D(out_channels, 1, use_bias=False, name=f"{prefix}_project")(x)
    x = _bn(f"{prefix}_project_bn")(x)
    if stride == 1 and in_channels == out_channels:
        x = layers.Add(name=f"{prefix}_add")([shortcut, x])
    return x


def mobilenet_v2(*, num_classes: int = 1000, dropout: float = 0.2,
                 name: str = "mobilenet_v2") -> keras.Model:
    """Builds MobileNetV2 (width 1.0) taking RGB float32 in [0, 1] of any size >= 32 px."""
    inputs = keras.Input((None, None, 3), name="image")
    x = torchvision_normalization()(inputs)
    x = _conv_bn_relu6(x, 32, 3, 2, "features_0")
    channels, index = 32, 1
    for expansion, out_channels, repeats, first_stride in INVERTED_RESIDUAL_SETTING:
        for r in range(repeats):
            x = _inverted_residual(x, channels, out_channels, first_stride if r == 0 else 1,
                                   expansion, f"features_{index}")
            channels, index = out_channels, index + 1
    features = _conv_bn_relu6(x, FEATURE_CHANNELS, 1, 1, f"features_{index}")
    pooled = layers.GlobalAveragePooling2D(name="gap")(features)
    pooled = layers.Dropout(dropout, name="dropout")(pooled)
    logits = layers.Dense(num_classes, name="classifier")(pooled)
    return keras.Model(inputs, {"features": features, "logits": logits}, name=name)


def torch_state_dict_to_keras(state_dict: Mapping[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """Maps torchvision's MobileNetV2 state dict (numpy arrays) to {keras layer name: weights}.

    Convolution kernels OIHW -> HWIO, depthwise (C, 1, 3, 3) -> (3, 3, C, 1), dense (out, in)
    -> (in, out); batch norm (weight, bias, running_mean, running_var) -> (gamma, beta,
    moving_mean, moving_variance).
    """
    out: dict[str, list[np.ndarray]] = {}

    def conv(key: str, layer: str):
        out[layer] = [np.asarray(state_dict[f"{key}.weight"]).transpose(2, 3, 1, 0)]

    def depthwise(key: str, layer: str):
        out[layer] = [np.asarray(state_dict[f"{key}.weight"]).transpose(2, 3, 0, 1)]

    def bn(key: str, layer: str):
        out[layer] = [np.asarray(state_dict[f"{key}.{p}"])
                      for p in ("weight", "bias", "running_mean", "running_var")]

    conv("features.0.0", "features_0_conv")
    bn("features.0.1", "features_0_bn")
    index = 1
    for expansion, _, repeats, _ in INVERTED_RESIDUAL_SETTING:
        for _ in range(repeats):
            k, p = f"features.{index}.conv", f"features_{index}"
            if expansion == 1:
                depthwise(f"{k}.0.0", f"{p}_depthwise")
                bn(f"{k}.0.1", f"{p}_depthwise_bn")
                conv(f"{k}.1", f"{p}_project")
                bn(f"{k}.2", f"{p}_project_bn")
            else:
                conv(f"{k}.0.0", f"{p}_expand")
                bn(f"{k}.0.1", f"{p}_expand_bn")
                depthwise(f"{k}.1.0", f"{p}_depthwise")
                bn(f"{k}.1.1", f"{p}_depthwise_bn")
                conv(f"{k}.2", f"{p}_project")
                bn(f"{k}.3", f"{p}_project_bn")
            index += 1
    conv(f"features.{index}.0", f"features_{index}_conv")
    bn(f"features.{index}.1", f"features_{index}_bn")
    out["classifier"] = [np.asarray(state_dict["classifier.1.weight"]).T,
                         np.asarray(state_dict["classifier.1.bias"])]
    return out

"""The learned post-filter: a decoded JPEG in, the same image with less blocking and
ringing out. One network for all qualities, conditioned on the file's own quantisation.

Input (B, H, W, 6) float32, H and W even: the decoded RGB in [0, 1] and three condition
planes (see :func:`msroi.decoders.postfilter.condition`): log2 of the luma and chroma tables' mean
step over 8, and 1 where chroma was subsampled. Constant planes for a whole file today;
planes, not a vector, so a per-block condition (e.g. a strength an encoder wrote) plugs in
without a new network. Output (B, H, W, 3): the input RGB plus a learned correction (a
residual network, so an untrained correction of zero is the plain decode).

Shape: two 3x3 convolutions at full resolution (``width`` channels), a stride-2 convolution
to half resolution, ``blocks`` residual pairs of 3x3 convolutions (``wide`` channels), a
transposed convolution back, a skip from the full-resolution features, a 3x3 convolution to
RGB. Fully convolutional (any even size; callers pad), receptive field ~26 pixels (three
JPEG blocks), ~16k multiply-adds per pixel at the default size.
"""

from __future__ import annotations

import keras
from keras import layers

#: Input channels: RGB and the three condition planes.
INPUT_CHANNELS = 6


def postfilter(*, width: int = 16, wide: int = 48, blocks: int = 2) -> keras.Model:
    """The post-filter network (see the module docstring); weights random."""
    inputs = keras.Input((None, None, INPUT_CHANNELS), name="decoded")
    rgb = layers.Lambda(lambda x: x[..., :3], name="rgb")(inputs)
    x = layers.Conv2D(width, 3, padding="same", activation="relu", name="in_conv1")(inputs)
    full = layers.Conv2D(width, 3, padding="same", activation="relu", name="in_conv2")(x)
    x = layers.Conv2D(wide, 3, strides=2, padding="same", activation="relu", name="down")(full)
    for i in range(blocks):
        y = layers.Conv2D(wide, 3, padding="same", activation="relu", name=f"block{i}_conv1")(x)
        y = layers.Conv2D(wide, 3, padding="same", name=f"block{i}_conv2")(y)
        x = layers.ReLU(name=f"block{i}_relu")(layers.Add(name=f"block{i}_add")([x, y]))
    x = layers.Conv2DTranspose(width, 2, strides=2, padding="same", activation="relu", name="up")(x)
    x = layers.Add(name="skip")([x, full])
    x = layers.Conv2D(width, 3, padding="same", activation="relu", name="out_conv1")(x)
    correction = layers.Conv2D(3, 3, padding="same", name="correction",
                               kernel_initializer="zeros")(x)
    outputs = layers.Add(name="filtered")([rgb, correction])
    return keras.Model(inputs, outputs, name="postfilter")

"""Input normalisation layers: RGB float32 in [0, 1] -> what each pretrained network expects."""

from __future__ import annotations

from typing import Sequence

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="msroi")
class ImageNormalization(keras.layers.Layer):
    """Maps RGB float32 in [0, 1], shape (B, H, W, 3), to a network's input convention.

    ``(x * scale - mean) / std`` per channel, after reversing the channel order when
    ``bgr`` is set. Two conventions cover the shipped networks:

    - torchvision (MobileNetV2): ``scale=1``, mean (0.485, 0.456, 0.406),
      std (0.229, 0.224, 0.225), RGB;
    - Caffe VGG16: ``scale=255``, BGR, mean (103.939, 116.779, 123.68), std 1.
    """

    def __init__(
        self,
        *,
        mean: Sequence[float],
        std: Sequence[float] = (1.0, 1.0, 1.0),
        scale: float = 1.0,
        bgr: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if len(mean) != 3 or len(std) != 3:
            raise ValueError("mean and std need three values, one per channel")
        self.mean = [float(m) for m in mean]
        self.std = [float(s) for s in std]
        self.scale = float(scale)
        self.bgr = bool(bgr)

    def call(self, inputs):
        x = inputs
        if self.bgr:
            x = ops.flip(x, axis=-1)
        mean = ops.convert_to_tensor(self.mean, dtype=x.dtype)
        std = ops.convert_to_tensor(self.std, dtype=x.dtype)
        return (x * self.scale - mean) / std

    def get_config(self):
        config = super().get_config()
        config.update(mean=self.mean, std=self.std, scale=self.scale, bgr=self.bgr)
        return config


def torchvision_normalization(name: str = "preprocessing") -> ImageNormalization:
    return ImageNormalization(
        mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), name=name
    )


def caffe_vgg_normalization(name: str = "preprocessing") -> ImageNormalization:
    # BGR order: the mean is listed B, G, R as in the original Caffe model.
    return ImageNormalization(
        mean=(103.939, 116.779, 123.68), scale=255.0, bgr=True, name=name
    )

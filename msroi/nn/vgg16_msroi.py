"""The MSROI network of Prakash et al. (DCC 2017), layer for layer, in Keras 3.

VGG16 conv1_1..conv5_3 with four 2x2 max-pools (224 -> 14x14), then the paper's head:
``conv6_1`` 3x3 512 -> 32 (no activation), ``depth`` a depthwise 3x3 convolution with depth
multiplier 32 (32 -> 1024 channels: the "3D" features), ``conv6`` 3x3 1024 -> 1024 (no
activation), global average pooling and a bias-free dense layer to the classes. As in the
authors' code, dropout (keep 0.7) follows every convolution while training.

Fully convolutional: any input size works; class activation maps come from ``features``
(conv6, (B, H/16, W/16, 1024)) and the classifier's kernel (1024, num_classes).

Layer names of the backbone follow ``keras.applications.VGG16`` (block1_conv1 ...), so the
pristine ImageNet weights load by name.
"""

from __future__ import annotations

import keras
from keras import layers

from msroi.nn.preprocessing import caffe_vgg_normalization

# (block, number of 3x3 convolutions, filters), from Simonyan & Zisserman's configuration D.
VGG16_BLOCKS = ((1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512))
BACKBONE_LAYERS = tuple(
    f"block{b}_conv{i}" for b, n, _ in VGG16_BLOCKS for i in range(1, n + 1)
)


def vgg16_backbone(x, *, dropout: float = 0.0):
    """VGG16 convolutions with max-pools after blocks 1-4 (stride 16). Returns conv5_3."""
    for block, convs, filters in VGG16_BLOCKS:
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, 3, padding="same", activation="relu",
                              name=f"block{block}_conv{i}")(x)
            if dropout:
                x = layers.Dropout(dropout, name=f"block{block}_conv{i}_dropout")(x)
        if block < 5:
            x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    return x


def vgg16_msroi(
    *,
    num_classes: int = 1000,
    head_filters: int = 32,
    depth_multiplier: int = 32,
    feature_channels: int = 1024,
    dropout: float = 0.3,
    backbone_dropout: bool = True,
    name: str = "vgg16_msroi",
) -> keras.Model:
    """Builds VGG16-MSROI taking RGB float32 in [0, 1], shape (B, H, W, 3), any H, W >= 16.

    ``dropout`` is the drop rate after each convolution (the paper's keep probability 0.7
    is rate 0.3); ``backbone_dropout=False`` keeps it to the new head only. 257 classes is
    Caltech-256 (the paper), 1000 is ImageNet-1k.
    """
    inputs = keras.Input((None, None, 3), name="image")
    x = caffe_vgg_normalization()(inputs)
    x = vgg16_backbone(x, dropout=dropout if backbone_dropout else 0.0)
    x = layers.Conv2D(head_filters, 3, padding="same", name="conv6_1")(x)
    x = layers.Dropout(dropout, name="conv6_1_dropout")(x)
    x = layers.DepthwiseConv2D(3, padding="same", depth_multiplier=depth_multiplier,
                               name="depth")(x)
    x = layers.Dropout(dropout, name="depth_dropout")(x)
    features = layers.Conv2D(feature_channels, 3, padding="same", name="conv6")(x)
    pooled = layers.GlobalAveragePooling2D(name="gap")(layers.Dropout(dropout, name="conv6_dropout")(features))
    logits = layers.Dense(num_classes, use_bias=False, name="classifier")(pooled)
    return keras.Model(inputs, {"features": features, "logits": logits}, name=name)


def vgg16_features(*, name: str = "vgg16_imagenet") -> keras.Model:
    """The bare VGG16 backbone (conv5_3 output, stride 16) taking RGB float32 in [0, 1]."""
    inputs = keras.Input((None, None, 3), name="image")
    x = vgg16_backbone(caffe_vgg_normalization()(inputs))
    return keras.Model(inputs, {"features": x}, name=name)

#: Inner layers of the fused map's cues (msroi.maps): gradient x activation at conv5_3
#: (stride 16), energy of conv4_3 (stride 8).
CUE_LAYERS = {"gradient": "block5_conv3", "detail": "block4_conv3"}

#: The head's layers from conv5_3 to the class-activation features, in order.
HEAD_LAYERS = ("conv6_1", "conv6_1_dropout", "depth", "depth_dropout", "conv6")


def vgg16_msroi_head(network: keras.Model) -> keras.Model:
    """The head of a built VGG16-MSROI as a model on conv5_3 features (B, h, w, 512),
    returning ``{"features", "logits"}``. It shares the network's layers: training one
    trains the other (frozen-backbone training on cached features)."""
    inputs = keras.Input((None, None, network.get_layer("block5_conv3").filters), name="conv5_3")
    features = inputs
    for name in HEAD_LAYERS:
        features = network.get_layer(name)(features)
    pooled = network.get_layer("gap")(network.get_layer("conv6_dropout")(features))
    logits = network.get_layer("classifier")(pooled)
    return keras.Model(inputs, {"features": features, "logits": logits}, name=f"{network.name}_head")


def vgg16_msroi_backbone(network: keras.Model) -> keras.Model:
    """The backbone of a built VGG16-MSROI: RGB [0, 1] (B, H, W, 3) -> conv5_3 features
    (B, H/16, W/16, 512), sharing the network's layers."""
    return keras.Model(network.input, network.get_layer("block5_conv3").output,
                       name=f"{network.name}_backbone")

"""Keras networks. Nothing here opens image files or touches JPEG bytes.

Every architecture is reachable by name through :data:`ARCHITECTURES`; each builder takes
keyword-only arguments, which a preset's ``config.json`` stores verbatim.
"""

from msroi.nn.mobilenet_v2 import mobilenet_v2
from msroi.nn.postfilter import postfilter
from msroi.nn.vgg16_msroi import vgg16_features, vgg16_msroi

ARCHITECTURES = {
    "mobilenet_v2": mobilenet_v2,
    "vgg16_msroi": vgg16_msroi,
    "vgg16_features": vgg16_features,
    "postfilter": postfilter,
}

__all__ = ["ARCHITECTURES", "mobilenet_v2", "postfilter", "vgg16_features", "vgg16_msroi"]

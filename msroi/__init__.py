"""msroi: semantic region-of-interest JPEG compression (Prakash et al., DCC 2017).

Public API (imported lazily: ``import msroi`` loads no network runtime and changes no
environment variable)::

    import msroi
    image = msroi.read_image("photo.png")            # RGB uint8 (H, W, 3)
    importance = msroi.generate_map(image)           # float32 (H, W) in [0, 1]
    result = msroi.compress(image, budget="q50")     # bytes + report
    open("photo.jpg", "wb").write(result.data)
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "load_model": "msroi.presets",
    "list_models": "msroi.presets",
    "generate_map": "msroi.maps",
    "semantic_map": "msroi.maps",
    "overlay": "msroi.maps",
    "compress": "msroi.pipeline",
    "Budget": "msroi.rate",
    "read_image": "msroi.io",
    "load_image": "msroi.io",
    "CODECS": "msroi.codecs",
    "get_decoder": "msroi.decoders",
    "CompressResult": "msroi.codecs",
    "MsroiError": "msroi.errors",
    "ImageReadError": "msroi.errors",
    "BudgetError": "msroi.errors",
    "ModelError": "msroi.errors",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'msroi' has no attribute '{name}'")


def __dir__():
    return __all__

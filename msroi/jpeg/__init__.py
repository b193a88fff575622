"""JPEG encoders. Nothing here imports Keras: codecs take arrays and return bytes.

Strategies are registered by name in :data:`CODECS` (``msroi compress --method``).
"""

from msroi.jpeg.codec import CODECS, Codec, CompressResult
from msroi.jpeg.paper import PaperCodec
from msroi.jpeg.rdq import RDQuantiserCodec

__all__ = ["CODECS", "Codec", "CompressResult", "PaperCodec", "RDQuantiserCodec"]

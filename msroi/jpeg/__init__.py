"""JPEG encoders. Nothing here imports Keras: codecs take arrays and return bytes.

Codecs are found by name in :data:`CODECS` (entry points ``msroi.codecs``; ``msroi
compress --method``); the interface is :mod:`msroi.jpeg.codec`.
"""

from msroi.jpeg.codec import Codec, CodecSettings, CompressResult, EncoderState
from msroi.jpeg.registry import CODECS, DECODERS, map_codecs, peer_codecs

__all__ = ["CODECS", "DECODERS", "Codec", "CodecSettings", "CompressResult", "EncoderState",
           "map_codecs", "peer_codecs"]

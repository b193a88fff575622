"""The JPEG layer: codecs (arrays in, bytes out) and the decoders' registry. Nothing here
imports Keras.

Codecs are found by name in :data:`CODECS` (entry points ``msroi.codecs``; ``msroi
compress --method``), their interface in :mod:`msroi.jpeg.codec`; decoders by name in
:data:`DECODERS` (``--decoder``), implemented in :mod:`msroi.decode`.
"""

from msroi.jpeg.codec import Codec, CodecSettings, CompressResult, EncoderState
from msroi.jpeg.registry import CODECS, DECODERS, map_codecs, peer_codecs

__all__ = ["CODECS", "DECODERS", "Codec", "CodecSettings", "CompressResult", "EncoderState",
           "map_codecs", "peer_codecs"]

"""Encoders: an RGB photo and its importance map in, standard JPEG bytes out, at one setting of
the codec's knobs (a budget is never seen here: :mod:`msroi.rate` searches the knobs).

``base`` (the interface: settings, encoder state, knobs), ``registry`` (codecs by name,
entry points ``msroi.codecs``; ``msroi compress --method``), ``field`` (map -> the
per-block field the quantiser obeys), ``rdq`` (the default: field -> per-block lambda ->
trellis), ``paper`` (the paper's mixing models 1..6), ``peers`` (libjpeg-turbo, mozjpeg)
and ``jpegli``. The bitstream they share lives in :mod:`msroi.jpeg`.
"""

from msroi.codecs.base import Codec, CodecSettings, CompressResult, EncoderState
from msroi.codecs.registry import CODECS, DEFAULT_METHOD, map_codecs, peer_codecs

__all__ = ["CODECS", "DEFAULT_METHOD", "Codec", "CodecSettings", "CompressResult", "EncoderState",
           "map_codecs", "peer_codecs"]

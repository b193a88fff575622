"""Decoders: JPEG bytes -> RGB pixels, by name (entry points ``msroi.decoders``; ``--decoder``).

``base`` (the interface, the standard decode, the registry), ``laplacian`` (each
coefficient at the expected value of its bin), ``postfilter`` (the learned post-filter,
tiled, LiteRT).
"""

from msroi.decoders.base import DECODERS, Decoder, StandardDecoder, get_decoder, shared_decoder

__all__ = ["DECODERS", "Decoder", "StandardDecoder", "get_decoder", "shared_decoder"]

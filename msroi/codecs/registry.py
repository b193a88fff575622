"""Codecs by name (entry points ``msroi.codecs``, see :mod:`msroi.plugins`), the default one,
and which of them the map steers."""

from __future__ import annotations

from msroi.plugins import Registry

CODEC_GROUP = "msroi.codecs"
#: The codec used where none is named: beats the better of mozjpeg and jpegli where people
#: look at equal bytes (README, "Results").
DEFAULT_METHOD = "rdq"
#: Codec classes (:class:`msroi.codecs.base.Codec`) by name.
CODECS = Registry(CODEC_GROUP, "codec")


def map_codecs() -> list[str]:
    """The codecs the importance map steers (msroi's methods).

    Returns
    -------
    list of str
        Names in :data:`CODECS`, sorted.
    """
    return [name for name in CODECS if CODECS[name].uses_map]


def peer_codecs() -> list[str]:
    """The map-blind codecs (the standard encoders every benchmark compares with).

    Returns
    -------
    list of str
        Names in :data:`CODECS`, sorted.
    """
    return [name for name in CODECS if not CODECS[name].uses_map]

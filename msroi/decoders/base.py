"""The decoder side: JPEG bytes -> RGB pixels, behind one interface.

Every file msroi writes is a standard JPEG; a :class:`Decoder` is what turns it back into
pixels for viewing and measuring. :class:`StandardDecoder` is the plain decode any viewer
does (libjpeg-turbo through Pillow); a learned post-filter plugs in as another decoder.
Decoders are found by name in :data:`DECODERS` (entry points
``msroi.decoders``); evaluation, the CLIC program and ``msroi decode`` go through them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from msroi.jpeg.standard import decode as decode_standard
from msroi.parallel import LOADED
from msroi.plugins import Registry

DECODER_GROUP = "msroi.decoders"


class Decoder(ABC):
    """Base class of decoders: ``decode(data)`` -> RGB uint8 (H, W, 3) at the file's size."""

    name: ClassVar[str]
    description: ClassVar[str] = ""

    @abstractmethod
    def decode(self, data: bytes) -> np.ndarray:
        """The pixels of a JPEG file.

        Parameters
        ----------
        data : bytes
            A JPEG file.

        Returns
        -------
        ndarray
            RGB uint8 (H, W, 3) at the file's size.
        """

    def options(self) -> dict:
        """The decoder's settings, for reports.

        Returns
        -------
        dict
            Settings by name.
        """
        return {}


class StandardDecoder(Decoder):
    """The plain decode (libjpeg-turbo through Pillow; grey and CMYK files come out RGB)."""

    name = "standard"
    description = "the plain decode any viewer does (libjpeg-turbo)"

    def decode(self, data: bytes) -> np.ndarray:
        return decode_standard(data)


#: Decoder classes (:class:`Decoder`) by name.
DECODERS = Registry(DECODER_GROUP, "decoder")


def get_decoder(decoder: Decoder | str | None = None) -> Decoder:
    """A decoder, by name or as given.

    Parameters
    ----------
    decoder : Decoder or str, optional
        A decoder (returned as it is) or a name in :data:`DECODERS` (default ``"standard"``).

    Returns
    -------
    Decoder
        A new decoder of the class registered under the name, with its defaults.
    """
    if isinstance(decoder, Decoder):
        return decoder
    return DECODERS.get_class(decoder or StandardDecoder.name)()


def shared_decoder(name: str = StandardDecoder.name) -> Decoder:
    """The decoder registered as ``name`` with its defaults, made once per process (a
    post-filter holds a network; :data:`msroi.parallel.LOADED`): what per-image jobs use.

    Parameters
    ----------
    name : str
        A name in :data:`DECODERS` (default ``"standard"``).

    Returns
    -------
    Decoder
        The same object for the same name within a process.
    """
    return LOADED.get(("decoder", name), lambda: get_decoder(name))

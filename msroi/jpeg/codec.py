"""The codec interface: strategies that turn (image, importance map) into JPEG bytes.

A codec is a family of files indexed by one quality knob: :meth:`Codec.prepare` does the
work that does not depend on the knob (once per image), :meth:`Codec.encode` makes the file
for one setting. Rate control (:mod:`msroi.rate`) searches the knob; codecs never see a
budget. Codecs are reachable by name from :data:`CODECS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np

CODECS: dict[str, type["Codec"]] = {}


def register(cls: type["Codec"]) -> type["Codec"]:
    CODECS[cls.name] = cls
    return cls


@dataclass
class CompressResult:
    """A compressed image. ``data``: the JPEG file; ``shape``: (H, W) of the image;
    ``report``: how it was made (method, quality, target, timings ...)."""

    data: bytes
    shape: tuple[int, int]
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def num_bytes(self) -> int:
        return len(self.data)

    @property
    def bpp(self) -> float:
        """Bits per pixel of the whole file, headers included."""
        return 8.0 * len(self.data) / (self.shape[0] * self.shape[1])


class Codec(ABC):
    """Base class of encoding strategies. Images are RGB uint8 (H, W, 3); importance maps
    float32 (H, W) in [0, 1]."""

    name: ClassVar[str]
    #: Range of the quality knob searched by rate control, lowest first.
    quality_range: ClassVar[tuple[int, int]] = (1, 100)

    @abstractmethod
    def prepare(self, image: np.ndarray, importance: np.ndarray) -> Any:
        """Work independent of the quality knob; the result is passed to :meth:`encode`."""

    @abstractmethod
    def encode(self, prepared: Any, quality: int, *, exif: bytes | None = None,
               icc_profile: bytes | None = None) -> bytes:
        """The JPEG file at one setting of the quality knob."""

    def options(self) -> dict[str, Any]:
        """The codec's settings, for reports."""
        return {}

    def size_model(self, prepared: Any, *, exif: bytes | None = None,
                   icc_profile: bytes | None = None) -> Callable[[int], int] | None:
        """The file's size (bytes) at each quality, computed without writing the file, so
        rate control searches in memory and writes once (None: it writes each try)."""
        return None

    def size_proxy(self, prepared: Any) -> Callable[[int], float] | None:
        """A cheap estimate of the file size (bytes) at each quality, which rate control
        uses to place its tries (None: plain bisection). Only the number of tries depends
        on it, never the size limit."""
        return None

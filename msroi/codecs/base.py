"""The codec interface: strategies that turn (image, importance map) into JPEG bytes.

A codec is a family of files indexed by one quality knob: :meth:`Codec.prepare` does the
work that does not depend on the knob (once per image) and returns an
:class:`EncoderState`, a context manager that releases what it holds; :meth:`Codec.encode`
makes the file for one setting. Rate control (:mod:`msroi.rate`) searches the knobs a codec
declares in :attr:`Codec.knobs`; codecs never see a budget.

Each codec declares its settings as a frozen dataclass (:class:`CodecSettings`): the fields
are the codec's keyword arguments, the fields of its report (``options()`` can be fed back
to the constructor) and, where a field carries ``help`` (see :func:`option`), an option of
``msroi compress``. Codecs are found by name in :data:`msroi.codecs.registry.CODECS`
(entry points, group ``msroi.codecs``): a new codec is one module and one line in
``pyproject.toml``.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np


def option(default: Any, help: str, *, choices: tuple | None = None,
           parse: Callable[[str], Any] | None = None) -> Any:
    """A settings field that is also a command-line option (``--name-with-dashes``).

    ``parse``: turns the option's text into the value (default: the type of ``default``;
    a bool default makes a flag that sets the opposite value); ``choices``: allowed values.
    """
    return field(default=default, metadata={"help": help, "choices": choices, "parse": parse})


@dataclass(frozen=True)
class CodecSettings:
    """A codec's settings; subclasses add fields (and check them in ``__post_init__``)."""

    def report(self) -> dict[str, Any]:
        """The settings as report fields (also the codec's keyword arguments)."""
        return dataclasses.asdict(self)

    @classmethod
    def command_line_fields(cls) -> list[dataclasses.Field]:
        """The fields that are command-line options (those declared with :func:`option`)."""
        return [f for f in dataclasses.fields(cls) if "help" in f.metadata]


class EncoderState:
    """What :meth:`Codec.prepare` computed for one image. Use it in a ``with`` block (or
    call :meth:`close`): leaving it releases caches and temporary files."""

    def close(self) -> None:
        """Releases what the state holds; encoding after it is an error of the caller."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class ImageState(EncoderState):
    """The state of codecs whose preparation is the image itself: RGB uint8 (H, W, 3)."""

    image: np.ndarray


@dataclass
class CompressResult:
    """A compressed image.

    Attributes
    ----------
    data : bytes
        The JPEG file.
    shape : tuple of int
        (H, W) of the image, in pixels.
    report : dict
        How it was made: method, quality, target bytes, bits per pixel, timings ...
    """

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
    float32 (H, W) in [0, 1].

    ``Codec(settings)`` or ``Codec(**fields)`` (fields of :attr:`Settings`, overriding
    ``settings`` where both are given).
    """

    name: ClassVar[str]
    #: One line for ``--help`` and listings.
    description: ClassVar[str] = ""
    #: The settings dataclass.
    Settings: ClassVar[type[CodecSettings]] = CodecSettings
    #: Range of the quality knob searched by rate control, lowest first.
    quality_range: ClassVar[tuple[int, int]] = (1, 100)
    #: The knobs rate control searches: always "quality"; "strength" where the codec can
    #: fill the gap between two qualities by how much the map moves bytes (:meth:`scaled_size`,
    #: searched by :func:`msroi.rate.refine`).
    knobs: ClassVar[tuple[str, ...]] = ("quality",)
    #: Whether the importance map changes the file (False: a map-blind peer).
    uses_map: ClassVar[bool] = True

    def __init__(self, settings: CodecSettings | None = None, **fields):
        settings = settings if settings is not None else self.Settings()
        if not isinstance(settings, self.Settings):
            raise TypeError(f"codec {self.name} takes {self.Settings.__name__}, "
                            f"got {type(settings).__name__}")
        known = {f.name for f in dataclasses.fields(self.Settings)}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise TypeError(f"codec {self.name} has no setting {', '.join(unknown)} "
                            f"(settings: {', '.join(sorted(known)) or 'none'})")
        self.settings = dataclasses.replace(settings, **fields)

    def options(self) -> dict[str, Any]:
        """The codec's settings, for reports.

        Returns
        -------
        dict
            Settings by name; ``type(codec)(**codec.options())`` rebuilds the codec.
        """
        return self.settings.report()

    def distortion_weights(self, importance: np.ndarray) -> np.ndarray:
        """How much the codec weighs an error at each pixel, given the map: what "quality where
        the map looks" measures with. Default: the map itself.

        Parameters
        ----------
        importance : ndarray
            The map, float32 (H, W) in [0, 1].

        Returns
        -------
        ndarray
            float64 (H, W), any non-negative scale.
        """
        return np.asarray(importance, np.float64)

    @abstractmethod
    def prepare(self, image: np.ndarray, importance: np.ndarray) -> EncoderState:
        """The work that does not depend on the quality knob, done once per image.

        Parameters
        ----------
        image : ndarray
            RGB uint8 (H, W, 3).
        importance : ndarray
            The map, float32 (H, W) in [0, 1].

        Returns
        -------
        EncoderState
            What :meth:`encode` needs; close it (or use it in a ``with`` block) when done.
        """

    @abstractmethod
    def encode(self, state: EncoderState, quality: int, *, exif: bytes | None = None,
               icc_profile: bytes | None = None) -> bytes:
        """The JPEG file at one setting of the quality knob.

        Parameters
        ----------
        state : EncoderState
            From :meth:`prepare`.
        quality : int
            In :attr:`quality_range`.
        exif, icc_profile : bytes, optional
            Metadata written into the file.

        Returns
        -------
        bytes
            A baseline JPEG file any decoder reads.
        """

    def scaled_size(self, state: EncoderState, quality: int, scale: float = 1.0) -> int:
        """The second knob (codecs with "strength" in :attr:`knobs`): the expected size with the
        map's effect scaled (the codec's ``encode`` takes ``scale=`` too).
        :func:`msroi.rate.refine` searches it; codecs never see a budget.

        Parameters
        ----------
        state : EncoderState
            From :meth:`prepare`.
        quality : int
            In :attr:`quality_range`.
        scale : float
            The map's effect, 1 as the settings say.

        Returns
        -------
        int
            Expected bytes.
        """
        raise NotImplementedError(f"codec {self.name} has no second knob")

    def size_model(self, state: EncoderState, *, exif: bytes | None = None,
                   icc_profile: bytes | None = None) -> Callable[[int], int] | None:
        """The file's size at each quality, computed without writing the file, so rate control
        searches in memory and writes once.

        Parameters
        ----------
        state : EncoderState
            From :meth:`prepare`.
        exif, icc_profile : bytes, optional
            The metadata the file will carry (its bytes count).

        Returns
        -------
        callable or None
            quality -> bytes; None where the codec has no model (rate control writes each try).
        """
        return None

    def size_proxy(self, state: EncoderState) -> Callable[[int], float] | None:
        """A cheap estimate of the file size at each quality, which rate control uses to place its
        tries. Only the number of tries depends on it, never the size limit.

        Parameters
        ----------
        state : EncoderState
            From :meth:`prepare`.

        Returns
        -------
        callable or None
            quality -> estimated bytes; None: plain bisection.
        """
        return None

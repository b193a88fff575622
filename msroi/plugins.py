"""Classes by name from Python entry points: the one mechanism behind the codec and decoder
registries (:data:`msroi.codecs.CODECS`, :data:`msroi.decoders.DECODERS`).

An installed package declares them in its ``pyproject.toml``::

    [project.entry-points."msroi.codecs"]
    rdq = "msroi.codecs.rdq:RDQuantiserCodec"

    [project.entry-points."msroi.decoders"]
    standard = "msroi.decoders.base:StandardDecoder"

so a new codec (or decoder) is one module plus one line, here or in another package.
Names are listed without importing anything (``msroi --help`` stays fast); a class is
imported the first time it is looked up.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any, Iterator

from msroi.errors import InvalidArgumentError, MsroiError


class Registry(Mapping):
    """A read-only mapping name -> class over one entry-point group, loaded on first use."""

    def __init__(self, group: str, kind: str):
        self.group = group
        self.kind = kind
        self._loaded: dict[str, Any] = {}
        self._found: dict | None = None

    def _entries(self) -> dict:
        # read once per process: every installed distribution's metadata is scanned
        if self._found is None:
            entries = {e.name: e for e in entry_points(group=self.group)}
            if not entries:
                raise MsroiError(f"no {self.kind}s registered (entry points '{self.group}'): "
                                 "msroi is not installed; run pip install -e . in the source tree")
            self._found = entries
        return self._found

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            entries = self._entries()
            if name not in entries:
                raise KeyError(name)
            self._loaded[name] = entries[name].load()
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries()))

    def __len__(self) -> int:
        return len(self._entries())

    def get_class(self, name: str) -> Any:
        """The class registered as ``name``; ValueError naming the choices otherwise."""
        try:
            return self[name]
        except KeyError:
            raise InvalidArgumentError(f"unknown {self.kind} '{name}' (choose from {', '.join(self)})") from None

"""Names chosen from a fixed set, and the older spellings still read.

Some settings were once called by a word that meant something else elsewhere ("paper" was
a codec, a metric protocol, a map combiner and an optimiser). Each now has one name; the
old one is still accepted where a user may have written it (a script, a config file), so
nothing a user wrote stops working.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from msroi.errors import InvalidArgumentError


def canonical(name: str, choices: Iterable[str], *, kind: str,
              renamed: Mapping[str, str] | None = None) -> str:
    """``name`` itself when it is one of ``choices``, the new name of an old spelling in
    ``renamed``; :class:`InvalidArgumentError` naming the choices otherwise."""
    choices = list(choices)
    name = (renamed or {}).get(name, name)
    if name not in choices:
        raise InvalidArgumentError(f"unknown {kind} '{name}' (choose from {', '.join(choices)})")
    return name

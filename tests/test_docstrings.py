"""The public API's docstrings in one structured style (numpydoc): a function names each
parameter under "Parameters" and what it gives under "Returns"; a result class names its
fields under "Attributes". Shapes and units are in those entries."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re

import pytest

#: The public API: what ``import msroi`` offers, and the pipeline's packages users call.
PUBLIC = ["msroi", "msroi.rate", "msroi.codecs", "msroi.decoders", "msroi.metrics"]
EXTRA = ["msroi.maps.generate_map", "msroi.maps.semantic_map", "msroi.maps.overlay",
         "msroi.io.load_image", "msroi.io.read_image", "msroi.maps.SemanticMap",
         "msroi.io.LoadedImage"]


def public_objects() -> dict[str, object]:
    found = {}
    for module_name in PUBLIC:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isfunction(value) or (inspect.isclass(value) and dataclasses.is_dataclass(value)):
                found[f"{value.__module__}.{value.__qualname__}"] = value
            elif inspect.isclass(value):  # an interface (Codec, Decoder): its documented methods
                for method in vars(value).values():
                    if inspect.isfunction(method) and not method.__name__.startswith("_") and method.__doc__:
                        found[f"{value.__module__}.{method.__qualname__}"] = method
    for dotted in EXTRA:
        module_name, _, name = dotted.rpartition(".")
        value = getattr(importlib.import_module(module_name), name)
        found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def section(doc: str, title: str) -> str | None:
    """The text of a numpydoc section (title, dashes underneath), or None."""
    match = re.search(rf"^{title}\n-{{{len(title)}}}\n(.*?)(?=^\w[\w ]*\n-+\n|\Z)", doc, re.M | re.S)
    return match.group(1) if match else None


def named(entries: str) -> set[str]:
    """The names an entries block documents (``a, b : type`` and ``**options`` lines)."""
    names = set()
    for line in entries.splitlines():
        if line and not line.startswith(" "):
            names.update(n.strip() for n in line.split(" : ")[0].split(","))
    return names


def problems(value) -> list[str]:
    doc = inspect.getdoc(value) or ""
    if inspect.isclass(value):
        fields = {f.name for f in dataclasses.fields(value)}
        attributes = section(doc, "Attributes")
        return [] if not fields or (attributes is not None and fields <= named(attributes)) else [
            f"Attributes should name {sorted(fields)}"]
    found = []
    signature = inspect.signature(value)
    wanted = {("**" if p.kind is p.VAR_KEYWORD else "") + name for name, p in signature.parameters.items()
              if name not in ("self", "cls")}
    parameters = section(doc, "Parameters")
    if wanted and (parameters is None or not wanted <= named(parameters)):
        found.append(f"Parameters should name {sorted(wanted)}")
    if signature.return_annotation not in ("None", None) and section(doc, "Returns") is None:
        found.append("no Returns section")
    return found


@pytest.mark.parametrize("name, value", sorted(public_objects().items()))
def test_public_docstrings_are_structured(name, value):
    assert problems(value) == []


def test_the_check_sees_a_missing_parameter_and_section():
    def documented(image, *, alpha=0.4):
        """Blends.

        Parameters
        ----------
        image : ndarray
            RGB uint8 (H, W, 3).

        Returns
        -------
        ndarray
            The same shape.
        """

    def bare(x) -> int:
        """Does a thing with ``x``."""

    assert problems(documented) == ["Parameters should name ['alpha', 'image']"]
    assert problems(bare) == ["Parameters should name ['x']", "no Returns section"]
    assert len(public_objects()) > 25

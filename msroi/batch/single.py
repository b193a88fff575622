"""One file (or standard input) to one file (or standard output): the map, the compressed
JPEG, the decoded PNG. The same rules as a folder run: every target checked before any
work (never an input, never a file msroi may not replace), written atomically."""

from __future__ import annotations

import os
from pathlib import Path

from msroi import io
from msroi.batch.job import CompressSettings, compress_file
from msroi.errors import MsroiError


def map_file(source: str, output: str, *, overlay: str | None = None, fixations: str | None = None,
             model: str | None = None, map_options: dict | None = None, overwrite: bool = False,
             accept_damaged: bool = False):
    """Writes the importance map of the photo ``source`` to ``output`` (8-bit grey PNG) and,
    with ``overlay``, the jet heatmap over the photo (RGB PNG; with ``fixations``, a
    fixations.csv of the shared layout, where this photo's viewers looked drawn on it).
    ``-`` is standard input / output. Returns the :class:`msroi.maps.SemanticMap`."""
    from msroi.arrays import map_to_uint8
    from msroi.maps import overlay as draw_overlay
    from msroi.maps import semantic_map

    outputs = [output] + ([overlay] if overlay else [])
    if len({os.path.abspath(o) for o in outputs}) < len(outputs):
        raise MsroiError(f"{output}: the map and the overlay need different files")
    for target in outputs:
        io.check_target(target, inputs=[source], overwrite=overwrite)
    name, data = io.read_source(source)
    image = io.load_image(name, data=data, accept_damaged=accept_damaged).pixels
    made = semantic_map(image, model, **(map_options or {}))
    io.write_target(output, io.encode_png(map_to_uint8(made.map)), overwrite=overwrite)
    if overlay:
        points = None
        if fixations:
            from msroi.fixations import FixationSet

            points = FixationSet(fixations, images=Path(source).parent).photo(Path(source).name).fixations
        io.write_target(overlay, io.encode_png(draw_overlay(image, made.map, fixations=points)),
                        overwrite=overwrite)
    return made


def compress_stream(settings: CompressSettings, source: str, output: str, *,
                    overwrite: bool = False) -> dict:
    """Compresses one file or standard input (``-``, any format Pillow reads) to one file
    or standard output; returns the job's report row (``output`` set)."""
    io.check_target(output, inputs=[source, settings.importance_file], overwrite=overwrite)
    name, data = io.read_source(source)
    result = compress_file(settings, name, data)
    if result.error:
        raise MsroiError(result.error)
    io.write_target(output, result.data, overwrite=overwrite)
    return {**result.row, "output": output}


def decode_stream(source: str, output: str, decoder: str = "standard", *, overwrite: bool = False,
                  accept_damaged: bool = False) -> None:
    """Decodes one JPEG file or standard input to one PNG file or standard output."""
    from msroi.batch.decode import decode_one
    from msroi.decoders import get_decoder

    io.check_target(output, inputs=[source], overwrite=overwrite)
    name, data = io.read_source(source)
    png = decode_one(data, name, get_decoder(decoder), accept_damaged=accept_damaged)
    io.write_target(output, png, overwrite=overwrite)

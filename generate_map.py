"""The paper's generate_map.py: ``python generate_map.py IMAGE``.

Writes ``output/msroi_map.jpg`` (the map as the paper's combine_images.py reads it by
default), ``output/msroi_map.png`` (the same map, lossless) and
``output/overlayed_heatmap.png`` (jet heatmap blended with the photo), and prints the
top-k classes. Unlike the original, the whole image is mapped (no 224x224 centre crop) and
the map has the image's size.
"""

from __future__ import annotations

import io as _io
import sys
from pathlib import Path
from typing import Sequence

from PIL import Image

from msroi.errors import MsroiError
from msroi.maps import MAP_RECIPES


def main(argv: Sequence[str] | None = None) -> int:
    from msroi.cli.options import OneLineParser, int_in_range

    parser = OneLineParser(prog="generate_map.py",
                           description="Write the MSROI map of an image (paper's program).")
    parser.add_argument("image")
    parser.add_argument("-output_directory", "--output-directory", default="output")
    parser.add_argument("-model", "--model", default=None, help="map model preset (default: the default)")
    parser.add_argument("-top_k", "--top-k", type=int_in_range(1), default=5)
    parser.add_argument("-recipe", "--recipe", "-method", "--method", dest="recipe",
                        choices=MAP_RECIPES, default=None,
                        help="fused (default for the shipped model), energy, or cam (the "
                             "paper's class activation maps); see 'msroi map --help'")
    args = parser.parse_args(argv)

    from msroi import io, maps
    from msroi.arrays import map_to_uint8

    try:
        image = io.read_image(args.image)
        made = maps.semantic_map(image, args.model, top_k=args.top_k, recipe=args.recipe)
    except MsroiError as exc:
        print(f"generate_map.py: error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.output_directory)
    grey = map_to_uint8(made.map)
    buffer = _io.BytesIO()
    Image.fromarray(grey).save(buffer, format="JPEG", quality=95)
    io.write_bytes_atomic(out / "msroi_map.jpg", buffer.getvalue())
    io.save_png(out / "msroi_map.png", grey)
    io.save_png(out / "overlayed_heatmap.png", maps.overlay(image, made.map))
    for index, name, probability in made.classes:
        print(f"{probability:8.4f}  {index:4d}  {name}")
    print(f"wrote {out / 'msroi_map.jpg'}, {out / 'msroi_map.png'}, {out / 'overlayed_heatmap.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

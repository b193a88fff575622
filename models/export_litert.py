"""Reproduces the presets' LiteRT exports (map.tflite + map_head.npz) from their Keras weights.

    python models/export_litert.py                 # the default map model
    python models/export_litert.py mobilenet_v2 vgg16_msroi

Needs TensorFlow (the converter); the exported files run without it (msroi.runtime).
"""

from __future__ import annotations

import argparse
import sys

from msroi.quiet import import_tensorflow


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", default=["mobilenet_v2"])
    args = parser.parse_args(argv)
    import_tensorflow()
    from msroi.presets import write_litert

    for name in args.presets:
        print(f"exported {write_litert(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

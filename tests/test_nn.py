import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from msroi.errors import ModelError
from msroi.nn import vgg16_msroi
from msroi.nn.preprocessing import ImageNormalization
from msroi.nn.weights import assign_weights, model_weights, read_weights, write_weights
from msroi import presets

DATA = Path(__file__).parent / "data"

# Weight shapes of the paper's network, from CNNParams.get_layer_shapes() in params.py of
# github.com/iamaaditya/image-compression-cnn (conv filters 64..512, depth 32, last 1024,
# n_labels 257 for Caltech-256), written in Keras' HWIO order.
PAPER_SHAPES = {
    "block1_conv1": [(3, 3, 3, 64), (64,)], "block1_conv2": [(3, 3, 64, 64), (64,)],
    "block2_conv1": [(3, 3, 64, 128), (128,)], "block2_conv2": [(3, 3, 128, 128), (128,)],
    "block3_conv1": [(3, 3, 128, 256), (256,)], "block3_conv2": [(3, 3, 256, 256), (256,)],
    "block3_conv3": [(3, 3, 256, 256), (256,)], "block4_conv1": [(3, 3, 256, 512), (512,)],
    "block4_conv2": [(3, 3, 512, 512), (512,)], "block4_conv3": [(3, 3, 512, 512), (512,)],
    "block5_conv1": [(3, 3, 512, 512), (512,)], "block5_conv2": [(3, 3, 512, 512), (512,)],
    "block5_conv3": [(3, 3, 512, 512), (512,)],
    "conv6_1": [(3, 3, 512, 32), (32,)],
    "depth": [(3, 3, 32, 32), (1024,)],  # depthwise, multiplier 32: 32 -> 1024 channels
    "conv6": [(3, 3, 1024, 1024), (1024,)],
    "classifier": [(1024, 257)],  # GAP/W, no bias
}


@pytest.fixture(scope="module")
def paper_net():
    return vgg16_msroi(num_classes=257)


def test_vgg16_msroi_layers_match_the_paper(paper_net):
    shapes = {l.name: [tuple(w.shape) for w in l.weights] for l in paper_net.layers if l.weights}
    assert shapes == PAPER_SHAPES
    expected = sum(int(np.prod(s)) for v in PAPER_SHAPES.values() for s in v)
    assert expected == 24_573_792
    assert paper_net.count_params() == expected


@pytest.mark.parametrize("size,grid", [((224, 224), (14, 14)), ((100, 150), (6, 9))])
def test_vgg16_msroi_is_fully_convolutional(paper_net, size, grid):
    out = paper_net(np.zeros((1, *size, 3), np.float32), training=False)
    assert tuple(out["features"].shape) == (1, *grid, 1024)
    assert tuple(out["logits"].shape) == (1, 257)


def test_vgg16_backbone_preset_loads_pristine_weights():
    config, weights = presets.read_preset_weights("vgg16_imagenet")
    assert config["kind"] == "backbone" and len(weights) == 13
    assert all(Path(config["directory"], n).stat().st_size <= 25_000_000
               for n in config["weights"])
    net = presets.vgg16_msroi_from_imagenet(num_classes=10)
    kernel = net.get_layer("block1_conv1").kernel.numpy()
    np.testing.assert_array_equal(kernel, weights["block1_conv1"][0].astype(np.float32))
    # First-layer filters of ImageNet VGG16 are not random: bounded and non-zero.
    assert 0.1 < np.abs(kernel).max() < 1.5


def _reference_input(photo: str) -> np.ndarray:
    # The recipe recorded in tests/data/mobilenet_v2_reference.json ("input").
    import skimage.data

    rgb = getattr(skimage.data, photo)()
    return np.asarray(Image.fromarray(rgb).resize((224, 224), Image.BICUBIC), np.float32) / 255.0


def test_mobilenet_v2_port_matches_torch_reference(classifier):
    reference = json.loads((DATA / "mobilenet_v2_reference.json").read_text())
    assert len(reference["images"]) == 3
    for entry in reference["images"]:
        photo = entry["photo"].split(".")[-1].rstrip("()")
        _, probabilities = classifier.predict(_reference_input(photo)[None])
        top5 = np.argsort(-probabilities[0])[:5]
        assert top5.tolist() == entry["top5"], photo
        # Float32 CPU arithmetic in a different order: agreement to 1e-4 is a faithful port.
        np.testing.assert_allclose(probabilities[0][top5], entry["probabilities"], atol=1e-4)


def test_class_maps_average_to_the_logits(classifier, cat):
    # GAP + dense are linear, so the spatial mean of a CAM plus the bias is the logit.
    image = cat.astype(np.float32)[None] / 255.0
    features, probabilities = classifier.predict(image)
    cams = classifier.class_maps(features, np.arange(5)[None])
    bias = classifier.network.get_layer("classifier").bias.numpy()[:5]
    logits = np.log(probabilities[0]) - np.log(probabilities[0]).max()
    from_cams = cams[0].mean(axis=(0, 1)) + bias
    full = features[0].mean(axis=(0, 1)) @ classifier.kernel + classifier.network.get_layer(
        "classifier").bias.numpy()
    np.testing.assert_allclose(from_cams, full[:5], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(full - full.max(), logits + 0, atol=2e-3)


def test_classes_are_named(classifier):
    assert classifier.num_classes == 1000 and len(classifier.classes) == 1000
    assert classifier.class_name(285) == "Egyptian cat"


def test_normalization_config_round_trip():
    layer = ImageNormalization(mean=(1, 2, 3), std=(4, 5, 6), scale=255, bgr=True)
    clone = ImageNormalization.from_config(layer.get_config())
    x = np.random.default_rng(0).random((1, 2, 2, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(clone(x)), np.asarray(layer(x)))
    np.testing.assert_allclose(np.asarray(layer(x))[..., 0], (x[..., 2] * 255 - 1) / 4, rtol=1e-6)


def test_weight_shards_round_trip_in_float16(tmp_path):
    net = vgg16_msroi(num_classes=3, head_filters=4, depth_multiplier=2, feature_channels=8)
    weights = model_weights(net)
    names = write_weights(weights, tmp_path, dtype="float16", max_shard_bytes=2_000_000)
    assert len(names) > 1
    back = read_weights(tmp_path / n for n in names)
    assert set(back) == set(weights)
    for name in weights:
        for a, b in zip(weights[name], back[name]):
            assert b.dtype == np.float16
            np.testing.assert_allclose(b.astype(np.float32), a, rtol=1e-3, atol=1e-4)
    assert assign_weights(net, back) == []


def test_preset_integrity_and_unknown_names(tmp_path):
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        presets.load_model("nope")
    preset = presets.preset_directory("mobilenet_v2")
    copy = tmp_path / "broken"
    copy.mkdir()
    for f in preset.iterdir():
        if f.suffix in (".json", ".h5"):
            (copy / f.name).write_bytes(f.read_bytes())
    with open(copy / "weights.h5", "r+b") as f:
        f.seek(-100, 2)
        f.write(b"\0" * 50)
    with pytest.raises(ModelError, match="sha256"):
        presets.load_model(copy)
    with pytest.raises(ModelError, match="not a classifier"):
        presets.load_model("vgg16_imagenet")


def test_shipped_vgg16_msroi_loads_and_maps_the_object():
    """models/vgg16_msroi: head-only preset on the vgg16_imagenet backbone, sha256-checked."""
    from test_maps import _scene

    from msroi import maps
    from msroi.metrics import map_auc

    student = presets.load_model("vgg16_msroi")
    assert student.num_classes == 1000 and student.stride == 16 and student.cue_layers
    assert student.class_name(285) == "Egyptian cat"
    scene, mask = _scene(20, 20)
    made = maps.semantic_map(scene, student)
    assert made.recipe == "fused" and made.map.shape == mask.shape
    assert map_auc(made.map, mask) > 0.9  # measured 0.99

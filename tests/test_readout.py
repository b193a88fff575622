"""The fixation readout: the NumPy forward pass against the TensorFlow one it was trained
with, training end to end on photos the test makes (loss falls, resume, preset loads), and
the shipped default map on a synthetic scene."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from PIL import Image

from msroi.maps.readout import FixationReadout, blur, gaussian_kernel, resize_bilinear


def test_resize_bilinear_matches_tensorflow():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    values = rng.normal(size=(5, 7, 3)).astype(np.float32)
    for shape in [(10, 14), (48, 64), (7, 7), (5, 7)]:
        expected = tf.image.resize(values[None], shape, "bilinear")[0].numpy()
        assert np.allclose(resize_bilinear(values, shape), expected, atol=1e-5)


def test_blur_keeps_mass_and_mirrors_edges():
    values = np.zeros((20, 30))
    values[10, 15] = 1.0
    blurred = blur(values, 2.0, 8)
    assert blurred.sum() == pytest.approx(1.0) and blurred.argmax() == 10 * 30 + 15
    assert gaussian_kernel(1.0, 3).sum() == pytest.approx(1.0)
    assert np.allclose(blur(np.ones((6, 9)), 3.0, 8), 1.0)  # mirrored edges: no darkening


def _example(rng, grid=(12, 16), channels=6):
    from msroi.training.readout import Example

    inputs = rng.normal(size=(grid[0] // 2, grid[1] // 2, channels)).astype(np.float32)
    fused = rng.uniform(size=grid).astype(np.float32)
    counts = rng.poisson(0.3, grid).astype(np.float32)
    counts[3, 4] += 1
    return Example(inputs, fused, counts, float(fused.mean()), "x")


def test_numpy_forward_equals_the_trained_tensorflow_one():
    pytest.importorskip("tensorflow")
    from msroi.training.readout import ReadoutConfig, _TrainableReadout, mean_nll

    rng = np.random.default_rng(1)
    example = _example(rng)
    model = _TrainableReadout(6, ReadoutConfig(hidden=4, seed=3), np.zeros(6), np.ones(6))
    model.centre.assign(rng.normal(size=(8, 8)).astype(np.float32))
    model.fused_weight.assign(0.7)
    expected = model.log_density(example.inputs, example.fused_grid).numpy()
    frozen = model.frozen()
    got = frozen.log_density(example.inputs, example.fused_grid)
    assert np.abs(got - expected).max() < 1e-4
    assert np.exp(got).sum() == pytest.approx(1.0)
    assert mean_nll(frozen, [example]) == pytest.approx(float(model.loss(example, training=False)),
                                                        abs=1e-4)
    loaded = FixationReadout.load(io.BytesIO(frozen.to_bytes()))
    assert np.array_equal(loaded.log_density(example.inputs, example.fused_grid), got)


def _fixation_set(root, count: int, seed: int):
    """Photos with one bright square on textured grey; viewers look at the square."""
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True)
    rows = ["image,subject,x,y,duration_ms"]
    for i in range(count):
        image = rng.normal(110, 20, (96, 128, 3))
        x, y = rng.integers(10, 90), rng.integers(10, 60)
        image[y:y + 24, x:x + 24] = (230, 60, 40)
        Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(root / "images" / f"{i}.png")
        for subject in range(4):
            for fx, fy in rng.normal([x + 12, y + 12], 4, (3, 2)):
                rows.append(f"{i}.png,{subject},{fx:.1f},{fy:.1f},200")
    (root / "fixations.csv").write_text("\n".join(rows) + "\n")
    return root


def test_training_end_to_end_loss_falls_resumes_and_the_preset_loads(tmp_path):
    pytest.importorskip("tensorflow")
    from msroi import cli, maps

    data = _fixation_set(tmp_path / "set", 10, seed=0)
    out = tmp_path / "run"
    argv = ["train-readout", str(data), "--out", str(out), "--epochs", "3", "-q"]
    assert cli.main(argv) == 0
    with open(out / "log.csv") as f:
        log = list(csv.DictReader(f))
    assert len(log) == 3 and float(log[-1]["train_nll"]) < float(log[0]["train_nll"])
    assert cli.main(argv[:-2] + ["5", "-q"]) == 0  # resume: two more epochs, not five
    with open(out / "log.csv") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [1, 2, 3, 4, 5]
    preset = out / "preset"
    config = json.loads((preset / "config.json").read_text())
    assert config["map"]["readout"] == "fixation_readout.npz"
    metadata = json.loads((preset / "metadata.json").read_text())
    assert metadata["fixation_readout"]["validation_photos"] == 2
    image = np.asarray(Image.open(data / "images" / "0.png"))
    made = maps.semantic_map(image, str(preset))
    assert made.recipe == "fixations" and made.map.shape == image.shape[:2]
    assert made.map.dtype == np.float32 and 0 <= made.map.min() and made.map.max() <= 1
    assert cli.main(["train-readout", str(tmp_path / "kodak"), "--out", str(tmp_path / "r2"), "-q"]) == 2


def test_shipped_default_map_peaks_on_a_face_like_patch():
    from msroi import maps

    network = maps.resolve_model(None)
    if maps.default_recipe(network) != "fixations":
        pytest.skip("the default model ships no fixation readout")
    rng = np.random.default_rng(2)
    image = np.clip(rng.normal(120, 12, (240, 320, 3)), 0, 255).astype(np.uint8)
    yy, xx = np.mgrid[0:240, 0:320]
    face = ((yy - 80) / 30) ** 2 + ((xx - 230) / 22) ** 2 < 1  # a skin-toned oval off centre
    image[face] = (224, 172, 140)
    for ex in (218, 242):  # eyes and a mouth
        image[(yy - 72) ** 2 + (xx - ex) ** 2 < 16] = (40, 30, 30)
    image[(np.abs(yy - 98) < 3) & (np.abs(xx - 230) < 9)] = (150, 60, 60)
    importance = maps.generate_map(image)
    # measured: 0.93 on the face, 0.51 elsewhere; the top 1% of the map lies on the face
    assert importance[face].mean() > 1.6 * importance[~face].mean()
    top = importance >= np.quantile(importance, 0.99)
    assert (top & face).sum() > 0.8 * top.sum()

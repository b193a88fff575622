import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from msroi.errors import MsroiError
from msroi.training.data import check_files, holdout_split, load_samples, read_manifest, scan_folder
from msroi.training.fit import TrainConfig, train

COLOURS = {"n00000001": (200, 40, 40), "n00000002": (40, 180, 60), "n00000003": (40, 60, 200)}


def make_dataset(root: Path, per_class: int = 24, size: int = 48, bad: int = 0) -> Path:
    """Three classes of noisy colour fields (red, green, blue), ImageNet folder layout."""
    rng = np.random.default_rng(0)
    for folder, colour in COLOURS.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = np.clip(rng.normal(colour, 40, (size, size, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / folder / f"{i:02d}.png")
    for i in range(bad):  # sorted among the first files: they land in the training split
        (root / "n00000001" / f"00_bad{i}.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    return root


def tiny_config(data: Path, out: Path, **overrides) -> TrainConfig:
    values = dict(data=str(data), out=str(out), image_size=48, batch_size=8, epochs=3,
                  holdout_per_class=6, optimiser="modern")
    values.update(overrides)
    return TrainConfig(**values)


def test_folder_layouts_and_manifest(tmp_path):
    imagenet = make_dataset(tmp_path / "imagenet", per_class=3)
    samples = scan_folder(imagenet)
    assert samples.classes == sorted(COLOURS) and len(samples) == 9
    assert samples.labels == [0, 0, 0, 1, 1, 1, 2, 2, 2]

    caltech = tmp_path / "caltech"
    for folder in ("001.ak47", "002.american-flag", "257.clutter"):
        (caltech / folder).mkdir(parents=True)
        for i in range(12):
            Image.new("RGB", (8, 8)).save(caltech / folder / f"{folder[:3]}_{i:04d}.jpg")
    samples = scan_folder(caltech)
    assert samples.names == ["ak47", "american-flag", "clutter"]
    train_part, val_part = holdout_split(samples, 10)
    assert len(train_part) == 6 and len(val_part) == 30  # the paper: last 10 of each class
    assert all(p.endswith(("_0002.jpg", "_0003.jpg", "_0004.jpg", "_0005.jpg", "_0006.jpg",
                           "_0007.jpg", "_0008.jpg", "_0009.jpg", "_0010.jpg", "_0011.jpg"))
               for p in val_part.paths)

    manifest = tmp_path / "list.csv"
    pd.DataFrame({"path": ["imagenet/n00000001/00.png", str(imagenet / "n00000002/01.png")],
                  "label": ["cat", "dog"]}).to_csv(manifest, index=False)
    samples = read_manifest(manifest)
    assert samples.classes == ["cat", "dog"] and samples.labels == [0, 1]
    assert Path(samples.paths[0]).is_file()
    assert load_samples(manifest).paths == samples.paths
    with pytest.raises(MsroiError, match="no class folders"):
        scan_folder(imagenet / "n00000001")


@pytest.mark.slow
def test_tiny_dataset_trains_well_above_chance_and_skips_bad_files(tmp_path):
    data = make_dataset(tmp_path / "data", bad=2)
    _, bad = check_files(load_samples(data), progress=False)
    assert len(bad) == 2
    result = train(tiny_config(data, tmp_path / "run"), verbose=0)
    assert result.skipped_files == 2
    assert (tmp_path / "run" / "skipped_files.txt").read_text().count("_bad") == 2
    assert result.history["val_top1"][-1] > 0.6  # chance is 1/3
    assert (tmp_path / "run" / "log.csv").is_file()
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())[-1] == "epoch-003.weights.h5"
    from msroi import presets

    classifier = presets.load_model(result.preset)
    assert classifier.classes == sorted(COLOURS) and classifier.stride == 16
    # The float16 preset scores what the run reported on the same validation images.
    from msroi.training.data import make_dataset as pipeline

    _, val = holdout_split(check_files(load_samples(data), progress=False)[0], 6)
    images, labels = next(iter(pipeline(val, training=False, image_size=48, batch_size=64)))
    _, probabilities = classifier.predict(images.numpy())
    accuracy = float((probabilities.argmax(axis=1) == labels.numpy()).mean())
    assert abs(accuracy - result.history["val_top1"][-1]) <= 1 / 18 + 1e-6
    # A later run can start from this preset instead of from scratch.
    # (a negligible learning rate keeps the weights where they start)
    again = train(tiny_config(data, tmp_path / "run2", epochs=1, init_from=result.preset,
                              learning_rate=1e-9), verbose=0)
    assert abs(again.history["val_top1"][0] - result.history["val_top1"][-1]) <= 1 / 18 + 1e-6


class _Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt("simulated interruption after the second epoch")


@pytest.mark.slow
def test_resume_continues_from_the_saved_epoch_with_optimizer_state(tmp_path):
    data = make_dataset(tmp_path / "data")
    config = tiny_config(data, tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        train(config, verbose=0, callbacks=[_Interrupt()])
    assert (tmp_path / "run" / "backup").is_dir()
    result = train(config, verbose=0)
    reference = train(tiny_config(data, tmp_path / "uninterrupted"), verbose=0)
    log = pd.read_csv(tmp_path / "run" / "log.csv")
    assert log.epoch.tolist() == [0, 1, 2]  # epoch 0 from the first run, then resumed at 1
    assert len(result.history["loss"]) == 2  # only the two remaining epochs ran
    # Adam's step counter carried over: as many steps as an uninterrupted 3-epoch run.
    assert result.optimizer_steps == reference.optimizer_steps > 0
    assert not (tmp_path / "run" / "backup").exists()


@pytest.mark.slow
def test_two_logical_devices_run_a_mirrored_step(tmp_path):
    data = make_dataset(tmp_path / "data", per_class=8)
    script = f"""
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from msroi.training.fit import TrainConfig, train
result = train(TrainConfig(data={str(data)!r}, out={str(tmp_path / 'run')!r}, image_size=32,
                           batch_size=4, epochs=1, steps_per_epoch=2, holdout_per_class=2,
                           strategy="mirrored"), verbose=0)
print("REPLICAS", result.replicas, "STEPS", result.optimizer_steps)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=600, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "REPLICAS 2 STEPS 2" in done.stdout


def make_photos(root: Path) -> Path:
    """Unlabelled photos: 16 crops of scikit-image pictures, 64 px, in one folder."""
    import skimage.data

    folder = root / "all"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for n, name in enumerate(("chelsea", "astronaut", "coffee", "rocket")):
        rgb = getattr(skimage.data, name)()
        for i in range(4):
            y, x = rng.integers(0, rgb.shape[0] - 128), rng.integers(0, rgb.shape[1] - 128)
            Image.fromarray(rgb[y:y + 128, x:x + 128]).resize((64, 64)).save(folder / f"{n}{i}.png")
    return root


def distill_config(data: Path, out: Path, **overrides) -> TrainConfig:
    values = dict(data=str(data), out=str(out), distill_from="mobilenet_v2", image_size=64,
                  batch_size=4, epochs=6, holdout_per_class=4, optimiser="modern", learning_rate=1e-4,
                  map_weight=0.5, dropout=0.0)
    values.update(overrides)
    return TrainConfig(**values)


def kl_to_teacher(student, photos: np.ndarray) -> float:
    """Mean KL(teacher || student) at T = 4 on RGB [0, 1] photos (B, H, W, 3)."""
    from msroi import presets

    t = presets.load_model("mobilenet_v2").network(photos, training=False)["logits"].numpy() / 4
    s_ = student.network(photos, training=False)["logits"].numpy() / 4
    p = np.exp(t - t.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
    log_q = s_ - s_.max(1, keepdims=True); log_q -= np.log(np.exp(log_q).sum(1, keepdims=True))
    return float((p * (np.log(p + 1e-12) - log_q)).sum(1).mean())


def untrained_student():
    """The student before training: same seed, same initialisation as the runs."""
    from msroi import presets
    from msroi.nn.classifier import Classifier

    keras.utils.set_random_seed(0)
    return Classifier(presets.vgg16_msroi_from_imagenet(num_classes=1000, dropout=0.0,
                                                    backbone_dropout=False), stride=16)


@pytest.mark.slow
def test_distillation_lowers_the_kl_to_the_teacher(tmp_path):
    data = make_photos(tmp_path / "photos")
    result = train(distill_config(data, tmp_path / "run"), verbose=0)
    # KL to the teacher on the training photos themselves, centre-resized.
    from msroi import presets

    photos = np.stack([np.asarray(Image.open(p), np.float32) / 255 for p in sorted((data / "all").glob("*.png"))])
    assert kl_to_teacher(presets.load_model(result.preset), photos) < kl_to_teacher(untrained_student(), photos)
    preset = json.loads((Path(result.preset) / "config.json").read_text())
    assert preset["config"]["num_classes"] == 1000


def test_head_on_cached_features_equals_the_network():
    from msroi import presets
    from msroi.nn.vgg16_msroi import vgg16_msroi_backbone, vgg16_msroi_head

    network = presets.vgg16_msroi_from_imagenet(num_classes=10, dropout=0.0)
    images = np.random.default_rng(0).random((2, 64, 96, 3), dtype=np.float32)
    whole = network(images, training=False)
    parts = vgg16_msroi_head(network)(vgg16_msroi_backbone(network)(images, training=False), training=False)
    for key in ("features", "logits"):
        np.testing.assert_allclose(parts[key], whole[key], rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_distillation_on_cached_features_lowers_the_kl_and_reuses_the_cache(tmp_path):
    import h5py

    from msroi import presets

    data = make_photos(tmp_path / "photos")
    cache = tmp_path / "cache"
    result = train(distill_config(data, tmp_path / "run", cache_views=2, cache_dir=str(cache)), verbose=0)
    with h5py.File(cache / "train.h5") as train_cache, h5py.File(cache / "val.h5") as val_cache:
        # 12 training photos x 2 views, 4 held out x 1 view; 64 px -> 4x4 conv5_3 cells
        assert train_cache["features"].shape == (24, 4, 4, 512)
        assert val_cache["features"].shape == (4, 4, 4, 512)
        assert train_cache["teacher_logits"].shape == (24, 1000) and train_cache["teacher_map"].shape == (24, 2, 2)
    photos = np.stack([np.asarray(Image.open(p), np.float32) / 255 for p in sorted((data / "all").glob("*.png"))])
    assert kl_to_teacher(presets.load_model(result.preset), photos) < kl_to_teacher(untrained_student(), photos)
    # the same cache key reuses the cache; another one (3 views) rebuilds it
    built = (cache / "train.h5").stat().st_mtime_ns
    train(distill_config(data, tmp_path / "again", cache_views=2, cache_dir=str(cache), epochs=1), verbose=0)
    assert (cache / "train.h5").stat().st_mtime_ns == built
    train(distill_config(data, tmp_path / "more", cache_views=3, cache_dir=str(cache), epochs=1), verbose=0)
    with h5py.File(cache / "train.h5") as train_cache:
        assert len(train_cache["features"]) == 36
    with pytest.raises(MsroiError, match="frozen backbone"):
        train(distill_config(data, tmp_path / "bad", cache_views=2, freeze_backbone=False), verbose=0)
    # read from disk batch by batch (ImageNet scale) or in memory: the same batches
    from msroi.training.cache import cached_dataset, read_cache

    batches = [next(iter(cached_dataset(read_cache(cache / "train.h5", in_memory=in_memory),
                                        training=True, batch_size=8, seed=3)))
               for in_memory in (True, False)]
    np.testing.assert_array_equal(batches[0][0], batches[1][0])
    for key in batches[0][1]:
        np.testing.assert_array_equal(batches[0][1][key], batches[1][1][key])


def test_train_cli_with_config_file(tmp_path, capsys):
    from msroi import cli

    data = make_dataset(tmp_path / "data", per_class=10, size=32)
    config = tmp_path / "run.json"
    config.write_text(json.dumps({"data": str(data), "out": str(tmp_path / "run"), "image_size": 32,
                                  "batch_size": 8, "epochs": 3, "recipe": "paper",  # the optimiser's old key
                                  "holdout_per_class": 2}))
    np.random.seed(123)
    expected = np.random.get_state()[1].copy()
    assert cli.main(["train", "--config", str(config), "--recipe", "modern", "--epochs", "1",
                     "-q"]) == 0
    assert "preset written to" in capsys.readouterr().out
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["optimiser"] == "modern" and saved["epochs"] == 1  # flags override the file
    assert saved["image_size"] == 32  # and the file gives the rest
    # training seeded the generators for itself and gave the caller's state back
    np.testing.assert_array_equal(np.random.get_state()[1], expected)
    assert (tmp_path / "run" / "preset" / "config.json").is_file()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"data": str(data), "colour": "red"}))
    assert cli.main(["train", "--config", str(bad)]) == 2
    assert "unknown options colour" in capsys.readouterr().err


def test_presets_reference_only_a_pristine_backbone():
    from msroi import presets
    from msroi.nn.weights import model_weights
    from msroi.training.fit import pristine_backbone

    weights = model_weights(presets.vgg16_msroi_from_imagenet(num_classes=10, dropout=0.0))
    assert pristine_backbone(weights)
    # e.g. a frozen run started from a fine-tuned preset: its backbone must be stored
    weights["block3_conv2"] = [w + 1e-3 for w in weights["block3_conv2"]]
    assert not pristine_backbone(weights)

"""Training data: class-labelled folders (ImageNet ``n01440764/*.JPEG``, Caltech-256
``001.ak47/*.jpg``) or a CSV manifest (path,label), splits, and the tf.data pipeline."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from msroi.errors import MsroiError
from msroi.io import find_images

_CALTECH = re.compile(r"^(\d{3})\.(.+)$")


@dataclass
class Samples:
    """Image files and integer labels; ``classes[label]`` is the class's folder name or
    label text, ``names[label]`` a readable name."""

    paths: list[str]
    labels: list[int]
    classes: list[str]
    names: list[str]

    def __len__(self) -> int:
        return len(self.paths)

    def subset(self, indices) -> "Samples":
        return Samples([self.paths[i] for i in indices], [self.labels[i] for i in indices],
                       self.classes, self.names)


def scan_folder(root: str | os.PathLike) -> Samples:
    """One sub-folder per class (sorted by name, which keeps ImageNet's wnid order and
    Caltech-256's numbering), image files inside it (recursive)."""
    root = Path(root)
    if not root.is_dir():
        raise MsroiError(f"{root}: not a folder")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise MsroiError(f"{root}: no class folders (expected e.g. n01440764/ or 001.ak47/)")
    paths, labels, names = [], [], []
    for label, folder in enumerate(folders):
        match = _CALTECH.match(folder.name)
        names.append(match.group(2) if match else folder.name)
        found = find_images(folder)
        paths.extend(str(path) for path in found)
        labels.extend([label] * len(found))
    return Samples(paths, labels, [f.name for f in folders], names)


def read_manifest(path: str | os.PathLike) -> Samples:
    """A CSV with columns ``path`` and ``label`` (class name or integer); relative paths
    are taken from the CSV's folder."""
    import pandas as pd

    path = Path(path)
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise MsroiError(f"{path}: cannot read manifest ({exc})") from None
    if not {"path", "label"} <= set(frame.columns):
        raise MsroiError(f"{path}: manifest needs columns 'path' and 'label'")
    classes = sorted(frame.label.astype(str).unique(),
                     key=lambda c: (0, int(c)) if c.lstrip("-").isdigit() else (1, c))
    index = {c: i for i, c in enumerate(classes)}
    paths = [str(p if Path(p).is_absolute() else path.parent / p) for p in frame.path.astype(str)]
    return Samples(paths, [index[str(l)] for l in frame.label], classes, classes)


def _readable(path: str) -> bool:
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.verify()  # structure check without decoding the pixels
        return True
    except Exception:
        return False


def check_files(samples: Samples, *, workers: int = 8, progress: bool = True) -> tuple[Samples, list[str]]:
    """Splits out files that are not readable images (Pillow's verify, in threads)."""
    from concurrent.futures import ThreadPoolExecutor

    from tqdm import tqdm

    with ThreadPoolExecutor(workers) as pool:
        ok = list(tqdm(pool.map(_readable, samples.paths), total=len(samples), unit="file",
                       desc="checking files", disable=not progress or len(samples) < 1000))
    good = [i for i, fine in enumerate(ok) if fine]
    return samples.subset(good), [p for p, fine in zip(samples.paths, ok) if not fine]


def load_samples(source: str | os.PathLike) -> Samples:
    return read_manifest(source) if str(source).lower().endswith(".csv") else scan_folder(source)


def holdout_split(samples: Samples, per_class: int = 10) -> tuple[Samples, Samples]:
    """The paper's split: the last ``per_class`` files of each class for validation."""
    by_class: dict[int, list[int]] = {}
    for i, label in enumerate(samples.labels):
        by_class.setdefault(label, []).append(i)
    train, val = [], []
    for indices in by_class.values():
        cut = max(0, len(indices) - per_class) if len(indices) > per_class else len(indices) // 2
        train += indices[:cut]
        val += indices[cut:]
    return samples.subset(sorted(train)), samples.subset(sorted(val))


def make_dataset(samples: Samples, *, training: bool, image_size: int = 224,
                 batch_size: int = 32, seed: int = 0, repeat: bool = False,
                 drop_remainder: bool | None = None):
    """tf.data pipeline of (RGB float32 [0, 1] (B, S, S, 3), label int32 (B,)).

    Parallel decode; training: random resized crop (8-100% of the area, aspect 3/4..4/3)
    and horizontal flip; validation: shorter side to S*256/224, centre crop. Files that
    still fail to decode (after :func:`check_files`) are dropped, never crashing a run.
    A last partial batch is dropped when training unless ``drop_remainder`` says otherwise.
    """
    import tensorflow as tf

    autotune = tf.data.AUTOTUNE

    def load(path, label):
        data = tf.io.read_file(path)
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
        image = tf.image.convert_image_dtype(image, tf.float32)
        if training:
            begin, size, _ = tf.image.sample_distorted_bounding_box(
                tf.shape(image), tf.zeros([0, 0, 4]), min_object_covered=0.0,
                aspect_ratio_range=(0.75, 1.333), area_range=(0.08, 1.0),
                max_attempts=10, use_image_if_no_bounding_boxes=True)
            image = tf.slice(image, begin, size)
            image = tf.image.resize(image, (image_size, image_size), antialias=True)
            image = tf.image.random_flip_left_right(image)
        else:
            shape = tf.cast(tf.shape(image)[:2], tf.float32)
            scale = (image_size * 256.0 / 224.0) / tf.reduce_min(shape)
            image = tf.image.resize(image, tf.cast(tf.round(shape * scale), tf.int32), antialias=True)
            image = tf.image.resize_with_crop_or_pad(image, image_size, image_size)
        image.set_shape((image_size, image_size, 3))
        return tf.clip_by_value(image, 0.0, 1.0), tf.cast(label, tf.int32)

    dataset = tf.data.Dataset.from_tensor_slices(
        (np.array(samples.paths, dtype=object).astype(str), np.array(samples.labels, np.int32)))
    if training:
        dataset = dataset.shuffle(len(samples), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.map(load, num_parallel_calls=autotune, deterministic=True)  # seeded runs repeat
    dataset = dataset.ignore_errors()
    if repeat:
        dataset = dataset.repeat()
    drop = training if drop_remainder is None else drop_remainder
    return dataset.batch(batch_size, drop_remainder=drop).prefetch(autotune)

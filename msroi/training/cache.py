"""A feature cache for frozen-backbone training: the backbone (and teacher) run once per
augmented view, the head trains on the stored features for many epochs.

It pays when the backbone is frozen and the run is longer than the number of views: VGG16's
convolutions are ~60% of a distillation step's arithmetic at 224 px. One HDF5 file per
split holds, per view: ``features`` (N, h, w, C) float16 (conv5_3), ``label`` (N,) int32
and, when distilling, the :func:`msroi.training.trainer.teacher_targets`. The file records
what made it (files, labels, image size, views, seed, the backbone's weights, teacher); a
cache made from anything else is rebuilt, never silently reused. Written to a temporary
file and renamed, so an interrupted build leaves no half cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from msroi.training.data import Samples, make_dataset

TEACHER_KEYS = ("teacher_logits", "teacher_ids", "teacher_weights", "teacher_map")
#: Storage types: float16 halves the cache; ids stay exact.
_DTYPES = {"features": np.float16, "label": np.int32, "teacher_logits": np.float16,
           "teacher_ids": np.int32, "teacher_weights": np.float32, "teacher_map": np.float16}


def weights_fingerprint(model) -> str:
    """sha256 of a Keras model's weights: names the backbone a cache was made with."""
    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(np.ascontiguousarray(weight.numpy()).tobytes())
    return digest.hexdigest()


def _cache_key(samples: Samples, **settings) -> str:
    """A fingerprint of everything the cache's contents depend on."""
    digest = hashlib.sha256()
    for path, label in zip(samples.paths, samples.labels):
        digest.update(f"{path}\t{label}\n".encode())
    return json.dumps({"samples": digest.hexdigest(), **settings}, sort_keys=True)


def build_cache(path: str | os.PathLike, samples: Samples, *, backbone, teacher=None,
                training: bool, views: int = 1, image_size: int = 224, batch_size: int = 32,
                seed: int = 0, top_k: int = 5, teacher_name: str = "",
                progress: bool = True) -> Path:
    """Runs ``backbone`` (a Keras model, RGB [0, 1] -> features) and ``teacher`` (or None)
    over ``views`` passes of the :func:`make_dataset` pipeline (augmented when
    ``training``; seeds ``seed``, ``seed + 1``, ...) and stores the results at ``path``.
    Returns ``path``; an existing cache with the same key (what its contents depend on) is kept as it is; one
    written before the key was named so is rebuilt once."""
    import h5py
    import tensorflow as tf
    from tqdm import tqdm

    from msroi.training.trainer import teacher_targets

    path = Path(path)
    key = _cache_key(samples, training=training, views=views if training else 1,
                     image_size=image_size, seed=seed, top_k=top_k,
                     backbone=weights_fingerprint(backbone), teacher=teacher_name)
    if path.is_file():
        with h5py.File(path, "r") as existing:
            if existing.attrs.get("key") == key:
                return path
    path.parent.mkdir(parents=True, exist_ok=True)

    @tf.function(reduce_retracing=True)
    def run(images):
        out = {"features": backbone(images, training=False)}
        if teacher is not None:
            out.update(teacher_targets(teacher, images, top_k))
        return out

    passes = views if training else 1
    steps = passes * -(-len(samples) // batch_size)
    temporary = path.with_name(path.name + ".partial")
    with h5py.File(temporary, "w") as cache, tqdm(total=steps, unit="batch", disable=not progress,
                                                   desc=f"caching {path.stem} features") as bar:
        cache.attrs["key"] = key
        for view in range(passes):
            data = make_dataset(samples, training=training, image_size=image_size,
                                batch_size=batch_size, seed=seed + view, drop_remainder=False)
            for images, labels in data:
                batch = {key: value.numpy() for key, value in run(images).items()}
                batch["label"] = labels.numpy()
                for key, values in batch.items():
                    values = values.astype(_DTYPES[key])
                    if key not in cache:
                        # ~1 MB chunks: a random batch reads few bytes it does not use
                        rows = max(1, min(1024, 2 ** 20 // max(1, values[0].nbytes)))
                        cache.create_dataset(key, data=values, maxshape=(None, *values.shape[1:]),
                                             chunks=(rows, *values.shape[1:]))
                    else:
                        stored = cache[key]
                        stored.resize(len(stored) + len(values), axis=0)
                        stored[-len(values):] = values
                bar.update()
    os.replace(temporary, path)
    return path


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: assume little
        return 4 * 2 ** 30


def read_cache(path: str | os.PathLike, *, in_memory: bool | None = None) -> dict:
    """The arrays of a cache (float16 features: ~200 KB per 224-px view): numpy arrays in
    memory, or the file's datasets read batch by batch. None: in memory when the cache
    takes under a quarter of the machine's memory (a few thousand photos), else from disk
    (ImageNet: 1.28 M views are ~250 GB)."""
    import h5py

    cache = h5py.File(path, "r")
    if in_memory is None:
        in_memory = sum(cache[key].nbytes for key in cache.keys()) < _physical_memory() // 4
    if not in_memory:
        return {key: cache[key] for key in cache.keys()}  # the datasets keep the file open
    with cache:
        return {key: cache[key][...] for key in cache.keys()}


def cached_dataset(arrays: dict, *, training: bool, batch_size: int, seed: int = 0):
    """tf.data of (features float32 (B, h, w, C), targets dict) from :func:`read_cache`
    arrays (in memory or on disk); training: shuffled across all views, repeated (set
    steps per epoch). A batch holds its views in file order (HDF5 reads need that)."""
    import tensorflow as tf

    keys = ["label"] + [key for key in TEACHER_KEYS if key in arrays]
    count = len(arrays["label"])
    indices = tf.data.Dataset.range(count)
    if training:
        indices = indices.shuffle(count, seed=seed, reshuffle_each_iteration=True).repeat()
    indices = indices.batch(batch_size, drop_remainder=training)

    def gather(index):
        index = np.sort(np.asarray(index))
        return [arrays["features"][index]] + [arrays[key][index] for key in keys]

    def load(index):
        values = tf.numpy_function(gather, [index], [tf.float16] + [
            tf.as_dtype(arrays[key].dtype) for key in keys])
        features = tf.cast(values[0], tf.float32)
        features.set_shape((None, *arrays["features"].shape[1:]))
        targets = {}
        for key, value in zip(keys, values[1:]):
            value.set_shape((None, *arrays[key].shape[1:]))
            targets[key] = value if value.dtype in (tf.int32, tf.float32) else tf.cast(value, tf.float32)
        return features, targets

    return indices.map(load, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)

"""Training the post-filter: photos -> JPEG-compressed patches on the fly -> fit -> preset.

Clean targets are the training photos reduced by ``downscale`` (they were JPEG-compressed
once at high quality: reducing hides that). Each photo is compressed at ``qualities_per_photo``
random qualities (``quality_range``, weighted towards low ones, where the filter matters)
with 4:2:0 (or 4:4:4 with probability ``share_444``), by Pillow/libjpeg-turbo or, with
probability ``share_rdq``, by msroi's own rdq quantiser at a random strength; the decoded
files and the clean photo give ``crops_per_file`` aligned 64x64 patch pairs (offsets on
the 16-pixel MCU grid, so blocks sit where they sit in whole files). The fit loop is Keras'
with the project's callbacks: resume from ``out/backup``, ``log.csv``, TensorBoard,
weights every epoch; the result is a preset (``kind: postfilter``) with its LiteRT export.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from msroi.errors import MsroiError


@dataclass
class PostFilterConfig:
    """See the module docstring; ``data``: folders of photos (never Kodak or LIVE1)."""

    data: list[str] = field(default_factory=list)
    out: str = "runs/postfilter"
    name: str = "postfilter_small"
    epochs: int = 12
    batch_size: int = 32
    learning_rate: float = 1e-3
    patch: int = 64
    downscale: int = 2
    qualities_per_photo: int = 2
    crops_per_file: int = 4
    quality_range: tuple[int, int] = (5, 90)
    share_444: float = 0.25
    share_rdq: float = 0.2
    validation_share: float = 0.05
    width: int = 16
    wide: int = 48
    blocks: int = 2
    max_photos: int = 0
    seed: int = 0
    strategy: str = "auto"

    @classmethod
    def from_json(cls, path: str | os.PathLike, **overrides) -> "PostFilterConfig":
        from msroi.training.fit import config_from_json

        return config_from_json(cls, path, overrides)


def _compress(photo: np.ndarray, quality: int, subsampling: str, rdq_strength: float | None) -> bytes:
    if rdq_strength is None:
        from msroi.jpeg.standard import encode_pillow

        return encode_pillow(photo, quality, subsampling=subsampling)
    from msroi.codecs.rdq import RDQuantiserCodec

    codec = RDQuantiserCodec(strength=rdq_strength, subsampling=subsampling, baseline=True)
    importance = np.zeros(photo.shape[:2], np.float32)  # a random object box for the map
    rng = np.random.default_rng(quality)
    y, x = rng.integers(0, photo.shape[0] // 2), rng.integers(0, photo.shape[1] // 2)
    importance[y: y + photo.shape[0] // 2, x: x + photo.shape[1] // 2] = 1.0
    with codec.prepare(photo, importance) as state:
        return codec.encode(state, int(np.clip(quality, *codec.quality_range)))


def make_patches(files: list[Path], config: PostFilterConfig, *, seed: int,
                 progress: bool = True) -> dict[str, np.ndarray]:
    """Patch pairs from photo files: ``decoded`` and ``clean`` uint8 (N, P, P, 3),
    ``condition`` float32 (N, 3). Unreadable or too small photos are skipped."""
    from tqdm import tqdm

    from msroi.errors import ImageReadError
    from msroi.io import read_image
    from msroi.jpeg.standard import decode
    from msroi.decoders.postfilter import condition

    rng = np.random.default_rng(seed)
    size = config.patch
    decoded, clean, conditions = [], [], []
    low, high = config.quality_range
    for path in tqdm(files, unit="photo", desc="patches", disable=not progress):
        try:
            photo = read_image(path)
        except ImageReadError:
            continue
        h, w = (s // config.downscale for s in photo.shape[:2])
        if min(h, w) < size + 16:
            continue
        photo = np.asarray(Image.fromarray(photo).resize((w, h), Image.BOX))
        for _ in range(config.qualities_per_photo):
            quality = int(round(low + (high - low) * rng.random() ** 1.5))
            subsampling = "4:4:4" if rng.random() < config.share_444 else "4:2:0"
            strength = float(rng.uniform(0, 3)) if rng.random() < config.share_rdq else None
            data = _compress(photo, quality, subsampling, strength)
            pixels, cond = decode(data), condition(data)
            for _ in range(config.crops_per_file):
                y = 16 * rng.integers(0, (h - size) // 16 + 1)
                x = 16 * rng.integers(0, (w - size) // 16 + 1)
                decoded.append(pixels[y: y + size, x: x + size])
                clean.append(photo[y: y + size, x: x + size])
                conditions.append(cond)
    if not decoded:
        raise MsroiError("no usable training photos (need photos of at least "
                         f"{config.downscale * (size + 16)} pixels a side)")
    return {"decoded": np.stack(decoded), "clean": np.stack(clean),
            "condition": np.stack(conditions).astype(np.float32)}


def _dataset(patches: dict[str, np.ndarray], *, batch_size: int, training: bool, seed: int):
    import tensorflow as tf

    def to_example(decoded, clean, cond):
        image = tf.cast(decoded, tf.float32) / 255.0
        planes = tf.broadcast_to(cond[None, None, :], tf.concat([tf.shape(image)[:2], [3]], 0))
        target = tf.cast(clean, tf.float32) / 255.0
        if training:  # flips and 90-degree turns keep the 8x8 grid
            turns = tf.random.uniform([], 0, 4, tf.int32)
            both = tf.image.rot90(tf.concat([image, target], -1), turns)
            both = tf.image.random_flip_left_right(both)
            image, target = both[..., :3], both[..., 3:]
        return tf.concat([image, planes], -1), target

    data = tf.data.Dataset.from_tensor_slices(
        (patches["decoded"], patches["clean"], patches["condition"]))
    if training:
        data = data.shuffle(len(patches["decoded"]), seed=seed, reshuffle_each_iteration=True)
    return data.map(to_example, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size).prefetch(2)


def _train_and_validation_patches(files: list, out, config, verbose: int) -> tuple[dict, dict]:
    """The photos split by ``config.seed`` (``validation_share`` held out) and cut into
    patches, or the patches a run into ``out`` saved before (a resumed run trains on the same)."""
    order = np.random.default_rng(config.seed).permutation(len(files))
    if config.max_photos:
        order = order[: config.max_photos]
    held = max(1, int(len(order) * config.validation_share))
    val_files, train_files = [files[i] for i in order[:held]], [files[i] for i in order[held:]]
    cache = out / f"patches-{config.seed}.npz"
    if cache.is_file():
        with np.load(cache) as stored:
            return tuple({k[len(p):]: stored[k] for k in stored.files if k.startswith(p)}
                         for p in ("train_", "val_"))
    train = make_patches(train_files, config, seed=config.seed, progress=verbose > 0)
    val = make_patches(val_files, config, seed=config.seed + 1, progress=verbose > 0)
    np.savez(cache, **{f"train_{k}": v for k, v in train.items()},
             **{f"val_{k}": v for k, v in val.items()})
    return train, val


def train_postfilter(config: PostFilterConfig, *, verbose: int = 1) -> Path:
    """Trains the post-filter as ``config`` says; writes ``<out>/preset`` (weights, LiteRT
    export, metadata with the validation PSNR gain) and returns that folder."""
    import keras

    from msroi.io import find_images
    from msroi.nn.postfilter import postfilter
    from msroi.training.run import fit_callbacks, make_strategy, training_run

    files = sorted(f for folder in config.data for f in find_images(folder))
    if any(part in ("kodak", "live1") for f in files for part in f.parts):
        raise MsroiError("post-filter training data may not include kodak/ or live1/ (the benchmarks)")
    if not files:
        raise MsroiError(f"no photos in {', '.join(config.data)}")
    with training_run(config) as out:
        train, val = _train_and_validation_patches(files, out, config, verbose)
        strategy = make_strategy(config.strategy)
        with strategy.scope():
            network = postfilter(width=config.width, wide=config.wide, blocks=config.blocks)
            network.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(
                config.learning_rate, config.epochs * (len(train["decoded"]) // config.batch_size + 1),
                alpha=0.05)), loss="mse")
        callbacks = fit_callbacks(out, keras.callbacks.ModelCheckpoint(
            str(out / "checkpoints" / "epoch-{epoch:03d}.weights.h5"), save_weights_only=True))
        (out / "checkpoints").mkdir(exist_ok=True)
        history = network.fit(_dataset(train, batch_size=config.batch_size, training=True,
                                       seed=config.seed),
                              validation_data=_dataset(val, batch_size=config.batch_size,
                                                       training=False, seed=config.seed),
                              epochs=config.epochs, callbacks=callbacks, verbose=verbose)
        baseline = float(np.mean((val["decoded"].astype(np.float64) - val["clean"]) ** 2) / 255.0 ** 2)
        filtered = float(history.history["val_loss"][-1])
        metrics = {"validation_patches": int(len(val["decoded"])),
                   "train_patches": int(len(train["decoded"])),
                   "validation_psnr_plain": float(10 * np.log10(1.0 / baseline)),
                   "validation_psnr_filtered": float(10 * np.log10(1.0 / filtered))}
        return write_postfilter_preset(out / "preset", network, config, metrics)


def write_postfilter_preset(directory: Path, network, config: PostFilterConfig,
                            metrics: dict) -> Path:
    """Weights (float32 h5), config and metadata of a post-filter, then its LiteRT export
    (:func:`export_postfilter`)."""
    from msroi.nn.weights import model_weights
    from msroi.presets import write_preset

    write_preset(directory, name=config.name, kind="postfilter", architecture="postfilter",
                 config={"width": config.width, "wide": config.wide, "blocks": config.blocks},
                 weights=model_weights(network), stride=2,
                 extra={"litert": {"model": "postfilter.tflite"}, "training": asdict(config)},
                 metadata={"description": "msroi's learned JPEG post-filter (msroi.nn.postfilter)",
                           "data": config.data, "settings": asdict(config), "metrics": metrics,
                           "licence": "MIT (trained here on the shared training photos: "
                                      "ImageNet samples and BSDS500, non-commercial research "
                                      "terms of that data)"})
    return export_postfilter(directory)


def export_postfilter(directory: str | os.PathLike) -> Path:
    """Rebuilds a post-filter preset's network from its config and weights and writes its
    LiteRT export (``postfilter.tflite``, sha256 in metadata.json): the conversion is
    reproducible from the shipped weights alone."""
    import tensorflow as tf

    from msroi.nn.export import convert
    from msroi.nn.postfilter import postfilter
    from msroi.nn.weights import assign_weights
    from msroi.presets import add_files, read_preset_weights

    directory = Path(directory)
    config, weights = read_preset_weights(directory)
    network = postfilter(**config["config"])
    assign_weights(network, weights)
    function = tf.function(lambda x: network(x, training=False)).get_concrete_function(
        tf.TensorSpec([1, None, None, 6], tf.float32))
    return add_files(directory, {config["litert"]["model"]: convert(function)})

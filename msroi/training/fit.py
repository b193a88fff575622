"""The fit loop: config -> strategy -> data -> model -> checkpoints, logs, resume -> preset."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from msroi.errors import MsroiError
from msroi.names import canonical

#: Optimisers by name. "dcc2017": Prakash et al.'s train.py/params.py (Adam, lr 0.002,
#: epsilon 0.1, weight decay 5e-4). "modern": AdamW-style decoupled decay, cosine decay,
#: label smoothing. (Called "recipe" before: a word the map recipes use; a config file's
#: "recipe" key is still read as "optimiser".)
OPTIMISERS = {
    "dcc2017": {"learning_rate": 0.002, "epsilon": 0.1, "weight_decay": 5e-4, "cosine": False,
                "label_smoothing": 0.0},
    "modern": {"learning_rate": 1e-3, "epsilon": 1e-7, "weight_decay": 1e-4, "cosine": True,
               "label_smoothing": 0.1},
}
#: Older spellings still read ("paper": the paper's optimiser, before the word meant one thing).
RENAMED_OPTIMISERS = {"paper": "dcc2017"}


@dataclass
class TrainConfig:
    """Every option of ``msroi train``; saved beside the run and in the preset."""

    data: str
    out: str = "runs/vgg16_msroi"
    val: str | None = None
    holdout_per_class: int = 10
    image_size: int = 224
    batch_size: int = 32
    epochs: int = 10
    steps_per_epoch: int | None = None
    optimiser: str = "dcc2017"
    learning_rate: float | None = None
    freeze_backbone: bool = True
    backbone_lr_scale: float = 0.1
    dropout: float = 0.3
    backbone_dropout: bool | None = None  # default: only when the backbone is trained
    num_classes: int | None = None
    checkpoint_every: int = 1
    init_from: str | None = None  # a preset (e.g. an earlier run's) to start the network from
    cache_views: int = 0  # frozen backbone: > 0 trains the head on cached features of this many augmented views per photo
    cache_dir: str | None = None  # default <out>/cache
    distill_from: str | None = None
    temperature: float = 4.0
    label_weight: float | None = None
    map_weight: float = 0.5
    strategy: str = "auto"
    mixed_precision: bool = False
    seed: int = 0
    name: str = "vgg16_msroi"

    @classmethod
    def from_json(cls, path: str | os.PathLike, **overrides) -> "TrainConfig":
        return config_from_json(cls, path, overrides)


def config_from_json(cls, path: str | os.PathLike, overrides: dict):
    """A config dataclass ``cls`` from a JSON file, the ``overrides`` that are not None
    winning; an unreadable file or an option ``cls`` lacks is one line naming the file."""
    try:
        values = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise MsroiError(f"{path}: unreadable config ({exc})") from None
    if "recipe" in values and cls is TrainConfig:  # the optimiser's old name
        values["optimiser"] = values.pop("recipe")
    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(values) - {f.name for f in fields(cls)}
    if unknown:
        raise MsroiError(f"{path}: unknown options {', '.join(sorted(unknown))}")
    return cls(**values)


@dataclass
class TrainResult:
    history: dict = field(default_factory=dict)
    preset: str = ""
    skipped_files: int = 0
    train_images: int = 0
    optimizer_steps: int = 0
    replicas: int = 1


def pristine_backbone(weights) -> bool:
    """Whether the VGG16 layers of ``weights`` ({layer: [arrays]}) equal the shipped
    ImageNet preset's, so a preset may reference them instead of storing them (a frozen
    backbone started from a fine-tuned preset is not pristine)."""
    import numpy as np

    from msroi import presets
    from msroi.nn.vgg16_msroi import BACKBONE_LAYERS

    shipped = presets.read_preset_weights(presets.VGG16_BACKBONE)[1]
    return all(np.array_equal(np.asarray(ours, np.float32), np.asarray(theirs, np.float32))
               for layer in BACKBONE_LAYERS
               for ours, theirs in zip(weights[layer], shipped[layer]))


def _save_every(directory: Path, every: int, epochs: int):
    """A Keras callback saving the network's weights every ``every`` epochs and at the end."""
    import keras

    class SaveEvery(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if (epoch + 1) % every == 0 or epoch + 1 == epochs:
                directory.mkdir(parents=True, exist_ok=True)
                self.model.network.save_weights(directory / f"epoch-{epoch + 1:03d}.weights.h5")

    return SaveEvery()


def train(config: TrainConfig, *, verbose: int = 1, callbacks: list | None = None) -> TrainResult:
    """Trains VGG16-MSROI as ``config`` says and writes ``<out>/preset`` for load_model.

    Seeds the random generators and may set Keras' mixed-precision policy for the run; both
    are put back afterwards (Python's and NumPy's generator states, the policy; TensorFlow's
    global seed is cleared), so a caller's later work is not changed by having trained."""
    from msroi.training.run import training_run

    optimiser = dict(OPTIMISERS[canonical(config.optimiser, OPTIMISERS, kind="optimiser",
                                          renamed=RENAMED_OPTIMISERS)])
    if config.learning_rate is not None:
        optimiser["learning_rate"] = config.learning_rate
    if config.cache_views and not config.freeze_backbone:
        raise MsroiError("cache_views needs a frozen backbone: a trained one changes its features")
    with training_run(config) as out:
        return _train(config, out, optimiser, verbose=verbose, callbacks=callbacks)


def _train(config: TrainConfig, out: Path, optimiser: dict, *, verbose: int,
           callbacks: list | None) -> TrainResult:
    import keras

    from msroi import presets
    from msroi.training.run import fit_callbacks, make_strategy

    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    samples, train_samples, val_samples, skipped = _samples(config, out, verbose)
    teacher = presets.load_model(config.distill_from) if config.distill_from else None
    num_classes = config.num_classes or (teacher.num_classes if teacher else len(samples.classes))
    steps = config.steps_per_epoch or max(1, len(train_samples) // config.batch_size)
    strategy = make_strategy(config.strategy)
    with strategy.scope():
        network, model, optimizer = _build(config, optimiser, teacher, num_classes, steps)
    train_data, val_data, fit_steps = _datasets(config, out, network, teacher, train_samples,
                                                val_samples, steps, verbose)
    callbacks = list(callbacks or []) + fit_callbacks(
        out, _save_every(out / "checkpoints", config.checkpoint_every, config.epochs))
    history = model.fit(train_data, validation_data=val_data, epochs=config.epochs,
                        steps_per_epoch=fit_steps, callbacks=callbacks, verbose=verbose)
    class_names = teacher.classes if teacher is not None else samples.names
    preset = _write_trained_preset(config, out, network, teacher, class_names, num_classes,
                                   history.history, skipped, len(train_samples))
    return TrainResult(history=history.history, preset=str(preset), skipped_files=skipped,
                       train_images=len(train_samples),
                       optimizer_steps=int(optimizer.iterations.numpy()),
                       replicas=strategy.num_replicas_in_sync)


def _backbone_dropout(config: TrainConfig) -> bool:
    """Dropout in the backbone: where it trains, unless the config says otherwise."""
    return not config.freeze_backbone if config.backbone_dropout is None else config.backbone_dropout


def _samples(config: TrainConfig, out: Path, verbose: int):
    """(all samples, training samples, validation samples, files skipped): the data's
    readable files, validation from ``config.val`` or held out per class; unreadable files
    are listed in ``out/skipped_files.txt``."""
    from msroi.training.data import check_files, holdout_split, load_samples

    samples, bad = check_files(load_samples(config.data), progress=verbose > 0)
    if config.val:
        train_samples = samples
        val_samples, bad_val = check_files(load_samples(config.val), progress=verbose > 0)
        bad += bad_val
    else:
        train_samples, val_samples = holdout_split(samples, config.holdout_per_class)
    if bad:
        (out / "skipped_files.txt").write_text("\n".join(bad) + "\n")
        if verbose:
            print(f"skipped {len(bad)} unreadable files (listed in {out / 'skipped_files.txt'})")
    return samples, train_samples, val_samples, len(bad)


def _build(config: TrainConfig, optimiser: dict, teacher, num_classes: int, steps: int):
    """(the network, the trainer model compiled and built, its optimizer), inside the
    caller's distribution strategy."""
    import keras
    import tensorflow as tf

    from msroi import presets
    from msroi.nn.vgg16_msroi import BACKBONE_LAYERS, vgg16_msroi_head
    from msroi.nn.weights import assign_weights
    from msroi.training.trainer import Trainer

    network = presets.vgg16_msroi_from_imagenet(num_classes=num_classes, dropout=config.dropout,
                                            backbone_dropout=_backbone_dropout(config))
    if config.init_from:
        assign_weights(network, presets.read_preset_weights(config.init_from)[1], strict=False)
    if config.freeze_backbone:
        for layer_name in BACKBONE_LAYERS:
            network.get_layer(layer_name).trainable = False
    # With a feature cache the trained model is the head; its layers are the network's.
    trained = vgg16_msroi_head(network) if config.cache_views else network
    schedule = optimiser["learning_rate"]
    if optimiser["cosine"]:
        schedule = keras.optimizers.schedules.CosineDecay(
            optimiser["learning_rate"], decay_steps=steps * config.epochs)
    optimizer = keras.optimizers.Adam(learning_rate=schedule, epsilon=optimiser["epsilon"],
                                      weight_decay=optimiser["weight_decay"])
    label_weight = config.label_weight if config.label_weight is not None else (
        0.0 if teacher is not None else 1.0)
    model = Trainer(trained, teacher=teacher.network if teacher and not config.cache_views else None,
                    temperature=config.temperature, label_weight=label_weight,
                    map_weight=config.map_weight if teacher else 0.0,
                    label_smoothing=optimiser["label_smoothing"],
                    backbone=BACKBONE_LAYERS, backbone_lr_scale=config.backbone_lr_scale)
    model.compile(optimizer=optimizer)
    # BackupAndRestore needs built weights and optimizer variables before fit().
    side = config.image_size // 16 if config.cache_views else config.image_size
    model(tf.zeros((1, side, side, trained.input.shape[-1])))  # RGB, or conv5_3 features
    optimizer.build(trained.trainable_variables)
    return network, model, optimizer


def _datasets(config: TrainConfig, out: Path, network, teacher, train_samples, val_samples,
              steps: int, verbose: int):
    """(training data, validation data or None, steps per epoch for fit): decoded photos,
    or with ``cache_views`` the frozen backbone's features cached once (the cache repeats:
    an epoch is as many views as there are photos)."""
    from msroi.nn.vgg16_msroi import vgg16_msroi_backbone
    from msroi.training.cache import build_cache, cached_dataset, read_cache
    from msroi.training.data import make_dataset

    if not config.cache_views:
        train_data = make_dataset(train_samples, training=True, image_size=config.image_size,
                                  batch_size=config.batch_size, seed=config.seed,
                                  repeat=config.steps_per_epoch is not None)
        val_data = make_dataset(val_samples, training=False, image_size=config.image_size,
                                batch_size=config.batch_size) if len(val_samples) else None
        return train_data, val_data, config.steps_per_epoch
    cache_dir = Path(config.cache_dir or out / "cache")
    common = dict(backbone=vgg16_msroi_backbone(network), teacher=teacher.network if teacher else None,
                  image_size=config.image_size, batch_size=config.batch_size, seed=config.seed,
                  teacher_name=config.distill_from or "", progress=verbose > 0)
    train_data = cached_dataset(read_cache(build_cache(
        cache_dir / "train.h5", train_samples, training=True, views=config.cache_views, **common)),
        training=True, batch_size=config.batch_size, seed=config.seed)
    val_data = cached_dataset(read_cache(build_cache(
        cache_dir / "val.h5", val_samples, training=False, **common)),
        training=False, batch_size=config.batch_size) if len(val_samples) else None
    return train_data, val_data, steps


def _write_trained_preset(config: TrainConfig, out: Path, network, teacher, class_names,
                          num_classes: int, history: dict, skipped: int, train_images: int) -> Path:
    """The trained network as a preset in ``out/preset`` (the ImageNet backbone, when
    training left it as shipped, pointed at rather than copied); returns its folder."""
    from msroi import presets
    from msroi.nn.vgg16_msroi import BACKBONE_LAYERS, CUE_LAYERS
    from msroi.nn.weights import model_weights

    classes = [c if isinstance(c, dict) else {"index": i, "name": c} for i, c in enumerate(class_names)]
    if teacher is not None and (taught := presets.read_classes(teacher.info)):
        classes = taught
    weights = model_weights(network)
    extra = {"map": {"working_size": config.image_size, "cue_layers": CUE_LAYERS},
             "training": asdict(config)}
    if pristine_backbone(weights):  # the ImageNet layers as shipped: point at their preset
        weights = {k: v for k, v in weights.items() if k not in BACKBONE_LAYERS}
        extra["backbone_preset"] = presets.VGG16_BACKBONE
    return presets.write_preset(
        out / "preset", name=config.name, kind="classifier", architecture="vgg16_msroi",
        config={"num_classes": num_classes, "dropout": config.dropout,
                "backbone_dropout": _backbone_dropout(config)},
        weights=weights, stride=16, classes=classes, dtype="float16", extra=extra,
        metadata={"description": "VGG16-MSROI (Prakash et al., DCC 2017) trained by msroi train",
                  "training": asdict(config),
                  "final_metrics": {k: float(v[-1]) for k, v in history.items()},
                  "skipped_files": skipped, "train_images": train_images,
                  "licence": "backbone: VGG16 ImageNet weights, CC BY 4.0; head: trained on "
                             f"{config.data} (see that data's terms)"})

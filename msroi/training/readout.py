"""Training the fixation readout (:mod:`msroi.maps.readout`) on human eye fixations.

Fixation sets (``images/`` + ``fixations.csv``, :class:`msroi.fixations.FixationSet`) ->
the frozen map network's features and fused map per photo (computed once, through the same
runtime the map uses) -> the readout's weights by maximum likelihood: the mean negative
log-density of the viewers' fixations on the readout's grid, Adam, one photo a step
(photos keep their own shape), input dropout and weight decay -> the epoch with the best
likelihood on the validation photos (the fixed split of :meth:`FixationSet.split`, never
trained on) -> the calibration exponent (the encoder's strengths were tuned on the fused
map's value spread: the exponent gives the new map the same mean on the training photos)
-> a preset: the base preset's files with ``fixation_readout.npz`` added.

Resume: the variables and the optimiser are checkpointed every epoch in ``out/checkpoints``
and a rerun of the same command continues from the last one; ``log.csv`` gets a line per
epoch (training and validation likelihood in nats per fixation against a uniform map).
"""

from __future__ import annotations

import csv
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from msroi.errors import InvalidArgumentError
from msroi.maps.readout import (
    FUSED_FLOOR,
    FixationReadout,
    fused_on_grid,
    output_grid,
    readout_inputs,
)

READOUT_FILE = "fixation_readout.npz"


@dataclass
class ReadoutConfig:
    """``data``: fixation set folders; ``model``: the frozen map network's preset; the rest
    as the module docstring says."""

    data: list[str] = field(default_factory=list)
    out: str = "runs/fixation_readout"
    model: str = "mobilenet_v2"
    name: str | None = None
    epochs: int = 12
    learning_rate: float = 2e-3
    hidden: int = 16
    dropout: float = 0.3
    weight_decay: float = 1e-4
    initial_sigma: float = 1.5
    output_stride: int = 8
    radius: int = 8
    working_size: int = 224
    runtime: str = "auto"
    seed: int = 0

    @classmethod
    def from_json(cls, path: str | os.PathLike, **overrides) -> "ReadoutConfig":
        from msroi.training.fit import config_from_json

        return config_from_json(cls, path, overrides)


@dataclass
class Example:
    """One photo's training example: readout ``inputs`` (h16, w16, C), the fused map on the
    grid (``fused_grid``), fixation ``counts`` on the grid, the fused map's mean."""

    inputs: np.ndarray
    fused_grid: np.ndarray
    counts: np.ndarray
    fused_mean: float
    name: str


def fixation_counts(fixations: np.ndarray, shape: tuple[int, int], stride: int) -> np.ndarray:
    """Fixations counted per grid cell of ``stride`` pixels, float32 (grid)."""
    grid = output_grid(shape, stride)
    counts = np.zeros(grid, np.float32)
    points = np.asarray(fixations, np.float64).reshape(-1, 2)
    columns = np.clip((points[:, 0] // stride).astype(np.int64), 0, grid[1] - 1)
    rows = np.clip((points[:, 1] // stride).astype(np.int64), 0, grid[0] - 1)
    np.add.at(counts, (rows, columns), 1.0)
    return counts


def make_examples(config: ReadoutConfig, *, progress: bool = True) -> dict[str, list[Example]]:
    """{"train": [...], "validation": [...]} over every set of ``config.data``."""
    from tqdm import tqdm

    from msroi import io, maps
    from msroi.fixations import FixationSet

    network = maps.resolve_model(config.model, runtime=config.runtime)
    examples: dict[str, list[Example]] = {"train": [], "validation": []}
    for folder in config.data:
        data = FixationSet(folder)
        if not len(data):
            raise InvalidArgumentError(f"{folder}: no photos with fixations")
        _, validation = data.split()
        held = set(validation)
        for name in tqdm(data.names, unit="img", disable=not progress, desc=Path(folder).name):
            photo = data.photo(name)
            image = io.read_image(photo.path)
            network_input = maps.resize_for_network(image, config.working_size, network.stride)
            cues = network.cues(network_input, top_k=maps.DEFAULT_TOP_K)
            fused = maps.fuse_cues(cues, image)
            grid = output_grid(photo.size, config.output_stride)
            fused_grid = fused_on_grid(fused, config.output_stride)[:grid[0], :grid[1]]
            example = Example(readout_inputs(cues), fused_grid.astype(np.float32),
                              fixation_counts(photo.fixations, photo.size, config.output_stride),
                              float(fused.mean()), f"{Path(folder).name}/{name}")
            examples["validation" if name in held else "train"].append(example)
    return examples


class _TrainableReadout:
    """The readout's variables and its forward pass in TensorFlow (mirrors
    :meth:`FixationReadout.log_density`)."""

    def __init__(self, channels: int, config: ReadoutConfig, mean: np.ndarray, std: np.ndarray):
        import tensorflow as tf

        self.tf = tf
        init = tf.random.Generator.from_seed(config.seed)
        self.mean, self.std = mean.astype(np.float32), std.astype(np.float32)
        self.w1 = tf.Variable(init.normal((channels, config.hidden), stddev=0.02), name="w1")
        self.b1 = tf.Variable(tf.zeros(config.hidden), name="b1")
        self.w2 = tf.Variable(init.normal((config.hidden, 1), stddev=0.1), name="w2")
        self.b2 = tf.Variable(tf.zeros(1), name="b2")
        self.centre = tf.Variable(tf.zeros((8, 8)), name="centre")
        self.log_sigma = tf.Variable(float(np.log(config.initial_sigma)), name="log_sigma")
        self.fused_weight = tf.Variable(0.0, name="fused_weight")
        self.variables = [self.w1, self.b1, self.w2, self.b2, self.centre, self.log_sigma,
                          self.fused_weight]
        self.config = config

    def _blur(self, values, sigma):
        tf, radius = self.tf, self.config.radius
        taps = tf.range(-radius, radius + 1, dtype=tf.float32)
        kernel = tf.exp(-0.5 * (taps / sigma) ** 2)
        kernel /= tf.reduce_sum(kernel)
        x = values[None, :, :, None]
        x = tf.pad(x, [[0, 0], [radius, radius], [0, 0], [0, 0]], "SYMMETRIC")
        x = tf.nn.conv2d(x, tf.reshape(kernel, (-1, 1, 1, 1)), 1, "VALID")
        x = tf.pad(x, [[0, 0], [0, 0], [radius, radius], [0, 0]], "SYMMETRIC")
        x = tf.nn.conv2d(x, tf.reshape(kernel, (1, -1, 1, 1)), 1, "VALID")
        return x[0, :, :, 0]

    def log_density(self, inputs, fused_grid, *, training: bool = False):
        tf = self.tf
        guide = tf.math.log(FUSED_FLOOR + tf.convert_to_tensor(fused_grid, tf.float32))
        x = (tf.convert_to_tensor(inputs, tf.float32) - self.mean) / self.std
        if training and self.config.dropout:
            x = tf.nn.dropout(x, self.config.dropout)
        hidden = tf.nn.softplus(tf.tensordot(x, self.w1, 1) + self.b1)
        score = tf.tensordot(hidden, self.w2, 1) + self.b2
        grid = np.shape(fused_grid)
        score = tf.image.resize(score[None], grid, "bilinear")[0, :, :, 0]
        score = self._blur(score, tf.exp(self.log_sigma))
        centre = tf.image.resize(self.centre[None, :, :, None], grid, "bilinear")[0, :, :, 0]
        z = score + centre + self.fused_weight * guide
        return z - tf.reduce_logsumexp(z)

    def loss(self, example: Example, *, training: bool):
        """Mean negative log-likelihood per fixation, nats, against a uniform map."""
        tf = self.tf
        log_density = self.log_density(example.inputs, example.fused_grid, training=training)
        counts = tf.convert_to_tensor(example.counts)
        nll = -tf.reduce_sum(counts * log_density) / tf.reduce_sum(counts)
        return nll - float(np.log(example.counts.size))

    def frozen(self, gamma: float = 1.0) -> FixationReadout:
        return FixationReadout(
            mean=self.mean, std=self.std, w1=self.w1.numpy(), b1=self.b1.numpy(),
            w2=self.w2.numpy(), b2=self.b2.numpy(), centre=self.centre.numpy(),
            log_sigma=float(self.log_sigma.numpy()), fused_weight=float(self.fused_weight.numpy()),
            gamma=gamma, output_stride=self.config.output_stride, radius=self.config.radius)


def calibrate_gamma(readout: FixationReadout, examples: list[Example]) -> float:
    """The exponent g whose map (density / peak) ** g has, over ``examples``, the mean
    value of the fused map there (the spread the encoder's strengths were tuned on)."""
    target = float(np.mean([e.fused_mean for e in examples]))
    peaks = []
    for example in examples:
        log_density = readout.log_density(example.inputs, example.fused_grid)
        peaks.append(np.exp(log_density - log_density.max()).ravel())
    low, high = 0.01, 4.0
    for _ in range(40):
        gamma = 0.5 * (low + high)
        if np.mean([np.mean(p ** gamma) for p in peaks]) > target:
            low = gamma
        else:
            high = gamma
    return float(round(0.5 * (low + high), 4))


def mean_nll(readout: FixationReadout, examples: list[Example]) -> float:
    """Mean negative log-likelihood per fixation (nats, against uniform) of the NumPy
    readout: what the shipped model scores."""
    values = []
    for example in examples:
        log_density = readout.log_density(example.inputs, example.fused_grid)
        values.append(-(example.counts * log_density).sum() / example.counts.sum()
                      - np.log(example.counts.size))
    return float(np.mean(values))


def train_readout(config: ReadoutConfig, *, progress: bool = True) -> Path:
    """Trains the readout as ``config`` says; returns the preset folder written
    (``out/preset``)."""
    from msroi.quiet import import_tensorflow

    _check_data(config.data)
    import_tensorflow()
    from msroi.training.run import training_run

    with training_run(config, seed=False) as out:  # its own generators, seeded from config.seed
        return _fit_readout(config, out, progress=progress)


def _fit_readout(config: ReadoutConfig, out: Path, *, progress: bool) -> Path:
    import tensorflow as tf

    examples = make_examples(config, progress=progress)
    train, validation = examples["train"], examples["validation"]
    stacked = np.concatenate([e.inputs.reshape(-1, e.inputs.shape[-1]) for e in train])
    model = _TrainableReadout(stacked.shape[1], config, stacked.mean(0), stacked.std(0) + 1e-3)
    del stacked
    optimizer = tf.keras.optimizers.Adam(config.learning_rate)
    epoch = tf.Variable(0, dtype=tf.int64)
    best = {name: tf.Variable(v) for name, v in zip(("w1", "b1", "w2", "b2", "centre",
                                                     "log_sigma", "fused_weight"), model.variables)}
    best_nll = tf.Variable(np.inf, dtype=tf.float64)
    checkpoint = tf.train.Checkpoint(optimizer=optimizer, epoch=epoch, best_nll=best_nll,
                                     **{v.name.split(":")[0]: v for v in model.variables},
                                     **{f"best_{k}": v for k, v in best.items()})
    manager = tf.train.CheckpointManager(checkpoint, str(out / "checkpoints"), max_to_keep=2)
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint)
        optimizer.build(model.variables)
    rng = np.random.default_rng(config.seed + int(epoch.numpy()))
    log_path = out / "log.csv"
    from tqdm import tqdm

    while int(epoch.numpy()) < config.epochs:
        total = 0.0
        for index in tqdm(rng.permutation(len(train)), disable=not progress, unit="img",
                          desc=f"epoch {int(epoch.numpy()) + 1}/{config.epochs}", leave=False):
            example = train[index]
            with tf.GradientTape() as tape:
                loss = model.loss(example, training=True)
                objective = loss + config.weight_decay * tf.reduce_sum(model.w1 ** 2)
            gradients = tape.gradient(objective, model.variables)
            optimizer.apply_gradients(zip(gradients, model.variables))
            total += float(loss)
        validation_nll = mean_nll(model.frozen(), validation)
        epoch.assign_add(1)
        if validation_nll < best_nll.numpy():
            best_nll.assign(validation_nll)
            for variable, keep in zip(model.variables, best.values()):
                keep.assign(variable)
        _append_log(log_path, {"epoch": int(epoch.numpy()), "train_nll": total / len(train),
                               "validation_nll": validation_nll,
                               "sigma_cells": float(np.exp(model.log_sigma.numpy())),
                               "fused_weight": float(model.fused_weight.numpy())})
        manager.save()
    for variable, keep in zip(model.variables, best.values()):
        variable.assign(keep)
    readout = model.frozen(gamma=calibrate_gamma(model.frozen(), train))
    return _write_preset(out, config, readout, train, validation)


def _check_data(folders) -> None:
    """Fixation set folders, none of them a benchmark set (kodak/, live1/)."""
    if not folders:
        raise InvalidArgumentError("the readout needs fixation set folders (DATA)")
    for folder in folders:
        if Path(folder).resolve().name in ("kodak", "live1"):
            raise InvalidArgumentError(f"{folder}: a benchmark set; never train on it")


def _append_log(path: Path, row: dict) -> None:
    new = not path.exists()
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)


def _write_preset(out: Path, config: ReadoutConfig, readout: FixationReadout,
                  train: list[Example], validation: list[Example]) -> Path:
    from msroi.presets import derive_preset

    metadata = {"fixation_readout": {
        "data": [str(Path(d).resolve().name) for d in config.data],
        "split": "by photo, seed 0, 20% validation (msroi.fixations.FixationSet.split)",
        "training_photos": len(train), "validation_photos": len(validation),
        "validation_nll_nats_vs_uniform": mean_nll(readout, validation),
        "settings": {k: v for k, v in asdict(config).items() if k not in ("data", "out")},
        "licence": "trained here on MIT-licensed fixation data (EyeCrowd, Scene)",
    }}
    return derive_preset(config.model, out / "preset", name=config.name,
                         files={READOUT_FILE: readout.to_bytes()},
                         map_update={"readout": READOUT_FILE}, metadata_update=metadata)

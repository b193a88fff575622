"""A training run's harness, the same for every trainer: its folder (claimed, the config
written into it), its random state (seeded, and put back afterwards), its distribution
strategy, and the callbacks of a Keras fit loop (resume, log, checkpoints)."""

from __future__ import annotations

import contextlib
import json
import os
import random
from dataclasses import asdict
from pathlib import Path
from typing import Iterator

import keras
import numpy as np
import tensorflow as tf

from msroi.errors import MsroiError
from msroi.io import claim_run_folder, write_bytes_atomic


@contextlib.contextmanager
def global_state_restored():
    """Training seeds Python's, NumPy's and TensorFlow's generators and may set Keras's
    precision policy; inside this block it may, and afterwards all are as they were (the
    generators' states, the policy; TensorFlow's global seed cleared), so a caller's later
    work is not changed by having trained."""
    python_state, numpy_state = random.getstate(), np.random.get_state()
    policy = keras.mixed_precision.global_policy()
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        tf.random.set_seed(None)
        keras.mixed_precision.set_global_policy(policy)


@contextlib.contextmanager
def training_run(config, *, seed: bool = True) -> Iterator[Path]:
    """One training run of a config dataclass with ``out`` and ``seed`` fields.

    Parameters
    ----------
    config : dataclass
        The trainer's settings; written to ``out/config.json``.
    seed : bool
        Seed Python's, NumPy's and TensorFlow's generators from ``config.seed`` (a trainer
        with its own generators passes False).

    Yields
    ------
    Path
        The run folder (claimed: a user's folder is refused; the same command rerun resumes
        there). Inside the block the global state may change; afterwards it is as it was
        (:func:`global_state_restored`).
    """
    out = claim_run_folder(config.out)
    write_bytes_atomic(out / "config.json", (json.dumps(asdict(config), indent=2) + "\n").encode())
    with global_state_restored():
        if seed:
            keras.utils.set_random_seed(config.seed)
        yield out


def make_strategy(name: str = "auto"):
    """``auto``: MultiWorkerMirroredStrategy when TF_CONFIG is set, MirroredStrategy with
    several GPUs, else the default strategy. ``mirrored``, ``multiworker``, ``default``."""
    if name == "auto":
        if os.environ.get("TF_CONFIG"):
            name = "multiworker"
        elif len(tf.config.list_logical_devices("GPU")) > 1:
            name = "mirrored"
        else:
            name = "default"
    if name == "mirrored":
        # GPUs when there are any; else every logical CPU (tests split the CPU in two).
        devices = [d.name for d in tf.config.list_logical_devices("GPU")] or \
            [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=devices)
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "default":
        return tf.distribute.get_strategy()
    raise MsroiError(f"unknown strategy '{name}' (auto, mirrored, multiworker, default)")


def fit_callbacks(out: Path, checkpoint: keras.callbacks.Callback) -> list:
    """The callbacks of every Keras fit loop here: resume from ``out/backup`` (weights,
    optimiser, epoch), ``checkpoint`` (the weights by epoch), a line per epoch in
    ``out/log.csv``, TensorBoard logs in ``out/tensorboard``."""
    return [keras.callbacks.BackupAndRestore(str(out / "backup")), checkpoint,
            keras.callbacks.CSVLogger(str(out / "log.csv"), append=True),
            keras.callbacks.TensorBoard(str(out / "tensorboard"))]

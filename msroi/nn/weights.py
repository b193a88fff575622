"""Weight files: layer-named HDF5 shards, optionally stored as float16.

Layout of each shard: one group per layer name, holding datasets ``"0"``, ``"1"``, ... in
the order of ``layer.get_weights()``. Shards keep every file small enough for git (the VGG16
backbone is 29 MB in float16); values are cast back to the layer's dtype on loading.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Mapping

import h5py
import keras
import numpy as np

LayerWeights = dict[str, list[np.ndarray]]


def model_weights(model: keras.Model) -> LayerWeights:
    """{layer name: weights} for every layer of ``model`` that has weights."""
    return {layer.name: layer.get_weights() for layer in model.layers if layer.weights}


def assign_weights(model: keras.Model, weights: Mapping[str, list[np.ndarray]], *,
                   strict: bool = True) -> list[str]:
    """Sets layer weights by name; returns the names of model layers left untouched.

    ``strict`` requires every weighted layer of the model to be given and every given name
    to exist. Shapes must match exactly.
    """
    by_name = {layer.name: layer for layer in model.layers}
    unknown = sorted(set(weights) - set(by_name))
    if unknown:
        raise ValueError(f"weights for layers the model lacks: {', '.join(unknown[:5])}")
    missing = [layer.name for layer in model.layers if layer.weights and layer.name not in weights]
    if strict and missing:
        raise ValueError(f"no weights for layers: {', '.join(missing[:5])}")
    for name, values in weights.items():
        layer = by_name[name]
        current = layer.get_weights()
        if len(current) != len(values):
            raise ValueError(f"layer {name}: {len(values)} arrays given, {len(current)} expected")
        for have, new in zip(current, values):
            if have.shape != np.shape(new):
                raise ValueError(f"layer {name}: shape {np.shape(new)} given, {have.shape} expected")
        layer.set_weights([np.asarray(v, dtype=h.dtype) for h, v in zip(current, values)])
    return missing


def write_weights(weights: Mapping[str, list[np.ndarray]], directory: str | os.PathLike, *,
                  stem: str = "weights", dtype: str | None = None,
                  max_shard_bytes: int = 20_000_000) -> list[str]:
    """Writes ``weights`` into ``directory`` as one or more shards; returns their file names.

    Layers are kept whole and in order; a new shard starts when the next layer would pass
    ``max_shard_bytes``. ``dtype`` (e.g. ``"float16"``) converts floating arrays on disk.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    shards: list[list[str]] = [[]]
    size = 0
    for name, values in weights.items():
        nbytes = sum(np.asarray(v, dtype=dtype or np.asarray(v).dtype).nbytes for v in values)
        if shards[-1] and size + nbytes > max_shard_bytes:
            shards.append([])
            size = 0
        shards[-1].append(name)
        size += nbytes
    names = ([f"{stem}.h5"] if len(shards) == 1 else
             [f"{stem}-{i + 1:05d}-of-{len(shards):05d}.h5" for i in range(len(shards))])
    for file_name, layer_names in zip(names, shards):
        with h5py.File(directory / file_name, "w") as f:
            for name in layer_names:
                group = f.create_group(name)
                for i, value in enumerate(weights[name]):
                    value = np.asarray(value)
                    if dtype and np.issubdtype(value.dtype, np.floating):
                        value = value.astype(dtype)
                    group.create_dataset(str(i), data=value)
    return names


def read_weights(paths: Iterable[str | os.PathLike]) -> LayerWeights:
    """Reads shards written by :func:`write_weights` into {layer name: [arrays]}."""
    out: LayerWeights = {}
    for path in paths:
        with h5py.File(path, "r") as f:
            for name, group in f.items():
                out[name] = [group[str(i)][()] for i in range(len(group))]
    return out

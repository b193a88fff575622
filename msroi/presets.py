"""Model presets: a name -> a folder in ``models/`` with config, weights and metadata.

A preset folder holds ``config.json`` (architecture name and its keyword arguments, weight
shards, class-name file, map defaults), the weight shards (see :mod:`msroi.nn.weights`),
and ``metadata.json`` (source package and version, licence, how it was converted, sha256
of every file, checked on loading). Nothing is ever downloaded.

Search path: ``$MSROI_MODELS`` (``os.pathsep``-separated), then the shipped presets: the
top-level ``models/`` folder, installed as the package ``msroi.models`` (package data).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from msroi.errors import InvalidArgumentError, ModelError
from msroi.io import write_bytes_atomic

if TYPE_CHECKING:  # Keras is imported where a network is built: finding presets needs none
    import keras

    from msroi.nn.classifier import Classifier
    from msroi.nn.weights import LayerWeights
    from msroi.runtime import MapNetwork

#: The map model used when none is named: the best one shipped (see README, "Models").
DEFAULT_MAP_MODEL = "mobilenet_v2"
#: The pristine ImageNet VGG16 convolutions that initialise VGG16-MSROI.
VGG16_BACKBONE = "vgg16_imagenet"


def search_path() -> list[Path]:
    """Folders searched for presets: ``$MSROI_MODELS`` first, then the shipped ones."""
    paths = [Path(p) for p in os.environ.get("MSROI_MODELS", "").split(os.pathsep) if p]
    spec = importlib.util.find_spec("msroi.models")
    paths.extend(Path(p) for p in (spec.submodule_search_locations or []) if spec)
    return paths


def list_models() -> list[str]:
    """The presets found on the search path (``$MSROI_MODELS``, then the shipped ones).

    Returns
    -------
    list of str
        Preset names, sorted.
    """
    names = set()
    for root in search_path():
        if root.is_dir():
            names.update(p.parent.name for p in root.glob("*/config.json"))
    return sorted(names)


def preset_directory(name: str | os.PathLike) -> Path:
    """The folder of preset ``name`` (or ``name`` itself if it is a preset folder)."""
    candidate = Path(name)
    if (candidate / "config.json").is_file():
        return candidate
    for root in search_path():
        if (root / str(name) / "config.json").is_file():
            return root / str(name)
    known = ", ".join(list_models()) or "none found"
    raise ModelError(f"unknown model '{name}' (available: {known})")


def check_map_model(name: str | os.PathLike) -> Path:
    """The folder of preset ``name`` if it is a map model (a classifier with class maps);
    :class:`ModelError` (one line) for an unknown preset or one of another kind (e.g. the
    post-filter). Cheap: reads config.json only."""
    directory = preset_directory(name)
    kind = _read_json(directory / "config.json").get("kind")
    if kind != "classifier":
        raise ModelError(f"model '{name}' is a {kind}, not a map model (a classifier with "
                         "class maps; see 'msroi models')")
    return directory


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: unreadable ({exc})") from None


def _write_json(path: Path, value, *, indent: int = 2) -> None:
    write_bytes_atomic(path, (json.dumps(value, indent=indent) + "\n").encode())


def _verify(directory: Path, files: list[str], metadata: dict, *, checksums: bool = True) -> None:
    """Every file exists and (``checksums``) matches its sha256 in metadata.json."""
    for file_name in files:
        path = directory / file_name
        if not path.is_file():
            raise ModelError(f"{path}: model file missing")
        if checksums:
            expected = metadata.get("sha256", {}).get(path.name)
            if expected and sha256(path) != expected:
                raise ModelError(f"{path}: sha256 does not match metadata.json (corrupt file?)")


def sha256(path: str | os.PathLike) -> str:
    """The file's sha256, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def preset_file(config: Mapping, file_name: str, *, verify: bool = True) -> Path:
    """The path of ``file_name`` inside the preset ``config`` (as :func:`read_preset` returns
    it), after checking that it exists and (``verify``) matches its sha256 in metadata.json:
    the one way to a preset's file."""
    directory = Path(config["directory"])
    _verify(directory, [file_name], config.get("metadata", {}), checksums=verify)
    return directory / file_name


def read_classes(config: Mapping) -> list | None:
    """The class list of a preset read by :func:`read_preset` (entries as written: names, or
    ``{"index", "name", ...}``), or None where it has none."""
    if not config.get("classes"):
        return None
    return _read_json(preset_file(config, config["classes"], verify=False))


def _class_names(config: dict) -> list[str] | None:
    classes = read_classes(config)
    return None if classes is None else [c["name"] if isinstance(c, dict) else c for c in classes]


def read_preset(name: str | os.PathLike, *, verify: bool = True) -> dict:
    """A preset's config (with its ``metadata`` and ``directory``), after checking the
    sha256 of every file listed in ``config["weights"]``."""
    directory = preset_directory(name)
    config = _read_json(directory / "config.json")
    metadata = _read_json(directory / "metadata.json")
    _verify(directory, config["weights"], metadata, checksums=verify)
    config["metadata"] = metadata
    config["directory"] = str(directory)
    return config


def read_preset_weights(name: str | os.PathLike, *, verify: bool = True) -> tuple[dict, LayerWeights]:
    """Config and {layer: weights} of a Keras preset, files checked as :func:`read_preset`.

    Presets trained with a frozen backbone store only their own layers and name the
    backbone's preset (``backbone_preset``); its layers are merged in here.
    """
    from msroi.nn.weights import read_weights

    config = read_preset(name, verify=verify)
    weights = read_weights(preset_file(config, f, verify=False) for f in config["weights"])  # checked
    if config.get("backbone_preset"):
        _, backbone = read_preset_weights(config["backbone_preset"], verify=verify)
        weights = {**backbone, **weights}
    return config, weights


def build(architecture: str, config: Mapping) -> keras.Model:
    from msroi.nn import ARCHITECTURES

    try:
        builder = ARCHITECTURES[architecture]
    except KeyError:
        raise ModelError(f"unknown architecture '{architecture}'") from None
    return builder(**config)


def load_model(name: str | os.PathLike = DEFAULT_MAP_MODEL) -> Classifier:
    """Loads a classifier preset with its weights (checked against their sha256) and class names.

    Parameters
    ----------
    name : str or os.PathLike
        A preset's name on the search path (default ``"mobilenet_v2"``) or its folder.

    Returns
    -------
    Classifier
        The Keras network behind the map's interface (:class:`msroi.nn.classifier.Classifier`).
    """
    from msroi.nn.classifier import Classifier
    from msroi.nn.weights import assign_weights

    config, weights = read_preset_weights(name)
    if config.get("kind") != "classifier":
        raise ModelError(f"model '{name}' is a {config.get('kind')}, not a classifier with class maps")
    network = build(config["architecture"], config["config"])
    assign_weights(network, weights)
    return Classifier(network, classes=_class_names(config), stride=config["stride"], name=str(name),
                      info=config, cue_layers=config.get("map", {}).get("cue_layers"))


#: Runtimes that run a map network: the LiteRT export (no TensorFlow) or the Keras network.
RUNTIMES = ("auto", "litert", "keras")


def load_map_network(name: str | os.PathLike = DEFAULT_MAP_MODEL, *,
                     runtime: str = "auto") -> MapNetwork:
    """The map network of a classifier preset, ready for :mod:`msroi.maps`.

    ``runtime``: ``"litert"`` runs the preset's LiteRT export (``litert`` in its config;
    see ``models/export_litert.py``) without importing TensorFlow; ``"keras"`` builds the
    Keras network; ``"auto"`` (default) takes LiteRT where the preset has an export and
    ``ai-edge-litert`` is installed, Keras otherwise.
    """
    from msroi.runtime import LiteClassifier, litert_available

    if runtime not in RUNTIMES:
        raise InvalidArgumentError(f"unknown runtime '{runtime}' (choose from {', '.join(RUNTIMES)})")
    config = read_preset(name, verify=False)
    if config.get("kind") != "classifier":
        raise ModelError(f"model '{name}' is a {config.get('kind')}, not a classifier with class maps")
    export = config.get("litert")
    if runtime == "litert" and not export:
        raise ModelError(f"model '{name}' has no LiteRT export (run models/export_litert.py {name})")
    if runtime == "litert" and not litert_available():
        raise ModelError("the LiteRT runtime is not installed (pip install ai-edge-litert)")
    if runtime == "keras" or not (export and litert_available()):
        from msroi.quiet import import_tensorflow

        import_tensorflow()
        return load_model(name)
    return LiteClassifier(preset_file(config, export["model"]), preset_file(config, export["head"]),
                          stride=config["stride"], classes=_class_names(config), name=str(name),
                          info=config, cue_layers=config.get("map", {}).get("cue_layers"))


def vgg16_msroi_from_imagenet(**kwargs) -> keras.Model:
    """VGG16-MSROI (see :func:`msroi.nn.vgg16_msroi`) with the ImageNet VGG16 backbone loaded."""
    from msroi.nn import ARCHITECTURES
    from msroi.nn.weights import assign_weights

    model = ARCHITECTURES["vgg16_msroi"](**kwargs)
    _, weights = read_preset_weights(VGG16_BACKBONE)
    assign_weights(model, weights, strict=False)
    return model


def write_preset(directory: str | os.PathLike, *, name: str, kind: str, architecture: str,
                 config: Mapping, weights: LayerWeights, metadata: Mapping,
                 stride: int, classes: list | None = None, dtype: str | None = None,
                 extra: Mapping | None = None) -> Path:
    """Writes a preset folder; used by the conversion and training programs."""
    from msroi.nn.weights import write_weights

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("weights*.h5"):
        old.unlink()
    shards = write_weights(weights, directory, dtype=dtype)
    preset = {"name": name, "kind": kind, "architecture": architecture, "config": dict(config),
              "stride": stride, "weights": shards, "weights_dtype": dtype or "as trained",
              "classes": "classes.json" if classes is not None else None, **(extra or {})}
    _write_json(directory / "config.json", preset)
    if classes is not None:
        _write_json(directory / "classes.json", classes, indent=1)
    files = shards + (["classes.json"] if classes is not None else [])
    meta = dict(metadata)
    meta["sha256"] = {f: sha256(directory / f) for f in files}
    _write_json(directory / "metadata.json", meta)
    return directory


def add_files(directory: str | os.PathLike, files: Mapping[str, bytes], *,
              config_update: Mapping | None = None, metadata_update: Mapping | None = None) -> Path:
    """Writes ``files`` (name -> bytes) into the preset folder ``directory``, merges
    ``config_update`` into its config.json and ``metadata_update`` into its metadata.json and
    records the new files' sha256: how every program adds to a preset (exports, trained
    heads). Every file is written atomically. Returns the folder."""
    directory = Path(directory)
    for file_name, data in files.items():
        write_bytes_atomic(directory / file_name, data)
    config = _read_json(directory / "config.json")
    config.update(config_update or {})
    metadata = _read_json(directory / "metadata.json")
    metadata.update(metadata_update or {})
    metadata.setdefault("sha256", {}).update({f: sha256(directory / f) for f in files})
    _write_json(directory / "config.json", config)
    _write_json(directory / "metadata.json", metadata)
    return directory


def derive_preset(base: str | os.PathLike, directory: str | os.PathLike, *,
                  files: Mapping[str, bytes], name: str | None = None,
                  map_update: Mapping | None = None,
                  metadata_update: Mapping | None = None) -> Path:
    """A preset made from preset ``base`` plus new ``files`` (name -> bytes): the base's
    files (hard-linked where the file system allows, else copied; nothing copied when
    ``directory`` is the base itself), its config with ``map_update`` merged into ``map``
    (and ``name``), its metadata with ``metadata_update`` merged in and the new files'
    sha256 added (:func:`add_files`). Used by trainers that add a head to a frozen network."""
    import shutil

    source = preset_directory(base)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = _read_json(source / "config.json")
    if directory.resolve() != source.resolve():
        for path in source.iterdir():
            if not path.is_file() or path.name in ("config.json", "metadata.json") or path.name in files:
                continue
            target = directory / path.name
            if target.exists():
                target.unlink()
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)
        _write_json(directory / "metadata.json", _read_json(source / "metadata.json"))
    config.setdefault("map", {}).update(map_update or {})
    _write_json(directory / "config.json", {**config, "name": name or config["name"]})
    return add_files(directory, files, metadata_update=metadata_update)


def write_litert(name: str | os.PathLike) -> Path:
    """Exports preset ``name`` for the lean runtime: writes ``map.tflite`` and
    ``map_head.npz`` (the dense layer's kernel, for class activation maps) into its folder,
    records them as ``litert`` in ``config.json`` and their sha256 in ``metadata.json``.
    Returns the folder."""
    import io

    import numpy as np
    import tensorflow as tf

    from msroi.nn.export import export_litert
    from msroi.runtime import LITERT_HEAD, LITERT_MODEL

    directory = preset_directory(name)
    classifier = load_model(directory)
    head = io.BytesIO()
    np.savez_compressed(head, kernel=classifier.kernel.astype(np.float32))
    return add_files(
        directory, {LITERT_MODEL: export_litert(classifier), LITERT_HEAD: head.getvalue()},
        config_update={"litert": {"model": LITERT_MODEL, "head": LITERT_HEAD}},
        metadata_update={"litert_export": (
            f"models/export_litert.py (msroi.nn.export) with tensorflow {tf.__version__}: the "
            "map computation (features, probabilities, fused-map cues incl. the gradient cue's "
            "backward pass) as float32 LiteRT builtins; dense kernel in map_head.npz")})

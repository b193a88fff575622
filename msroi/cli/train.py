"""``msroi train``, ``train-postfilter``, ``train-readout``: the three training programs."""

from __future__ import annotations

import argparse

from msroi.cli.options import choice, int_in_range
from msroi.presets import read_preset
from msroi.errors import MsroiError


def arguments(p: argparse.ArgumentParser) -> None:
    from msroi.training.fit import OPTIMISERS, RENAMED_OPTIMISERS

    p.add_argument("data", nargs="?", help="class-folder tree (ImageNet or Caltech-256 layout) or CSV manifest (path,label)")
    p.add_argument("--config", help="JSON file of options (see train/*.json); flags override it")
    p.add_argument("--out", help="run folder: checkpoints, logs, backup for resume, preset/")
    p.add_argument("--val", help="validation folder or manifest (default: last 10 files of each class)")
    p.add_argument("--holdout-per-class", dest="holdout_per_class", type=int)
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", dest="batch_size", type=int)
    p.add_argument("--steps-per-epoch", dest="steps_per_epoch", type=int)
    p.add_argument("--image-size", dest="image_size", type=int)
    p.add_argument("--optimiser", "--recipe", dest="optimiser",
                   **choice(sorted(OPTIMISERS), kind="optimiser", renamed=RENAMED_OPTIMISERS), help=(
                       "dcc2017 (the paper's; 'paper' still read): Adam lr 0.002 eps 0.1 wd 5e-4; "
                       "modern: cosine, label smoothing"))
    p.add_argument("--lr", dest="learning_rate", type=float)
    p.add_argument("--fine-tune", dest="freeze_backbone", action="store_false", default=None,
                   help="train the VGG16 backbone too (at --backbone-lr-scale x the learning rate)")
    p.add_argument("--backbone-lr-scale", dest="backbone_lr_scale", type=float)
    p.add_argument("--dropout", type=float)
    p.add_argument("--num-classes", dest="num_classes", type=int)
    p.add_argument("--checkpoint-every", dest="checkpoint_every", type=int)
    p.add_argument("--init-from", dest="init_from", help="start from this preset's weights (e.g. an earlier run's preset/)")
    p.add_argument("--distill-from", dest="distill_from", help="teacher preset, e.g. mobilenet_v2")
    p.add_argument("--cache-views", dest="cache_views", type=int,
                   help="frozen backbone: run it (and the teacher) once on this many augmented "
                        "views per photo and train the head on the cached features")
    p.add_argument("--cache-dir", dest="cache_dir", help="where the feature cache lives (default OUT/cache)")
    p.add_argument("--temperature", type=float)
    p.add_argument("--label-weight", dest="label_weight", type=float)
    p.add_argument("--map-weight", dest="map_weight", type=float)
    p.add_argument("--strategy", choices=("auto", "mirrored", "multiworker", "default"))
    p.add_argument("--mixed-precision", dest="mixed_precision", action="store_true", default=None)
    p.add_argument("--seed", type=int)
    p.add_argument("--name", help="preset name (default vgg16_msroi)")
    p.add_argument("-q", "--quiet", action="store_true")


def run(args) -> int:
    from msroi.quiet import import_tensorflow

    import_tensorflow()
    from msroi.training.fit import TrainConfig, train

    overrides = {k: v for k, v in vars(args).items() if k in TrainConfig.__dataclass_fields__}
    if args.config:
        config = TrainConfig.from_json(args.config, **overrides)  # flags given win
    else:
        if not args.data:
            raise MsroiError("msroi train needs DATA (a class-folder tree or a CSV manifest) or --config")
        config = TrainConfig(**{k: v for k, v in overrides.items() if v is not None})
    result = train(config, verbose=0 if args.quiet else 2)
    print(f"trained {result.train_images} images ({result.skipped_files} unreadable skipped); "
          f"preset written to {result.preset}")
    return 0


def _head_training_arguments(p: argparse.ArgumentParser, *, data: str, out: str, name: str) -> None:
    """What train-postfilter and train-readout share: DATA folders or --config, the run
    folder, the preset's name, epochs, learning rate, seed."""
    p.add_argument("data", nargs="*", help=data)
    p.add_argument("--config", help="JSON file of options; flags override it")
    p.add_argument("--out", help=out)
    p.add_argument("--name", help=name)
    p.add_argument("--epochs", type=int_in_range(1))
    p.add_argument("--lr", dest="learning_rate", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("-q", "--quiet", action="store_true")


def postfilter_arguments(p: argparse.ArgumentParser) -> None:
    _head_training_arguments(p, data="folders of photos (never the benchmark sets)",
                             out="run folder: patches, checkpoints, log.csv, backup for resume, preset/",
                             name="preset name (default postfilter_small)")
    p.add_argument("--batch-size", dest="batch_size", type=int_in_range(1))
    p.add_argument("--max-photos", dest="max_photos", type=int_in_range(0))
    p.add_argument("--crops-per-file", dest="crops_per_file", type=int_in_range(1))
    p.add_argument("--strategy", choices=("auto", "mirrored", "multiworker", "default"))


def run_postfilter(args) -> int:
    from msroi.quiet import import_tensorflow

    import_tensorflow()
    from msroi.training.postfilter import PostFilterConfig, train_postfilter

    config = _training_config(PostFilterConfig, args, "msroi train-postfilter needs DATA "
                              "folders or --config")
    preset = train_postfilter(config, verbose=0 if args.quiet else 2)
    metrics = read_preset(preset, verify=False)["metadata"]["metrics"]
    print(f"validation PSNR {metrics['validation_psnr_plain']:.2f} -> "
          f"{metrics['validation_psnr_filtered']:.2f} dB; preset written to {preset}")
    return 0


def readout_arguments(p: argparse.ArgumentParser) -> None:
    _head_training_arguments(p, data="fixation set folders (images/ + fixations.csv)",
                             out="run folder: checkpoints (resume), log.csv, preset/",
                             name="name of the preset written (default: the base's)")
    p.add_argument("--model", help="the frozen map network's preset (default mobilenet_v2)")


def run_readout(args) -> int:
    from msroi.training.readout import ReadoutConfig, train_readout

    config = _training_config(ReadoutConfig, args, "msroi train-readout needs fixation set "
                              "folders (DATA) or --config")
    preset = train_readout(config, progress=not args.quiet)
    metrics = read_preset(preset, verify=False)["metadata"]["fixation_readout"]
    print(f"validation: {metrics['validation_nll_nats_vs_uniform']:.3f} nats per fixation "
          f"against a uniform map ({metrics['validation_photos']} photos); preset written to {preset}")
    return 0


def _training_config(config_class, args, missing: str):
    """A training config from --config (flags given win) or from the flags and DATA."""
    overrides = {k: v for k, v in vars(args).items()
                 if k in config_class.__dataclass_fields__ and v not in (None, [])}
    if args.config:
        return config_class.from_json(args.config, **overrides)
    if not args.data:
        raise MsroiError(missing)
    return config_class(**overrides)


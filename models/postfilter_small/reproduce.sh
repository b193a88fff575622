#!/usr/bin/env bash
# Reproduces this preset: the learned post-filter trained on the shared training photos
# (never Kodak or LIVE1). ~17 min on 2 CPU cores (10 epochs of 382 steps, batch 32).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=../shared/data/train
.venv/bin/msroi train-postfilter "$DATA/imagenet-det-sample" "$DATA/imagenet-1k-sample" "$DATA/bsds500/train" \
    --out runs/postfilter_small --epochs 10 --crops-per-file 3
cp runs/postfilter_small/preset/* models/postfilter_small/
# The LiteRT file alone, from the shipped weights (bit-identical to the shipped one):
#   .venv/bin/python -c "from msroi.training.postfilter import export_postfilter; export_postfilter('models/postfilter_small')"

#!/usr/bin/env bash
# Reproduces models/vgg16_msroi from the repository root (2 CPU cores: ~55 min; a GPU: minutes).
# Needs ../shared/data/train (see train/README.md). CPU runs are not bit-exact across machines.
set -euo pipefail
msroi train --config train/distill_shared.json      # 2 epochs, online teacher -> runs/vgg16_msroi_distilled/preset
msroi train --config train/distill_cached.json      # 8 epochs on cached features, from the run above
rm -rf models/vgg16_msroi.new && cp -r runs/vgg16_msroi_cached/preset models/vgg16_msroi.new
echo "new preset in models/vgg16_msroi.new; compare with benchmarks/student_vs_teacher.py before replacing models/vgg16_msroi"

#!/usr/bin/env bash
# Reproduces fixation_readout.npz, the readout of the default map ("fixations" recipe):
# trained on the shared human eye-fixation sets (EyeCrowd, Scene; MIT licence), 80% of the
# photos of each (the validation 20% are never trained on: msroi.fixations.FixationSet.split),
# over this preset's frozen LiteRT network. ~6 min on 2 CPU cores (features once, 12 epochs).
set -euo pipefail
cd "$(dirname "$0")/../.."
FIX=../shared/data/fixations
.venv/bin/msroi train-readout "$FIX/eyecrowd500" "$FIX/scene500" --out runs/fixation_readout --epochs 12
# Into this preset: the readout file, config.json's map.readout, its sha256 and the training
# record in metadata.json.
.venv/bin/python - <<'PY'
import json
from pathlib import Path
from msroi.presets import derive_preset
run = Path("runs/fixation_readout/preset")
derive_preset("models/mobilenet_v2", "models/mobilenet_v2",
              files={"fixation_readout.npz": (run / "fixation_readout.npz").read_bytes()},
              map_update={"readout": "fixation_readout.npz"},
              metadata_update={"fixation_readout": json.loads((run / "metadata.json").read_text())["fixation_readout"]})
PY

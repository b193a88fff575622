#!/usr/bin/env bash
# The wheel a user installs: build it, install it with the core dependencies and [eval] in a
# fresh virtual environment (no TensorFlow), then run msroi compress and msroi evaluate on
# photos made here, outside the source tree.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

.venv/bin/python -m build --wheel --outdir "$work/dist" . >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
wheel=$(ls "$work"/dist/msroi-*.whl)
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "${wheel}[eval]"
if "$work/venv/bin/python" -c "import tensorflow" 2>/dev/null; then
  echo "wheel test: the core + eval install pulled in TensorFlow" >&2; exit 1
fi
cd "$work"
"$work/venv/bin/python" - <<'PY'
import numpy as np
from PIL import Image
from pathlib import Path

Path("photos").mkdir()
rng = np.random.default_rng(0)
for i in range(2):
    y, x = np.mgrid[0:192, 0:256]
    image = np.stack([(x + 40 * i) % 256, (y * 2) % 256, (x + y) % 256], -1).astype(np.float64)
    image[60:140, 80:180] = [200, 40 + 60 * i, 40]  # an object on a gradient
    image += rng.normal(0, 8, image.shape)
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(f"photos/p{i}.png")
PY
"$work/venv/bin/msroi" models >/dev/null
# the wheel carries the compiled trellis kernels (msroi.jpeg._kernels): no numba at start-up
"$work/venv/bin/python" -c "from msroi.jpeg import trellis; assert trellis.native_kernels() is not None, 'no C kernels in the wheel'"
"$work/venv/bin/msroi" compress photos/p0.png -o p0.jpg -q
test -s p0.jpg
"$work/venv/bin/msroi" decode p0.jpg -o p0.png -q
test -s p0.png
"$work/venv/bin/msroi" evaluate --data photos --out results -q --methods rdq --peers mozjpeg \
   --no-seeds --no-curves -j 1 >/dev/null
test -s results/summary.csv
echo "wheel test: ok ($(basename "$wheel"))"

#!/usr/bin/env bash
# Installs msroi on a fresh Debian/Ubuntu machine: system packages (ImageMagick for Wand,
# libjpeg-turbo's djpeg for the decoder tests, venv support), then a virtual environment in
# .venv with msroi, every extra (train, eval, paper) and the test tools.
# GPU machines: EXTRAS=gpu,eval,paper,test bash install.sh  (the CUDA build of TensorFlow
# instead of the CPU one; a venv that has the CPU build: pip uninstall tensorflow-cpu first).
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES="libmagickwand-6.q16-6 imagemagick libjpeg-turbo-progs libjxl-devtools"
missing=""
for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if ! python3 -m venv --help >/dev/null 2>&1; then missing="$missing python3-venv python3-pip"; fi
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[${EXTRAS:-all,test}]"
.venv/bin/python -c "import msroi, wand.image; from msroi.quiet import import_tensorflow; import_tensorflow(); print('msroi', msroi.__version__, 'installed in .venv')"

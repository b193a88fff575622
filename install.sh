#!/usr/bin/env bash
# Installs msroi on a fresh Debian/Ubuntu machine: system packages (ImageMagick for Wand,
# libjpeg-turbo's djpeg for the decoder tests, libjxl's butteraugli_main, venv support;
# chromium with WITH_BROWSER=1), then a virtual environment in .venv with msroi, every
# extra (train, eval, paper) and the test tools.
# GPU machines: EXTRAS=gpu,eval,paper,test bash install.sh  (the CUDA build of TensorFlow
# instead of the CPU one; a venv that has the CPU build: pip uninstall tensorflow-cpu first).
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES="libmagickwand-6.q16-6 imagemagick libjpeg-turbo-progs libjxl-devtools"
# WITH_BROWSER=1: also Debian's chromium, for the compare page's browser test (CI sets it)
if [ "${WITH_BROWSER:-0}" = 1 ]; then PACKAGES="$PACKAGES chromium"; fi
missing=""
for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if ! python3 -m venv --help >/dev/null 2>&1; then missing="$missing python3-venv python3-pip"; fi
LOG="${TMPDIR:-/tmp}/msroi-install.log"
: > "$LOG"
if [ -n "$missing" ]; then
  echo "installing system packages:$missing (log: $LOG)"
  $SUDO apt-get update -qq >>"$LOG" 2>&1
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >>"$LOG" 2>&1 \
    || { tail -20 "$LOG"; echo "install.sh: apt-get failed (log: $LOG)"; exit 1; }
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
echo "installing msroi[${EXTRAS:-all,test}] into .venv"
.venv/bin/python -m pip install -q --upgrade pip 2>>"$LOG"
# pip's output goes to the log (setuptools' note on editable installs, this machine's index
# configuration); on failure its end is shown
.venv/bin/python -m pip install -q -e ".[${EXTRAS:-all,test}]" >>"$LOG" 2>&1 \
  || { tail -30 "$LOG"; echo "install.sh: pip failed (log: $LOG)"; exit 1; }
.venv/bin/python -c "import msroi, wand.image; from msroi.quiet import import_tensorflow; import_tensorflow(); print('msroi', msroi.__version__, 'installed in .venv')"
echo "next: .venv/bin/python -m pytest    (the tests)"
echo "      .venv/bin/msroi compress PHOTO -o OUT.jpg    (see README.md)"

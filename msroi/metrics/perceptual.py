"""Whole-image perceptual metrics from maintained implementations: SSIMULACRA2 (the PyPI
package ``ssimulacra2``, in the ``[eval]`` extra) and Butteraugli (libjxl's
``butteraugli_main``, Debian ``libjxl-devtools``, where installed).

Both take RGB uint8 (H, W, 3) arrays, reference first; both implementations read files, so
the arrays go through lossless PNGs in a temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from msroi.errors import InvalidArgumentError, MsroiError


@contextlib.contextmanager
def _as_png_files(*images: np.ndarray):
    from PIL import Image

    shapes = {np.shape(i) for i in images}
    if len(shapes) != 1 or np.ndim(images[0]) != 3 or np.shape(images[0])[2] != 3:
        raise InvalidArgumentError(f"expected RGB images (H, W, 3) of one shape, got {sorted(shapes)}")
    with tempfile.TemporaryDirectory(prefix="msroi-metric-") as folder:
        paths = []
        for index, image in enumerate(images):
            path = Path(folder) / f"{index}.png"
            Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8)).save(path)
            paths.append(str(path))
        yield paths


def ssimulacra2(reference: np.ndarray, distorted: np.ndarray) -> float:
    """SSIMULACRA2 score of ``distorted`` against ``reference``: 100 = identical, ~90
    visually lossless, ~70 high quality, ~50 medium, below 30 low (the authors' scale).
    Needs the ``ssimulacra2`` package (``pip install 'msroi[eval]'``)."""
    try:
        from ssimulacra2 import compute_ssimulacra2
    except ImportError:
        raise MsroiError("SSIMULACRA2 needs the ssimulacra2 package (pip install 'msroi[eval]')") from None
    with _as_png_files(reference, distorted) as (a, b):
        return float(compute_ssimulacra2(a, b))


def butteraugli_available() -> bool:
    return shutil.which("butteraugli_main") is not None


def butteraugli(reference: np.ndarray, distorted: np.ndarray) -> tuple[float, float]:
    """Butteraugli distance of ``distorted`` from ``reference``: (max-norm, 3-norm); below
    ~1 is not visibly different. Runs libjxl's ``butteraugli_main`` (Debian
    ``libjxl-devtools``)."""
    if not butteraugli_available():
        raise MsroiError("Butteraugli needs libjxl's butteraugli_main (apt-get install libjxl-devtools)")
    with _as_png_files(reference, distorted) as (a, b):
        done = subprocess.run(["butteraugli_main", a, b], capture_output=True, text=True,
                              timeout=600, env={**os.environ, "LC_ALL": "C"})
    numbers = []
    for line in done.stdout.splitlines():
        with contextlib.suppress(ValueError):
            numbers.append(float(line.split(":")[-1].split()[0]))
    if done.returncode != 0 or len(numbers) < 2:
        raise MsroiError(f"butteraugli_main failed: {(done.stderr or done.stdout).strip()[:200]}")
    return numbers[0], numbers[1]

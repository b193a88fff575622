"""Shared fixtures: small photos from installed packages (never the benchmark folders) and helpers."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
from PIL import Image


def _resize(rgb: np.ndarray, width: int) -> np.ndarray:
    height = round(rgb.shape[0] * width / rgb.shape[1])
    return np.asarray(Image.fromarray(rgb).resize((width, height), Image.BICUBIC))


@pytest.fixture(scope="session")
def cat() -> np.ndarray:
    """skimage.data.chelsea() (a cat, 300x451) reduced to 200 px wide: RGB uint8."""
    import skimage.data

    return _resize(skimage.data.chelsea(), 200)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    import skimage.data

    return _resize(skimage.data.astronaut(), 160)


@pytest.fixture
def photo_file(tmp_path, cat) -> str:
    path = tmp_path / "cat.png"
    Image.fromarray(cat).save(path)
    return str(path)


@pytest.fixture(scope="session")
def classifier():
    """The default map model as the Keras network (the reference the export is held to)."""
    from msroi.maps import resolve_model

    return resolve_model("mobilenet_v2", runtime="keras")


@pytest.fixture(scope="session")
def lite_classifier():
    """The default map model through its LiteRT export (what users run)."""
    from msroi.maps import resolve_model

    return resolve_model("mobilenet_v2", runtime="litert")


def pytest_addoption(parser):
    parser.addoption("--regenerate-expected", action="store_true",
                     help="rewrite tests/expected/*.json from the current code (on purpose only)")


@pytest.fixture
def regenerate_expected(request) -> bool:
    return request.config.getoption("--regenerate-expected")

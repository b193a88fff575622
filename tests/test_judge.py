import numpy as np
import pytest
import skimage.data
from PIL import Image

from msroi.maps import baselines
from msroi.evaluation.judge import Judge


def _scene():
    """A cat (skimage.data.chelsea) pasted on a plain noisy grey canvas, and its box."""
    rng = np.random.default_rng(0)
    canvas = np.clip(rng.normal(170, 6, (300, 420, 3)), 0, 255).astype(np.uint8)
    canvas[90:270, 150:390] = np.asarray(Image.fromarray(skimage.data.chelsea()).resize((240, 180)))
    box = np.zeros(canvas.shape[:2], bool)
    box[90:270, 150:390] = True
    return canvas, box


@pytest.fixture(scope="module")
def judge(tmp_path_factory):
    return Judge(cache_dir=tmp_path_factory.mktemp("judge"))


def test_judge_finds_the_cat_and_nothing_in_noise(judge):
    scene, box = _scene()
    mask = judge.mask(scene)
    assert mask.shape == box.shape and mask.dtype == bool
    assert mask[box].mean() > 0.4          # a good part of the cat's box is object
    assert mask[~box].mean() < 0.05        # almost nothing outside it
    noise = np.random.default_rng(1).integers(0, 256, (200, 200, 3), dtype=np.uint8)
    assert not judge.mask(noise).any()


def test_judge_finds_the_astronaut(judge):
    mask = judge.mask(skimage.data.astronaut())
    assert 0.1 < mask.mean() < 0.9


def test_judge_masks_are_cached(judge, monkeypatch):
    scene, _ = _scene()
    first = judge.mask(scene)
    assert len(list(judge.cache_dir.glob("*.png"))) >= 1
    monkeypatch.setattr(judge, "object_probability", lambda image: pytest.fail("not cached"))
    np.testing.assert_array_equal(judge.mask(scene), first)


def test_baseline_maps(cat):
    centre = baselines.centre_gaussian(cat)
    assert centre.shape == cat.shape[:2] and centre.dtype == np.float32
    h, w = cat.shape[:2]
    assert centre[h // 2, w // 2] == pytest.approx(1.0, abs=0.01) and centre[0, 0] < 0.2
    residual = baselines.spectral_residual(cat)
    assert residual.shape == cat.shape[:2] and residual.min() == 0 and residual.max() == 1
    assert set(baselines.MAP_BASELINES) == {"centre", "spectral_residual"}

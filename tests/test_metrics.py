import io

import numpy as np
import pytest
from PIL import Image

from msroi import metrics
from msroi.metrics import protocol


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


@pytest.fixture(scope="module")
def pair():
    """skimage.data.astronaut() reduced to 256x256 and its JPEG at quality 30."""
    import skimage.data

    image = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((256, 256), Image.BICUBIC))
    return image, _jpeg(image, 30)


def test_psnr_known_value():
    a = np.full((10, 10, 3), 100, np.uint8)
    b = a + 5
    # MSE 25 -> 10 log10(255^2 / 25)
    assert metrics.peak_signal_noise_ratio(a, b) == pytest.approx(10 * np.log10(65025 / 25))
    assert metrics.peak_signal_noise_ratio(a, a) == float("inf")
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.peak_signal_noise_ratio(a, b[:5])


def test_psnr_hvs_and_hvs_m_match_psnr_hvsm_package(pair):
    # Cross-check: PyPI psnr-hvsm (numpy backend), which reproduces the published TID2013
    # values of the authors' reference code; it takes luma scaled to [0, 1].
    from psnr_hvsm import psnr_hvs_hvsm

    reference, test = (metrics.luma(x) for x in pair)
    expected_hvs, expected_hvsm = psnr_hvs_hvsm(reference / 255.0, test / 255.0)
    assert metrics.psnr_hvs(reference, test) == pytest.approx(float(expected_hvs), abs=1e-6)
    assert metrics.psnr_hvs_m(reference, test) == pytest.approx(float(expected_hvsm), abs=1e-6)
    assert metrics.psnr_hvs_m(reference, test) > metrics.psnr_hvs(reference, test)


def test_vifp_matches_sewar(pair):
    # Cross-check: PyPI sewar's vifp (a separate NumPy port of the authors' vifvec code).
    from sewar.full_ref import vifp

    reference, test = (metrics.luma(x) for x in pair)
    assert metrics.visual_information_fidelity(reference, test) == pytest.approx(
        vifp(reference, test), rel=1e-6)
    assert metrics.visual_information_fidelity(reference, reference) == pytest.approx(1.0)


def test_ssim_matches_tensorflow(pair):
    # Cross-check: tf.image.ssim (same Gaussian 11x11 sigma 1.5 window) on luma; TF uses
    # only 'valid' windows, scikit-image pads the borders: agreement to 5e-3.
    import tensorflow as tf

    reference, test = (metrics.luma(x) for x in pair)
    ours = metrics.structural_similarity(reference, test)
    theirs = float(tf.image.ssim(reference[..., None], test[..., None], 255.0))
    assert ours == pytest.approx(theirs, abs=5e-3)
    assert 0.5 < ours < 1.0


def test_ms_ssim_matches_sewar(pair):
    # Cross-check: sewar's msssim (same five weights; its SSIM uses a uniform window and
    # different downsampling, so the two agree only to ~3e-3 on this pair).
    from sewar.full_ref import msssim

    reference, test = (metrics.luma(x) for x in pair)
    ours = metrics.multiscale_structural_similarity(reference, test)
    assert ours == pytest.approx(float(np.real(msssim(reference, test, MAX=255))), abs=5e-3)
    assert metrics.multiscale_structural_similarity(reference, reference) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="161"):
        metrics.multiscale_structural_similarity(reference[:100], test[:100])


def test_studio_luma_levels():
    white = np.full((1, 1, 3), 255, np.uint8)
    black = np.zeros((1, 1, 3), np.uint8)
    assert metrics.studio_luma(white)[0, 0] == 235 and metrics.studio_luma(black)[0, 0] == 16


def test_protocols_return_the_six_metrics(pair):
    reference, test = pair
    paper = metrics.compute_metrics(reference, test, protocol="vqmt")
    rgb = metrics.compute_metrics(reference, test, protocol="rgb")
    assert tuple(paper) == tuple(rgb) == metrics.METRIC_NAMES
    better = metrics.compute_metrics(reference, _jpeg(reference, 90), protocol="vqmt")
    assert all(better[m] > paper[m] for m in metrics.METRIC_NAMES)
    a, b = protocol.vqmt_planes(reference[:250, :250], test[:250, :250])
    assert a.shape == (240, 240) and a.dtype == np.uint8
    with pytest.raises(ValueError, match="unknown protocol 'yuv' .choose from vqmt, rgb"):
        metrics.compute_metrics(reference, test, protocol="yuv")
    # the protocol's old name (before "paper" meant one thing) is still read
    assert metrics.compute_metrics(reference, test, protocol="paper") == paper


def test_region_metrics_on_synthetic_masks():
    rng = np.random.default_rng(3)
    reference = rng.integers(0, 200, (64, 64, 3), dtype=np.uint8)
    test = reference.copy()
    mask = np.zeros((64, 64), bool)
    mask[16:48, 16:48] = True
    test[mask] += 10  # all the error inside the mask
    assert metrics.error_share_inside(reference, test, mask) == pytest.approx(1.0)
    assert metrics.region_psnr(reference, test, mask) == pytest.approx(10 * np.log10(65025 / 100))
    assert metrics.region_psnr(reference, test, ~mask) == float("inf")
    assert metrics.region_ssim(reference, test, ~mask) > metrics.region_ssim(reference, test, mask)
    assert np.isnan(metrics.region_psnr(reference, test, np.zeros((64, 64), bool)))


def test_bd_rate_known_cases():
    rates = [100.0, 200.0, 400.0, 800.0, 1600.0]
    psnr = [30.0, 33.0, 35.5, 37.5, 39.0]
    for method in ("cubic", "pchip"):
        # The same quality at 80% of the bits everywhere is exactly -20%.
        assert metrics.bd_rate(rates, psnr, [0.8 * r for r in rates], psnr,
                               method=method) == pytest.approx(-20.0, abs=1e-9)
        assert metrics.bd_rate(rates, psnr, [1.5 * r for r in rates], psnr,
                               method=method) == pytest.approx(50.0, abs=1e-9)
    with pytest.raises(ValueError, match="overlap"):
        metrics.bd_rate(rates, psnr, rates, [p + 20 for p in psnr])


def test_dataset_aggregates():
    a = np.zeros((2, 2), np.uint8)
    # MSE 1 and 4 over equal sizes: one pooled MSE of 2.5
    assert metrics.dataset_psnr([(a, a + 1), (a, a + 2)]) == pytest.approx(10 * np.log10(65025 / 2.5))
    assert metrics.pixel_weighted_mean([1.0, 0.0], [3, 1]) == 0.75
    assert metrics.bits_per_pixel(1000, 8000) == 1.0


def test_map_scores():
    mask = np.zeros((20, 20), bool)
    mask[5:10, 5:10] = True
    assert metrics.map_auc(mask.astype(float), mask) == 1.0
    assert metrics.map_auc(1.0 - mask, mask) == 0.0
    assert metrics.map_auc(np.ones((20, 20)), mask) == 0.5
    assert metrics.mass_inside(mask.astype(float), mask) == 1.0
    assert metrics.mass_inside(np.ones((20, 20)), mask) == pytest.approx(25 / 400)
    assert np.isnan(metrics.map_auc(np.ones((20, 20)), np.zeros((20, 20), bool)))


def test_recall_at_area_on_hand_made_masks():
    mask = np.zeros((20, 20), bool)
    mask[5:10, 5:10] = True                                    # 25 object pixels
    recall = metrics.recall_at_area
    assert recall(mask.astype(float), mask) == 1.0             # perfect map
    assert recall(1.0 - mask, mask) == 0.0                     # inverted map
    assert recall(np.ones((20, 20)), mask) == pytest.approx(25 / 400)  # constant: chance
    shifted = np.zeros((20, 20))
    shifted[5:10, 7:12] = 1.0                                  # the object moved 2 columns
    assert recall(shifted, mask) == pytest.approx(15 / 25)    # overlap 5 x 3
    blob = np.zeros((20, 20))
    blob[3:12, 3:12] = 1.0                                     # a 81-pixel blob around it
    assert recall(blob, mask) == pytest.approx(25 / 81)       # 25 of its 81 tied pixels taken
    ramp = np.zeros((20, 20))
    ramp[5:10, 5:10] = np.arange(25).reshape(5, 5) / 25.0      # graded inside, 0 outside
    ramp[0, :10] = 0.5                                         # 10 bright pixels outside
    # the top 25: the 10 outside at 0.5 and the 15 inside from 0.40 to 0.96
    assert recall(ramp + 0.001, mask) == pytest.approx(15 / 25)
    assert np.isnan(recall(np.ones((20, 20)), np.zeros((20, 20), bool)))
    assert np.isnan(recall(np.ones((20, 20)), np.ones((20, 20), bool)))


def test_ms_ssim_equals_tensorflow(pair):
    # The reference the NumPy implementation transcribes: tf.image.ssim_multiscale (the
    # metric the paper's numbers were made with), on luma and on RGB with odd sizes.
    import tensorflow as tf

    for reference, test in ((metrics.luma(x) for x in pair), (x[:173, :199] for x in pair)):
        reference, test = np.asarray(reference), np.asarray(test)
        expand = (lambda x: x[None, ..., None]) if reference.ndim == 2 else (lambda x: x[None])
        theirs = float(tf.image.ssim_multiscale(tf.constant(expand(reference), tf.float32),
                                                tf.constant(expand(test), tf.float32), 255.0)[0])
        assert metrics.multiscale_structural_similarity(reference, test) == pytest.approx(theirs, abs=2e-5)


def test_whole_image_perceptual_metrics_order_qualities():
    """SSIMULACRA2 (the ssimulacra2 package) and Butteraugli (libjxl's butteraugli_main,
    where installed) agree on which of two JPEGs is better and on an identical copy."""
    import skimage.data

    from msroi.metrics.perceptual import butteraugli, butteraugli_available, ssimulacra2

    pytest.importorskip("ssimulacra2")
    image = skimage.data.astronaut()[:192, :192]

    def jpeg(quality):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, "JPEG", quality=quality)
        return np.asarray(Image.open(buffer))

    low, high = jpeg(20), jpeg(90)
    assert ssimulacra2(image, image) == pytest.approx(100.0)
    assert ssimulacra2(image, low) < ssimulacra2(image, high) < 100.0
    if butteraugli_available():
        assert butteraugli(image, image)[0] == pytest.approx(0.0, abs=1e-6)
        assert butteraugli(image, low)[0] > butteraugli(image, high)[0] > 0


def test_weighted_psnr_of_constant_and_concentrated_weights():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (20, 30, 3)).astype(np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-9, 10, a.shape), 0, 255).astype(np.uint8)
    assert metrics.weighted_psnr(a, b, np.full((20, 30), 7.0)) == pytest.approx(
        metrics.peak_signal_noise_ratio(a, b))
    one = np.zeros((20, 30))
    one[4, 5] = 1.0  # all the weight on one pixel: that pixel's PSNR
    error = ((a[4, 5].astype(float) - b[4, 5]) ** 2).mean()
    assert metrics.weighted_psnr(a, b, one) == pytest.approx(10 * np.log10(255 ** 2 / error))
    assert metrics.psnr_hvs_m_rgb(a, a) == float("inf")


def test_weighted_ssim_of_constant_and_concentrated_weights():
    rng = np.random.default_rng(5)
    a = rng.integers(0, 256, (24, 32, 3)).astype(np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-20, 21, a.shape), 0, 255).astype(np.uint8)
    assert metrics.weighted_ssim(a, b, np.full((24, 32), 3.0)) == pytest.approx(
        metrics.structural_similarity(a, b))
    one = np.zeros((24, 32))
    one[10, 12] = 1.0  # all the weight on one pixel: that pixel's SSIM, channels averaged
    assert metrics.weighted_ssim(a, b, one) == pytest.approx(metrics.ssim_map(a, b)[10, 12].mean())
    assert metrics.weighted_ssim(a, a, one) == pytest.approx(1.0)


def test_bytes_at_quality_interpolates_in_log_bytes():
    sizes, values = [1000, 4000, 2000], [30.0, 40.0, 35.0]  # any order
    assert metrics.bytes_at_quality(sizes, values, 35.0) == pytest.approx(2000)
    assert metrics.bytes_at_quality(sizes, values, 32.5) == pytest.approx(np.sqrt(1000 * 2000))
    assert metrics.bytes_at_quality(sizes, values, 45.0) == pytest.approx(8000)  # extrapolated
    assert metrics.bytes_at_quality(sizes, values, 25.0) == pytest.approx(500)
    with pytest.raises(ValueError, match="2 points"):
        metrics.bytes_at_quality([1000], [30.0], 30.0)

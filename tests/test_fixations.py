"""Fixation metrics against hand-made cases with known answers, and the data-set reader."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from msroi.metrics.fixations import (
    auc_judd,
    correlation_coefficient,
    fixation_density,
    fixation_pixels,
    fixation_scores,
    human_ceiling,
    kl_divergence,
    nss,
    shuffled_auc,
    similarity,
)

SHAPE = (60, 80)
# three viewers' worth of fixations around two spots
FIXATIONS = np.array([[20, 15], [21, 16], [19, 14], [60, 40], [61, 41], [59, 39]], float)


def test_nss_of_a_hand_computed_case():
    importance = np.array([[0.0, 0.0], [0.0, 1.0]])
    # z of the peak: (1 - 0.25) / sqrt(0.25 * 0.75)
    assert nss(importance, [[1, 1]]) == pytest.approx(0.75 / math.sqrt(0.1875))
    assert nss(importance, [[0, 0]]) == pytest.approx(-0.25 / math.sqrt(0.1875))
    assert math.isnan(nss(np.ones((4, 4)), [[1, 1]]))  # constant map: undefined


def test_perfect_constant_inverted_and_shifted_maps():
    density = fixation_density(FIXATIONS, SHAPE, sigma=3)
    perfect = fixation_scores(density, FIXATIONS, density)
    assert perfect["cc"] == pytest.approx(1) and perfect["sim"] == pytest.approx(1)
    assert perfect["kl"] == pytest.approx(0, abs=1e-9) and perfect["auc_judd"] > 0.99
    assert perfect["nss"] > 5
    constant = fixation_scores(np.ones(SHAPE), FIXATIONS, density)
    assert constant["auc_judd"] == pytest.approx(0.5) and math.isnan(constant["nss"])
    inverted = fixation_scores(density.max() - density, FIXATIONS, density)
    assert inverted["auc_judd"] < 0.05 and inverted["nss"] < 0 and inverted["cc"] < 0
    fixated = fixation_pixels(FIXATIONS, SHAPE)
    assert auc_judd(1.0 - fixated, FIXATIONS) == 0.0  # every fixated pixel ranked last
    shifted = np.roll(density, (0, 15), axis=(0, 1))  # the right shape in the wrong place
    moved = fixation_scores(shifted, FIXATIONS, density)
    assert moved["nss"] < perfect["nss"] and moved["cc"] < 0.2 and moved["sim"] < 0.2
    assert moved["kl"] > perfect["kl"] + 1


def test_similarity_and_kl_closed_forms():
    half = np.array([[1.0, 1.0]])
    one = np.array([[1.0, 0.0]])
    assert similarity(half, one) == pytest.approx(0.5)
    assert similarity(np.array([[0.0, 1.0]]), one) == pytest.approx(0.0)
    assert kl_divergence(half, one) == pytest.approx(math.log(2), rel=1e-9)  # Q=(1,0), P=(.5,.5)
    assert correlation_coefficient(half * 0 + [[0, 1]], one) == pytest.approx(-1)


def test_shuffled_auc_discounts_a_centre_bias():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    centre = np.exp(-((yy - 30) ** 2 + (xx - 40) ** 2) / (2 * 12.0 ** 2))
    here = rng.normal([40, 30], 8, (200, 2))
    elsewhere = rng.normal([40, 30], 8, (2000, 2))  # other photos, the same centre bias
    assert auc_judd(centre, here) > 0.8  # a centre blob looks good against all pixels ...
    assert abs(shuffled_auc(centre, here, elsewhere) - 0.5) < 0.05  # ... but not when shuffled
    spot = fixation_density(here[:20], SHAPE, sigma=2)
    assert shuffled_auc(spot, here[:20], elsewhere) > 0.8


def test_density_sigma_in_degrees_and_pixels_agree():
    a = fixation_density(FIXATIONS, SHAPE, sigma=6)
    b = fixation_density(FIXATIONS, SHAPE, sigma_degrees=0.5, pixels_per_degree=12)
    assert np.allclose(a, b) and a.sum() == pytest.approx(1)
    assert fixation_pixels([[79.4, 59.4], [100, 5], [-1, 3]], SHAPE).sum() == 1


def test_human_ceiling_of_viewers_who_agree_and_who_do_not():
    rng = np.random.default_rng(1)
    subjects = np.repeat(np.arange(8), 10)
    agree = rng.normal([40, 30], 2, (80, 2))
    ceiling = human_ceiling(agree, subjects, SHAPE, sigma=3)
    assert ceiling["cc"] > 0.9 and ceiling["auc_judd"] > 0.95
    scattered = np.column_stack([rng.uniform(0, 80, 80), rng.uniform(0, 60, 80)])
    assert human_ceiling(scattered, subjects, SHAPE, sigma=3)["cc"] < ceiling["cc"] - 0.3


def test_fixation_set_reader_and_split(tmp_path):
    from msroi.errors import MsroiError
    from msroi.fixations import FixationSet

    (tmp_path / "images").mkdir()
    rows = ["image,subject,x,y,duration_ms"]
    for i in range(10):
        Image.new("RGB", (40 + i, 30)).save(tmp_path / "images" / f"{i}.jpg")
        rows += [f"{i}.jpg,{s},{5 + s},{6 + i},200" for s in range(3)]
    rows.append("gone.jpg,0,1,1,100")  # a photo that is not there
    (tmp_path / "fixations.csv").write_text("\n".join(rows) + "\n")
    data = FixationSet(tmp_path)
    assert len(data) == 10 and data.missing == ["gone.jpg"]
    photo = data.photo("3.jpg")
    assert photo.size == (30, 43) and photo.fixations.shape == (3, 2)
    assert photo.fixations[0].tolist() == [5.0, 9.0] and photo.subjects.tolist() == [0, 1, 2]
    assert photo.density().shape == (30, 43)
    train, validation = data.split()
    assert len(validation) == 2 and not set(train) & set(validation)
    assert data.split() == (train, validation)  # fixed seed: the same split everywhere
    others = data.other_fixations("3.jpg", (60, 86))  # twice the size: points scaled
    assert others.shape == (27, 2) and others[:, 0].max() > 10
    (tmp_path / "bad.csv").write_text("image,x\n1.jpg,3\n")
    with pytest.raises(MsroiError, match="needs the columns"):
        FixationSet(tmp_path / "bad.csv")


def test_evaluate_with_fixations_scores_maps_against_people_and_weights_psnr(tmp_path, cat):
    from msroi.evaluation import benchmark
    from msroi.evaluation.report import format_report

    photo = tmp_path / "cat.png"
    Image.fromarray(cat).save(photo)
    rng = np.random.default_rng(0)
    rows = ["image,subject,x,y"] + [f"cat.png,{s},{x:.1f},{y:.1f}" for s in range(4)
                                    for x, y in rng.normal([100, 60], 10, (5, 2))]
    csv_path = tmp_path / "fixations.csv"
    csv_path.write_text("\n".join(rows) + "\n")
    settings = benchmark.EvaluateSettings(methods=("rdq",), peers=("mozjpeg",), mixing_models=(),
                                         curve_qualities=(30, 50, 70, 90), judge=False, oracle=True,
                                         fixations=str(csv_path), perceptual=True)
    result = benchmark.evaluate([photo], settings, progress=False)
    maps_scored = set(result.fixation_scores["map"])
    assert {"human ceiling (half the viewers)", "msroi", "centre"} <= maps_scored
    assert result.fixation_scores.nss.notna().all()
    methods = set(result.per_image.method)
    assert "msroi-rdq+people" in methods and result.per_image.fixation_psnr.notna().all()
    summary = result.summary.set_index("method")
    assert np.isfinite(summary.loc["msroi-rdq", "d_fixation_psnr"])
    assert 0 < summary.loc["msroi-rdq", "fixation_ssim"] <= 1
    assert 0 < summary.loc["msroi-rdq", "ssimulacra2"] <= 100  # whole-image guard in every row
    from msroi.metrics.perceptual import butteraugli_available

    assert ("butteraugli" in summary) == butteraugli_available()
    savings = result.people_savings.set_index("method")
    # mozjpeg against its own curve at the budget: about 1 (the curve passes near its file)
    assert 0.8 < savings.loc["mozjpeg", "bytes_vs_mozjpeg"] < 1.25
    assert np.isfinite(savings.loc["msroi-rdq", "bytes_vs_jpegli"] if "bytes_vs_jpegli" in savings
                       else savings.loc["msroi-rdq", "bytes_vs_mozjpeg"])
    report = format_report(result)
    assert "Maps against people" in report and "same fixation-weighted PSNR" in report


def test_map_overlay_shows_where_people_looked(tmp_path, cat):
    from msroi import cli

    photo = tmp_path / "cat.png"
    Image.fromarray(cat).save(photo)
    (tmp_path / "fixations.csv").write_text("image,subject,x,y\ncat.png,0,50,40\ncat.png,1,120,90\n")
    overlay = tmp_path / "overlay.png"
    assert cli.main(["map", str(photo), "-o", str(tmp_path / "m.png"), "--overlay", str(overlay),
                     "--fixations", str(tmp_path / "fixations.csv"), "-q"]) == 0
    pixels = np.asarray(Image.open(overlay))
    assert (pixels[40, 50] == 255).all() and (pixels[90, 120] == 255).all()
    (tmp_path / "other.csv").write_text("image,subject,x,y\nelse.png,0,5,4\n")
    assert cli.main(["map", str(photo), "-o", str(tmp_path / "m2.png"), "--overlay",
                     str(tmp_path / "o2.png"), "--fixations", str(tmp_path / "other.csv"), "-q"]) == 2

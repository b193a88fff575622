"""The quality-target mode (--match qN): the pure search with a fake measure, the result on a
synthetic photo, and the command for a file and a folder."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from msroi import cli, pipeline
from msroi.metrics import weighted_psnr
from msroi.rate import QualityTarget, lowest_reaching


def test_lowest_reaching_bisects_a_growing_measure():
    calls = []

    def measure(quality):
        calls.append(quality)
        return 20 + 0.25 * quality  # 40 dB at quality 80

    assert lowest_reaching(measure, 40.0) == 80
    assert len(calls) == len(set(calls)) <= 8  # each quality measured once, ~log2(100) tries
    assert lowest_reaching(measure, 20.5) == 2 and lowest_reaching(measure, 20.0) == 1
    assert lowest_reaching(measure, 46.0) is None  # beyond quality 100
    with pytest.raises(ValueError, match="q80"):
        QualityTarget.parse("80")


def test_match_reaches_the_standard_jpeg_where_the_map_looks_in_fewer_bytes(cat):
    from msroi.jpeg.standard import decode, encode_pillow

    importance = np.zeros(cat.shape[:2], np.float32) + 0.1
    importance[30:110, 50:150] = 1.0  # the cat's head region matters
    result = pipeline.compress(cat, importance=importance, match="q80")
    report = result.report
    standard = encode_pillow(cat, 80)
    weights = pipeline.make_codec("rdq").distortion_weights(importance)  # as the encoder weighs
    # the objective's weight (strength x w + 1): w = the map read as a density, mean 1
    from msroi.codecs.rdq import DENSITY_EXPONENT, STRENGTHS

    density = importance.astype(np.float64) ** DENSITY_EXPONENT
    w = density / density.mean()
    strength = STRENGTHS["balanced"]
    assert weights[60, 100] / weights[0, 0] == pytest.approx((strength * w[60, 100] + 1) / (strength * w[0, 0] + 1))
    target = weighted_psnr(cat, decode(standard), weights)
    assert report["target_map_psnr"] == pytest.approx(target)
    assert weighted_psnr(cat, decode(result.data), weights) >= target
    assert len(result.data) < len(standard) == report["standard_bytes"]
    assert report["psnr_hvs_m"] >= report["mozjpeg_psnr_hvs_m_same_bytes"]  # the guard held
    with pytest.raises(ValueError, match="not both"):
        pipeline.compress(cat, importance=importance, match="q80", budget="q50")


def test_match_from_the_command_line_for_a_file_and_a_folder(tmp_path, cat, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(cat).save(folder / "cat.png")
    Image.fromarray(cat[:, ::-1].copy()).save(folder / "tac.png")
    out = tmp_path / "cat.jpg"
    assert cli.main(["compress", str(folder / "cat.png"), "-o", str(out), "--match", "q75"]) == 0
    line = capsys.readouterr().out
    assert "as good as the standard JPEG at quality 75" in line and "fewer bytes" in line
    assert cli.main(["compress", str(folder), "-o", str(tmp_path / "out"), "--match", "q75",
                     "-q"]) == 0
    with open(tmp_path / "out" / "msroi-report.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and all(int(r["bytes"]) < int(r["standard_bytes"]) for r in rows)
    assert all(r["match_quality"] == "75" for r in rows)
    assert cli.main(["compress", str(folder / "cat.png"), "-o", str(tmp_path / "x.jpg"),
                     "--match", "q75", "--budget", "q50"]) == 2
    assert "cannot be combined" in capsys.readouterr().err

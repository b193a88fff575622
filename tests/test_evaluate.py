import pandas as pd
import pytest
import skimage.data
from PIL import Image

from msroi import cli

from msroi.evaluation import paper_table


@pytest.fixture
def three_images(tmp_path):
    """Three small photos from scikit-image, 240 px wide (MS-SSIM needs >= 161 px)."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("chelsea", "astronaut", "coffee"):
        rgb = getattr(skimage.data, name)()
        h = round(rgb.shape[0] * 240 / rgb.shape[1])
        Image.fromarray(rgb).resize((240, max(h, 176)), Image.BICUBIC).save(folder / f"{name}.png")
    return folder


@pytest.mark.slow
def test_evaluate_cli_on_three_images(three_images, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MSROI_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "results"
    assert cli.main(["evaluate", "--data", str(three_images), "--out", str(out), "-q",
                     "--peers", "mozjpeg", "jpegli"]) == 0
    printed = capsys.readouterr().out
    assert "At the budget of the standard JPEG at quality 50" in printed and "BD-rate" in printed
    for name in ("per_image.csv", "summary.csv", "curves.csv", "bd_rates.csv", "map_scores.csv",
                 "rate_quality.png"):
        assert (out / name).is_file(), name
    per_image = pd.read_csv(out / "per_image.csv")
    expected = {"jpeg", "msroi-paper", "msroi-rdq",
                "msroi-rdq-objects", "mozjpeg", "jpegli"} | {f"original-m{k}" for k in range(1, 7)}
    assert set(per_image.method) == expected
    budget = per_image[per_image.method == "jpeg"].set_index("image").bytes
    for _, row in per_image.iterrows():
        assert row.bytes <= budget[row.image], row.method  # nobody exceeds the budget
    assert per_image.psnr_hvs_m.notna().all() and per_image.ms_ssim.notna().all()
    assert per_image.region_psnr.notna().sum() > 0  # the judge finds the cat and the astronaut
    bd = pd.read_csv(out / "bd_rates.csv")
    mozjpeg_vs_turbo = bd[(bd.method == "mozjpeg") & (bd.anchor == "libjpeg-turbo")].bd_rate_psnr
    assert float(mozjpeg_vs_turbo.iloc[0]) < 0  # mozjpeg needs fewer bits: a sanity anchor
    assert (tmp_path / "cache" / "judge").is_dir()


LOG = """\
/x/kodak/a.png 6 1000 100 102 50 54  |  30.0 0.9 0.98 0.5 31.0 35.0  |  30.2 0.91 0.981 0.51 31.1 35.3  |
/x/kodak/b.png 6 1000 200 201 50 53  |  32.0 0.9 0.98 0.5 33.0 37.0  |  32.1 0.9 0.98 0.5 33.0 37.1  |
"""


def test_paper_log_reading_and_side_by_side(tmp_path):
    path = tmp_path / "log"
    path.write_text(LOG)
    paper = paper_table.read_paper_log(path)
    assert list(paper.image) == ["a.png", "b.png"]
    assert paper.jpeg_bytes.tolist() == [100, 200] and paper.ours_psnr_hvs_m.tolist() == [35.3, 37.1]
    ours = paper.copy()
    ours["ours_psnr"] = ours.jpeg_psnr + 0.5
    table = paper_table.side_by_side(ours, paper)
    assert table.iloc[-1].image == "mean"
    assert table.iloc[-1].paper_d_psnr == pytest.approx(0.15)
    assert table.iloc[-1].our_d_psnr == pytest.approx(0.5)
    bad = tmp_path / "bad"
    bad.write_text("nothing here\n")
    with pytest.raises(ValueError, match="no log lines"):
        paper_table.read_paper_log(bad)


def test_evaluate_oracle_rows_use_the_judge_masks(three_images, tmp_path, monkeypatch):
    monkeypatch.setenv("MSROI_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "results"
    assert cli.main(["evaluate", "--data", str(three_images), "--out", str(out), "-q",
                     "--methods", "rdq", "--peers", "mozjpeg", "--no-mixing-models", "--no-curves",
                     "--oracle"]) == 0
    per_image = pd.read_csv(out / "per_image.csv")
    scores = pd.read_csv(out / "map_scores.csv")  # every map table has recall beside AUC
    assert scores.recall_at_area.between(0, 1).all() and scores.auc.notna().all()
    with_objects = per_image[per_image.method == "jpeg"].dropna(subset=["region_psnr"]).image
    oracle = per_image[per_image.method == "msroi-rdq-objects+oracle"]
    assert set(oracle.image) == set(with_objects) and len(oracle) > 0
    assert set(per_image.method) >= {"msroi-rdq", "msroi-rdq+oracle", "msroi-rdq-objects"}
    budget = per_image[per_image.method == "jpeg"].set_index("image").bytes
    assert all(row.bytes <= budget[row.image] for _, row in oracle.iterrows())


def test_summary_compares_a_method_on_the_images_it_ran_on():
    from msroi.evaluation.tables import METRIC_NAMES, summarize

    rows = []
    for image, quality in (("a", 30.0), ("b", 40.0)):
        for method, gain in (("jpeg", 0.0), ("x", 1.0)):
            rows.append({"image": image, "method": method, "bytes": 100, "pixels": 10,
                         "sse": 1.0, "samples": 3, "seconds": 0.0,
                         **{m: quality + gain for m in METRIC_NAMES}})
    rows.append({"image": "b", "method": "x+oracle", "bytes": 100, "pixels": 10, "sse": 1.0, "seconds": 0.0,
                 "samples": 3, **{m: 42.0 for m in METRIC_NAMES}})  # ran on image b only
    summary = summarize(pd.DataFrame(rows)).set_index("method")
    assert summary.loc["x", "d_psnr"] == pytest.approx(1.0)
    assert summary.loc["x+oracle", "d_psnr"] == pytest.approx(2.0)  # against b's 40, not the mean 35
    assert summary.loc["x+oracle", "wins_psnr_hvs_m"] == 1


def test_variant_curves_and_chosen_curve_qualities(three_images, tmp_path, monkeypatch):
    monkeypatch.setenv("MSROI_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "results"
    assert cli.main(["evaluate", "--data", str(three_images), "--out", str(out), "-q",
                     "--methods", "rdq", "--peers", "mozjpeg", "--no-seeds", "--no-judge",
                     "--variant-curves", "--curve-qualities", "40", "70"]) == 0
    curves = pd.read_csv(out / "curves.csv")
    assert set(curves.point) == {40, 70}
    assert {"msroi-rdq", "msroi-rdq-objects", "mozjpeg", "libjpeg-turbo"} <= set(curves.method)
    bd = pd.read_csv(out / "bd_rates.csv")
    assert "msroi-rdq-objects" in set(bd.method)

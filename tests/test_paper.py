
import numpy as np
import pytest
from PIL import Image

import combine_images
from support.conformance import frame_type
from msroi.jpeg.standard import decode
from msroi.codecs.paper import MIXING_MODELS, PaperCodec, mix, quality_ladder, quality_levels
from support.paper_reference import literal_mix
from decoders import assert_standard_jpeg


def _maps(shape):
    rng = np.random.default_rng(7)
    ties = rng.choice(np.array([0, 10, 10, 50, 128, 128, 128, 200, 255], np.uint8), shape)
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    gradient = ((xx + yy) * 255 // (shape[0] + shape[1] - 2)).astype(np.uint8)
    return {"ties": ties, "random": rng.integers(0, 256, shape, dtype=np.uint8),
            "gradient": gradient}


@pytest.fixture(scope="module")
def small(cat):
    return np.ascontiguousarray(cat[40:64, 60:92])  # 24 x 32


@pytest.mark.parametrize("mixing_model", MIXING_MODELS)
def test_mixing_models_equal_the_literal_loop(small, mixing_model):
    ladder = quality_ladder(small)
    assert ladder.shape == (10, *small.shape)
    for name, importance in _maps(small.shape[:2]).items():
        expected = literal_mix(ladder, importance, mixing_model)
        got = mix(ladder, quality_levels(importance, mixing_model))
        np.testing.assert_array_equal(got, expected, err_msg=f"mixing model {mixing_model}, map {name}")


def test_levels_stay_in_range_and_zero_map_is_safe():
    zero = np.zeros((4, 5), np.uint8)
    assert np.all(quality_levels(zero, 2) == 2)  # 0 // 0 handled: -1 + 3
    for model in MIXING_MODELS:
        levels = quality_levels(np.arange(256, dtype=np.uint8).reshape(16, 16), model)
        assert levels.min() >= 1 and levels.max() <= 9
    with pytest.raises(ValueError, match="unknown mixing model"):
        quality_levels(zero, 7)


def test_model_6_uses_quality_80_and_100(small):
    importance = np.zeros(small.shape[:2], np.uint8)
    importance[:, 16:] = 255
    levels = quality_levels(importance, 6)
    assert set(np.unique(levels[:, :16])) == {7} and set(np.unique(levels[:, 16:])) == {9}


def _write_inputs(tmp_path, image):
    image_path = tmp_path / "photo.png"
    Image.fromarray(image).save(image_path)
    h, w = image.shape[:2]
    importance = np.zeros((h // 2, w // 2), np.uint8)  # another size: resized to the image
    importance[h // 8: 3 * h // 8, w // 8: 3 * w // 8] = 255
    map_path = tmp_path / "map.jpg"
    Image.fromarray(importance).save(map_path, quality=95)
    return str(image_path), str(map_path)


def test_combine_images_keeps_a_1_percent_budget(tmp_path, cat):
    image_path, map_path = _write_inputs(tmp_path, cat)
    out = tmp_path / "out"
    status = combine_images.main(["-image", image_path, "-map", map_path, "-threshold_pct", "1",
                                  "-output_directory", str(out)])
    assert status == 0
    standard = (out / "_original_photo.png_50.jpg").read_bytes()
    ours = (out / "_compressed_photo.png_.jpg").read_bytes()
    assert len(ours) <= 1.01 * len(standard)
    for data in (standard, ours):
        assert_standard_jpeg(data, cat.shape[:2])
    assert sorted(p.name for p in out.iterdir()) == ["_compressed_photo.png_.jpg",
                                                     "_original_photo.png_50.jpg"]


def test_combine_images_fixed_qualities_and_imagemagick(tmp_path, cat):
    image_path, map_path = _write_inputs(tmp_path, cat)
    out = tmp_path / "out"
    assert combine_images.main(["-image", image_path, "-map", map_path, "-find_best", "0",
                                "-modifier", "m6_", "-use_convert", "1", "-model", "4",
                                "-output_directory", str(out)]) == 0
    sizes = [len((out / f"m6_photo.png_{q}.jpg").read_bytes()) for q in (100, 85, 65, 45)]
    assert sizes == sorted(sizes, reverse=True)
    for q in (100, 45):
        assert_standard_jpeg((out / f"m6_photo.png_{q}.jpg").read_bytes(), cat.shape[:2])


def test_combine_images_reports_a_missed_budget(tmp_path, cat, capsys):
    image_path, map_path = _write_inputs(tmp_path, cat)
    out = tmp_path / "out"
    status = combine_images.main(["-image", image_path, "-map", map_path, "-jpeg_compression", "2",
                                  "-threshold_pct", "0", "-output_directory", str(out)])
    assert status == 1
    err = capsys.readouterr().err
    assert "no quality from 90 down to 21" in err and "photo.png" in err
    assert (out / "_compressed_photo.png_.jpg").exists()


def test_combine_images_print_metrics_and_bad_map(tmp_path, cat, capsys):
    image_path, map_path = _write_inputs(tmp_path, cat)
    out = tmp_path / "out"
    assert combine_images.main(["-image", image_path, "-map", map_path, "-print_metrics", "1",
                                "-output_directory", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    fields = line.split("|")
    assert fields[0].split()[0] == image_path and len(fields) == 4
    assert 25 < float(fields[1].split()[0]) < 60
    assert combine_images.main(["-image", image_path, "-map", str(tmp_path / "none.jpg"),
                                "-output_directory", str(out)]) == 2
    assert "none.jpg: no such file" in capsys.readouterr().err


def test_paper_codec_is_baseline_with_optimised_huffman(cat):
    codec = PaperCodec()
    importance = np.zeros(cat.shape[:2], np.float32)
    importance[:, cat.shape[1] // 2:] = 1.0
    with codec.prepare(cat, importance) as state:
        data = codec.encode(state, 60)
        plain = PaperCodec(optimize=False).encode(state, 60)
    assert frame_type(data) == "baseline"
    assert_standard_jpeg(data, cat.shape[:2])
    # the same scan with optimised Huffman tables: smaller, and the same pixels
    assert len(data) < len(plain)
    np.testing.assert_array_equal(decode(data), decode(plain))

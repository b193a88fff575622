import io as _io

import numpy as np
import pytest
from PIL import Image

import generate_map
import msroi
from msroi import cli
from msroi.jpeg.standard import encode_pillow
from decoders import assert_standard_jpeg


def test_map_command_writes_map_and_overlay(tmp_path, photo_file, cat, capsys):
    out, overlay = tmp_path / "map.png", tmp_path / "overlay.png"
    assert cli.main(["map", photo_file, "-o", str(out), "--overlay", str(overlay),
                     "--top-k", "3"]) == 0
    grey = np.asarray(Image.open(out))
    assert grey.shape == cat.shape[:2] and grey.dtype == np.uint8 and grey.max() == 255
    assert np.asarray(Image.open(overlay)).shape == cat.shape
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and "cat" in lines[0]


def test_compress_one_image_within_budget(tmp_path, photo_file, cat, capsys):
    out = tmp_path / "cat.jpg"
    assert cli.main(["compress", photo_file, "-o", str(out)]) == 0
    data = out.read_bytes()
    assert len(data) <= len(encode_pillow(cat, 50))
    assert_standard_jpeg(data, cat.shape[:2], baseline=False)  # the default rdq file is progressive
    assert "bytes (limit" in capsys.readouterr().out


def test_compress_with_a_given_map_and_bpp_budget(tmp_path, photo_file, cat):
    map_path = tmp_path / "map.png"
    grey = np.zeros((cat.shape[0] // 2, cat.shape[1] // 2), np.uint8)
    grey[:, : grey.shape[1] // 2] = 255
    Image.fromarray(grey).save(map_path)
    out = tmp_path / "cat.jpg"
    assert cli.main(["compress", photo_file, "-o", str(out), "--map", str(map_path),
                     "--budget", "0.7bpp", "--method", "paper", "--mixing-model", "5"]) == 0
    assert len(out.read_bytes()) * 8 <= 0.7 * cat.shape[0] * cat.shape[1]
    # the map steered the file: the half it marks is kept better than with the map mirrored
    Image.fromarray(grey[:, ::-1].copy()).save(tmp_path / "mirrored.png")
    assert cli.main(["compress", photo_file, "-o", str(tmp_path / "m.jpg"), "--map",
                     str(tmp_path / "mirrored.png"), "--budget", "0.7bpp", "--method", "paper",
                     "--mixing-model", "5", "-q"]) == 0
    left = slice(0, cat.shape[1] // 2 - 8)

    def left_error(path):
        decoded = np.asarray(Image.open(path).convert("RGB"), np.float64)
        return ((decoded - cat)[:, left] ** 2).mean()

    assert left_error(out) < 0.9 * left_error(tmp_path / "m.jpg")


def test_codec_options_reach_their_codec_and_stray_ones_are_refused(tmp_path, photo_file, capsys):
    from msroi.codecs.paper import PaperCodec

    seen = []
    original = PaperCodec.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        seen.append(self.settings.mixing_model)

    PaperCodec.__init__ = spy
    try:
        assert cli.main(["compress", photo_file, "-o", str(tmp_path / "a.jpg"), "-q",
                         "--method", "paper", "--mixing-model", "3"]) == 0
    finally:
        PaperCodec.__init__ = original
    assert 3 in seen  # the option set the codec's setting (it was silently dropped before)
    capsys.readouterr()
    assert cli.main(["compress", photo_file, "-o", str(tmp_path / "b.jpg"),
                     "--mixing-model", "3"]) == 2  # rdq has no mixing model
    assert "--mixing-model does not apply to method rdq" in capsys.readouterr().err
    assert not (tmp_path / "b.jpg").exists()


def test_compress_folder_goes_past_bad_files(tmp_path, cat, astronaut, capsys):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    Image.fromarray(cat).save(src / "a.png")
    Image.fromarray(astronaut).save(src / "sub" / "b.jpg", quality=95)
    (src / "sub" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (src / "empty.jpg").write_bytes(b"")
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}
    out = tmp_path / "out"
    status = cli.main(["compress", str(src), "-o", str(out), "-q"])
    assert status == 1
    assert (out / "a.jpg").is_file() and (out / "sub" / "b.jpg").is_file()
    assert not (out / "sub" / "broken.jpg").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and any("broken.png" in e for e in err) and any("empty.jpg" in e for e in err)
    import pandas as pd

    report = pd.read_csv(out / "msroi-report.csv")
    assert len(report) == 4 and report["error"].notna().sum() == 2
    assert {p: p.read_bytes() for p in src.rglob("*") if p.is_file()} == before
    assert not [p for p in out.rglob("*.tmp")]


def test_compress_refuses_to_overwrite_its_input(tmp_path, cat, capsys):
    path = tmp_path / "x.jpg"
    Image.fromarray(cat).save(path, quality=90)
    original = path.read_bytes()
    assert cli.main(["compress", str(path), "-o", str(path)]) == 2
    assert "overwrite the input" in capsys.readouterr().err
    assert path.read_bytes() == original


@pytest.mark.parametrize("content,message", [(None, "no such file"), (b"", "empty file"),
                                             (b"not an image", "not an image")])
def test_bad_input_is_one_line_and_nonzero(tmp_path, content, message, capsys):
    path = tmp_path / "bad.png"
    if content is not None:
        path.write_bytes(content)
    assert cli.main(["map", str(path), "-o", str(tmp_path / "m.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and message in err
    assert cli.main(["compress", str(path), "-o", str(tmp_path / "o.jpg")]) != 0


def test_metadata_is_carried_over(tmp_path, cat):
    image = Image.fromarray(cat)
    exif = image.getexif()
    exif[0x010F] = "TestMaker"
    exif[0x0112] = 1
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    src = tmp_path / "meta.jpg"
    image.save(src, exif=exif, icc_profile=icc, quality=95)
    result = msroi.compress(str(src))
    with Image.open(_io.BytesIO(result.data)) as out:
        assert out.getexif()[0x010F] == "TestMaker" and 0x0112 not in out.getexif()
        assert out.info["icc_profile"] == icc
    stripped = msroi.compress(str(src), keep_metadata=False)
    with Image.open(_io.BytesIO(stripped.data)) as out:
        assert 0x010F not in out.getexif() and "icc_profile" not in out.info


def test_api_report(cat):
    result = msroi.compress(cat, budget="q60", top_k=2)
    report = result.report
    assert report["bytes"] == len(result.data) <= report["target_bytes"]
    assert len(report["top_classes"]) == 2 and report["method"] == "rdq"
    assert abs(result.bpp - report["bpp"]) < 1e-12


def test_models_command_lists_presets(capsys):
    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    assert "mobilenet_v2 (default map model)" in out and "vgg16_imagenet" in out
    assert "VGG16-MSROI (Prakash et al., DCC 2017)" in out  # each preset's description


def test_generate_map_program(tmp_path, photo_file, monkeypatch, cat):
    monkeypatch.chdir(tmp_path)
    assert generate_map.main([photo_file]) == 0
    for name in ("msroi_map.jpg", "msroi_map.png", "overlayed_heatmap.png"):
        assert (tmp_path / "output" / name).is_file()
    assert Image.open(tmp_path / "output" / "msroi_map.png").size == (cat.shape[1], cat.shape[0])


def test_fused_map_with_a_model_without_cue_layers_is_one_line_and_nonzero(tmp_path, photo_file, capsys):
    import json
    import shutil

    from msroi import presets

    preset = tmp_path / "plain_mobilenet"
    shutil.copytree(presets.preset_directory("mobilenet_v2"), preset)
    config = json.loads((preset / "config.json").read_text())
    del config["map"]["cue_layers"]
    (preset / "config.json").write_text(json.dumps(config))
    args = ["map", photo_file, "-o", str(tmp_path / "m.png"), "--model", str(preset), "-q"]
    assert cli.main(args) == 0  # the default falls back to the energy map
    assert cli.main(args + ["--map-recipe", "fused", "--overwrite"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "names no cue layers" in err[0]


def test_the_module_usage_names_every_command():
    from msroi import cli

    usage = cli.__doc__
    for command in cli.COMMANDS:
        assert f"msroi {command} " in usage or f"msroi {command}\n" in usage, command

"""The codec and decoder interface: settings, registry (entry points), encoder state, and
the lean runtime's promise (no TensorFlow where no Keras network is needed)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from decoders import assert_standard_jpeg
from msroi import cli
from msroi.decoders.base import Decoder, StandardDecoder, get_decoder
from msroi.codecs import CODECS, map_codecs, peer_codecs
from msroi.decoders import DECODERS
from msroi.codecs.base import Codec, EncoderState
from msroi.rate import Budget, compress_to_budget


def test_registry_finds_every_codec_by_name_including_the_one_file_jpegli():
    assert {"rdq", "paper", "mozjpeg", "jpegli", "libjpeg-turbo", "libjpeg-turbo-opt"} <= set(CODECS)
    assert set(map_codecs()) == {"rdq", "paper"}
    assert "jpegli" in peer_codecs() and "rdq" not in peer_codecs()
    from msroi.codecs.jpegli import JpegliCodec

    assert CODECS["jpegli"] is JpegliCodec and issubclass(JpegliCodec, Codec)
    with pytest.raises(ValueError, match="unknown codec 'nope'"):
        CODECS.get_class("nope")
    assert DECODERS["standard"] is StandardDecoder


@pytest.mark.parametrize("name,settings", [("rdq", {"strength": "objects", "baseline": True}),
                                           ("paper", {"mixing_model": 3, "optimize": False})])
def test_options_rebuild_the_codec(name, settings):
    codec = CODECS[name](**settings)
    rebuilt = CODECS[name](**codec.options())
    assert rebuilt.settings == codec.settings and rebuilt.options() == codec.options()
    assert codec.settings != CODECS[name]().settings
    assert {f.name for f in dataclasses.fields(codec.Settings)} <= set(codec.options())


def test_settings_are_checked():
    with pytest.raises(TypeError, match="no setting mixing_model"):
        CODECS["rdq"](mixing_model=3)
    with pytest.raises(ValueError, match="not a strength"):
        CODECS["rdq"](strength="loud")
    with pytest.raises(ValueError, match="mixing model"):
        CODECS["paper"](mixing_model=9)


def test_encoder_state_is_released_after_rate_control(cat, monkeypatch):
    closed = []
    original = EncoderState.__exit__

    def spy(self, *exc):
        closed.append(type(self).__name__)
        original(self, *exc)

    monkeypatch.setattr(EncoderState, "__exit__", spy)
    importance = np.zeros(cat.shape[:2], np.float32)
    importance[40:90, 60:140] = 1.0
    for name in ("rdq", "paper", "mozjpeg"):
        closed.clear()
        result = compress_to_budget(CODECS[name](), cat, importance, Budget(jpeg_quality=50))
        assert len(closed) == 1, name  # released once, after the search
        assert_standard_jpeg(result.data, cat.shape[:2], baseline=False)
    state = CODECS["rdq"]().prepare(cat, importance)
    with state:
        CODECS["rdq"]().encode(state, 50)
        assert state.cache
    assert not state.cache  # the levels of every try are freed on exit


def test_jpegli_as_a_codec_meets_a_budget_through_the_cli(tmp_path, photo_file, cat):
    out = tmp_path / "cat.jpg"
    assert cli.main(["compress", photo_file, "-o", str(out), "--method", "jpegli", "-q"]) == 0
    assert_standard_jpeg(out.read_bytes(), cat.shape[:2], baseline=False)


def test_msroi_decode_file_and_folder(tmp_path, cat, astronaut, capsys):
    folder = tmp_path / "jpegs"
    (folder / "sub").mkdir(parents=True)
    Image.fromarray(cat).save(folder / "cat.jpg", quality=60)
    Image.fromarray(astronaut).save(folder / "sub" / "astronaut.jpg", quality=60)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    out = tmp_path / "pngs"
    assert cli.main(["decode", str(folder), "-o", str(out), "-q"]) == 1  # one bad file
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "broken.jpg" in err[0]
    decoded = np.asarray(Image.open(out / "cat.png"))
    np.testing.assert_array_equal(decoded, StandardDecoder().decode((folder / "cat.jpg").read_bytes()))
    assert (out / "sub" / "astronaut.png").is_file()
    # outputs are never replaced without --overwrite, inputs never
    before = (out / "cat.png").read_bytes()
    assert cli.main(["decode", str(folder / "cat.jpg"), "-o", str(out / "cat.png"), "-q"]) != 0
    assert (out / "cat.png").read_bytes() == before
    original = (folder / "cat.jpg").read_bytes()
    assert cli.main(["decode", str(folder / "cat.jpg"), "-o", str(folder / "cat.jpg")]) == 2
    assert (folder / "cat.jpg").read_bytes() == original
    assert cli.main(["decode", str(folder / "cat.jpg"), "-o", str(out / "cat.png"), "-q",
                     "--overwrite"]) == 0


def test_get_decoder():
    assert isinstance(get_decoder(), StandardDecoder)
    mine = StandardDecoder()
    assert get_decoder(mine) is mine and isinstance(mine, Decoder)
    with pytest.raises(ValueError, match="unknown decoder"):
        get_decoder("nope")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint('modules:', *sys.modules)"],
                         capture_output=True, text=True, check=True)
    # the last line: what the code itself printed (help texts name modules) comes before it
    return set(out.stdout.splitlines()[-1].split()[1:])


def test_import_help_and_compress_do_not_import_tensorflow(tmp_path, photo_file):
    assert "tensorflow" not in _modules_after("import msroi")
    assert "tensorflow" not in _modules_after(
        "from msroi import cli\ntry:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass")
    out = tmp_path / "o.jpg"
    loaded = _modules_after(f"from msroi import cli\nassert cli.main(['compress', {photo_file!r}, "
                            f"'-o', {str(out)!r}, '-q']) == 0")
    assert out.is_file()
    assert "tensorflow" not in loaded and "keras" not in loaded
    assert "ai_edge_litert" in loaded  # the map ran on the lean runtime


@pytest.mark.parametrize("argv", [["--help"], ["compress", "--help"], ["map", "--help"],
                                  ["decode", "--help"], ["models"]])
def test_help_and_listings_start_without_tensorflow_numba_or_scipy(argv):
    loaded = _modules_after(f"from msroi import cli\ntry:\n    cli.main({argv!r})\n"
                            "except SystemExit:\n    pass")
    heavy = {"tensorflow", "keras", "numba", "scipy", "pandas", "matplotlib"} & loaded
    assert not heavy, f"msroi {' '.join(argv)} imported {sorted(heavy)}"


def test_import_msroi_changes_no_environment_variable():
    code = ("import os\nbefore = dict(os.environ)\nimport msroi, msroi.cli, msroi.maps, msroi.pipeline\n"
            "assert dict(os.environ) == before, set(os.environ) ^ set(before)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_mozjpeg_444_setting_writes_standard_444_files(cat):
    from PIL import JpegImagePlugin
    import io

    result = compress_to_budget(CODECS["mozjpeg"](subsampling="4:4:4"), cat,
                                np.zeros(cat.shape[:2], np.float32), Budget(jpeg_quality=60))
    assert_standard_jpeg(result.data, cat.shape[:2], baseline=False)
    with Image.open(io.BytesIO(result.data)) as image:
        assert JpegImagePlugin.get_sampling(image) == 0  # 4:4:4
    assert result.report["subsampling"] == "4:4:4"

"""The post-filter decoder (shipped preset), its conditioning and tiling, and the CLIC harness."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from msroi import cli
from msroi.jpeg.standard import decode, encode_pillow
from msroi.metrics import peak_signal_noise_ratio as psnr
from msroi.decoders.postfilter import PostFilterDecoder, condition, tiles


@pytest.fixture(scope="module")
def postfilter():
    return PostFilterDecoder()


def test_condition_reads_the_files_own_tables(cat):
    low, high = (condition(encode_pillow(cat, q)) for q in (10, 90))
    assert low[0] > high[0] and low[1] > high[1]  # coarser tables, larger steps
    assert low[2] == 1.0 and condition(encode_pillow(cat, 50, subsampling="4:4:4"))[2] == 0.0
    grey = Image.fromarray(cat[..., 0])
    import io

    buffer = io.BytesIO()
    grey.save(buffer, format="JPEG", quality=40)
    values = condition(buffer.getvalue())
    assert values[0] == values[1]  # no chroma table: the luma value repeated
    with pytest.raises(ValueError, match="quantisation tables"):
        condition(_png(cat))


def _png(image) -> bytes:
    import io

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def test_tiles_cover_the_image_once():
    covered = np.zeros((70, 101), int)
    for (y0, y1, x0, x1), (iy0, iy1, ix0, ix1) in tiles(70, 101, tile=32, margin=8):
        covered[y0:y1, x0:x1] += 1
        assert iy0 <= y0 and iy1 >= y1 and ix0 <= x0 and ix1 >= x1
        assert y0 - iy0 in (0, 8) and x0 - ix0 in (0, 8)
    assert (covered == 1).all()


@pytest.mark.parametrize("quality", [10, 30, 50, 70, 90])
def test_filter_is_never_worse_than_the_plain_decode(postfilter, cat, astronaut, quality):
    for image in (cat, astronaut[:, :150]):
        data = encode_pillow(image, quality)
        plain, filtered = decode(data), postfilter.decode(data)
        assert filtered.shape == image.shape and filtered.dtype == np.uint8
        assert psnr(image, filtered) > psnr(image, plain) - 0.1


def test_tiled_equals_untiled(postfilter, astronaut):
    data = encode_pillow(astronaut, 20)
    pixels, values = decode(data), condition(data)
    whole = PostFilterDecoder(tile=512, margin=0).filter_values(pixels, values)
    tiled = PostFilterDecoder(tile=48, margin=32).filter_values(pixels, values)
    assert np.abs(whole - tiled).max() < 1e-3
    odd = pixels[:101, :77]  # odd sizes are padded for the network and cut back
    assert postfilter.filter(odd, values).shape == odd.shape


def test_decode_cli_with_the_postfilter(tmp_path, cat):
    source = tmp_path / "cat.jpg"
    source.write_bytes(encode_pillow(cat, 15))
    assert cli.main(["decode", str(source), "-o", str(tmp_path / "cat.png"), "--decoder",
                     "postfilter", "-q"]) == 0
    decoded = np.asarray(Image.open(tmp_path / "cat.png"))
    assert decoded.shape == cat.shape
    assert psnr(cat, decoded) > psnr(cat, decode(source.read_bytes()))


@pytest.fixture
def photo_folder(tmp_path, cat, astronaut):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(cat).save(folder / "cat.png")
    Image.fromarray(astronaut).save(folder / "astronaut.png")
    return folder


def test_clic_lowrate_pack_fits_and_its_decoder_runs_in_a_clean_folder(tmp_path, photo_folder, cat,
                                                                       astronaut, capsys):
    out = tmp_path / "submission"
    # 0.4 bpp: these photos are small, and a JPEG's headers alone are ~600 bytes
    assert cli.main(["clic", "pack", str(photo_folder), "-o", str(out), "--track", "lowrate",
                     "--bpp", "0.4", "-j", "1", "-q"]) == 0
    printed = capsys.readouterr().out
    jpegs = sorted(out.glob("*.jpg"))
    pixels = cat.shape[0] * cat.shape[1] + astronaut.shape[0] * astronaut.shape[1]
    assert len(jpegs) == 2 and sum(p.stat().st_size for p in jpegs) * 8 <= 0.4 * pixels
    assert "postfilter decoder" in printed
    clean = tmp_path / "clean"
    clean.mkdir()
    for path in jpegs + [out / "decode.py"]:
        shutil.copy(path, clean)
    subprocess.run([sys.executable, "decode.py"], cwd=clean, check=True)
    for name, image in (("cat", cat), ("astronaut", astronaut)):
        decoded = np.asarray(Image.open(clean / f"{name}.png"))
        assert decoded.shape == image.shape
    # the same command again finishes the job over its own files; a file a user changed
    # since is never replaced without --overwrite
    again = ["clic", "pack", str(photo_folder), "-o", str(out), "--bpp", "0.4", "-j", "1", "-q"]
    assert cli.main(again) == 0
    (out / "cat.jpg").write_bytes(b"the user's own edit")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert cli.main(again) == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_clic_transparent_meets_both_thresholds(tmp_path):
    import skimage.data

    from msroi.evaluation.clic import TRANSPARENT_MS_SSIM, TRANSPARENT_PSNR, set_numbers

    folder = tmp_path / "photos"
    folder.mkdir()
    photos = {"astronaut": np.asarray(Image.fromarray(skimage.data.astronaut()).resize((200, 200))),
              "coffee": np.asarray(Image.fromarray(skimage.data.coffee()).resize((240, 170)))}
    for name, image in photos.items():  # both over MS-SSIM's 161 pixels a side
        Image.fromarray(image).save(folder / f"{name}.png")
    out = tmp_path / "submission"
    assert cli.main(["clic", "pack", str(folder), "-o", str(out), "--track", "transparent",
                     "--decoder", "standard", "-j", "1", "-q"]) == 0
    decoded = [decode((out / f"{name}.jpg").read_bytes()) for name in photos]
    numbers = set_numbers(list(photos.values()), decoded, [1, 1])
    assert numbers["psnr"] >= TRANSPARENT_PSNR and numbers["ms_ssim"] >= TRANSPARENT_MS_SSIM


def test_clic_refuses_to_write_over_inputs(tmp_path, photo_folder, cat):
    Image.fromarray(cat).save(photo_folder / "other.jpg", quality=95)  # an input named like an output
    before = (photo_folder / "other.jpg").read_bytes()
    assert cli.main(["clic", "pack", str(photo_folder), "-o", str(photo_folder), "--decoder",
                     "standard", "-j", "1", "-q", "--overwrite"]) == 2
    assert (photo_folder / "other.jpg").read_bytes() == before


@pytest.mark.slow
def test_train_postfilter_writes_a_preset_the_decoder_runs(tmp_path, capsys):
    import json

    import skimage.data

    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        Image.fromarray(getattr(skimage.data, name)()).save(folder / f"{name}.png")
    out = tmp_path / "run"
    assert cli.main(["train-postfilter", str(folder), "--out", str(out), "--epochs", "1",
                     "--batch-size", "8", "-q"]) == 0
    assert "preset written to" in capsys.readouterr().out
    metrics = json.loads((out / "preset" / "metadata.json").read_text())["metrics"]
    assert metrics["train_patches"] > 0 and np.isfinite(metrics["validation_psnr_filtered"])
    decoder = PostFilterDecoder(str(out / "preset"))
    data = encode_pillow(skimage.data.coffee()[:96, :128], 20)
    assert decoder.decode(data).shape == (96, 128, 3)
    assert (out / "log.csv").is_file() and list((out / "checkpoints").glob("*.weights.h5"))
    bad = tmp_path / "kodak"
    shutil.copytree(folder, bad)
    assert cli.main(["train-postfilter", str(bad), "--out", str(tmp_path / "run2"), "-q"]) == 2


def test_clic_submission_inside_the_input_folder_is_not_packed_again(photo_folder):
    inner = photo_folder / "submission"
    args = ["clic", "pack", str(photo_folder), "-o", str(inner), "--bpp", "0.4", "--decoder",
            "standard", "-j", "1", "-q"]
    def submission():
        return {p.name: p.read_bytes() for p in inner.iterdir() if not p.name.startswith(".")}

    assert cli.main(args) == 0
    first = submission()
    assert sorted(n for n in first if n.endswith(".jpg")) == ["astronaut.jpg", "cat.jpg"]
    assert cli.main(args) == 0  # its own JPEGs are not inputs the second time
    assert sorted(p.name for p in inner.glob("*.jpg")) == ["astronaut.jpg", "cat.jpg"]
    assert submission() == first  # same set, same files


def test_train_postfilter_config_file_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": ["x"], "colour": "red"}')
    assert cli.main(["train-postfilter", "--config", str(bad)]) == 2
    assert capsys.readouterr().err.strip() == f"msroi: error: {bad}: unknown options colour"
    bad.write_text("{not json")
    assert cli.main(["train-postfilter", "--config", str(bad)]) == 2
    assert "unreadable config" in capsys.readouterr().err


@pytest.mark.slow
def test_postfilter_export_reproduces_the_shipped_file(tmp_path):
    from msroi.training.postfilter import export_postfilter
    from msroi.presets import preset_directory

    copy = tmp_path / "postfilter_small"
    shutil.copytree(preset_directory("postfilter_small"), copy)
    (copy / "postfilter.tflite").unlink()
    export_postfilter(copy)
    assert (copy / "postfilter.tflite").read_bytes() == \
        (preset_directory("postfilter_small") / "postfilter.tflite").read_bytes()


def test_a_corrupt_post_filter_file_is_refused_in_one_line(tmp_path):
    """Every file of a preset is reached through presets.preset_file, which checks its
    sha256: the LiteRT export too, not only the weight shards."""
    from msroi.errors import ModelError
    from msroi.presets import preset_directory

    copy = tmp_path / "postfilter_small"
    shutil.copytree(preset_directory("postfilter_small"), copy)
    data = bytearray((copy / "postfilter.tflite").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "postfilter.tflite").write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"postfilter.tflite: sha256 does not match"):
        PostFilterDecoder(str(copy))
    assert PostFilterDecoder(str(preset_directory("postfilter_small"))).model == "postfilter_small"

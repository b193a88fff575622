import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from msroi import io
from msroi.errors import ImageReadError


@pytest.fixture
def rgb():
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)


def test_grey_palette_cmyk_and_16_bit(tmp_path, rgb):
    grey = rgb[..., 0]
    Image.fromarray(grey).save(tmp_path / "grey.png")
    out = io.read_image(tmp_path / "grey.png")
    assert out.shape == (20, 30, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[..., 1], grey)

    Image.fromarray(rgb).convert("P").save(tmp_path / "palette.png")
    assert io.read_image(tmp_path / "palette.png").shape == (20, 30, 3)

    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "cmyk.jpg", quality=95)
    cmyk = io.read_image(tmp_path / "cmyk.jpg")
    assert cmyk.shape == (20, 30, 3)
    assert np.abs(cmyk.astype(int) - rgb.astype(int)).mean() < 40

    sixteen = (grey.astype(np.uint16) * 257)
    Image.fromarray(sixteen).save(tmp_path / "grey16.png")
    assert Image.open(tmp_path / "grey16.png").mode.startswith("I")
    np.testing.assert_array_equal(io.read_image(tmp_path / "grey16.png")[..., 0], grey)


def test_alpha_is_composited_on_white(tmp_path, rgb):
    rgba = np.dstack([rgb, np.full((20, 30), 255, np.uint8)])
    rgba[:10, :, 3] = 0          # fully transparent top half
    rgba[10:, :15, 3] = 128      # half transparent
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    out = io.read_image(tmp_path / "alpha.png")
    assert np.all(out[:10] == 255)
    np.testing.assert_array_equal(out[10:, 15:], rgb[10:, 15:])
    expected = np.round(rgb[10:, :15].astype(float) * 128 / 255 + 255 * 127 / 255)
    assert np.abs(out[10:, :15] - expected).max() <= 1

    la = Image.fromarray(rgba).convert("LA")
    la.save(tmp_path / "la.png")
    assert np.all(io.read_image(tmp_path / "la.png")[:10] == 255)

    pal = Image.fromarray(rgb[..., 0]).convert("P")
    pal.info["transparency"] = int(np.asarray(pal)[0, 0])
    pal.save(tmp_path / "ptrans.png", transparency=int(np.asarray(pal)[0, 0]))
    assert tuple(io.read_image(tmp_path / "ptrans.png")[0, 0]) == (255, 255, 255)


def test_exif_orientation_is_applied_and_dropped(tmp_path, rgb):
    image = Image.fromarray(rgb)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    exif[0x010F] = "TestMaker"
    image.save(tmp_path / "rotated.jpg", exif=exif, quality=95)
    loaded = io.load_image(tmp_path / "rotated.jpg")
    assert loaded.pixels.shape == (30, 20, 3)
    reread = Image.Exif()
    reread.load(loaded.exif)
    assert 0x0112 not in reread and reread[0x010F] == "TestMaker"


def _png_header_only(width, height):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    idat = b"IDAT" + zlib.compress(b"\0" * 64)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + struct.pack(">I", len(idat) - 4) + idat
            + struct.pack(">I", zlib.crc32(idat)))


@pytest.mark.parametrize("make,message", [
    (None, "no such file"),
    (lambda p: p.write_bytes(b""), "empty file"),
    (lambda p: p.write_text("hello, not an image"), "not an image"),
    (lambda p: p.write_bytes(_png_header_only(60000, 60000)), "too large"),
    (lambda p: p.mkdir(), "is a folder"),
])
def test_bad_inputs_give_one_line_naming_the_file(tmp_path, make, message):
    path = tmp_path / "bad.png"
    if make:
        make(path)
    with pytest.raises(ImageReadError) as info:
        io.read_image(path)
    text = str(info.value)
    assert str(path) in text and message in text and "\n" not in text


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_truncated_and_corrupt_files(tmp_path, rgb, suffix):
    big = np.kron(rgb, np.ones((8, 8, 1), np.uint8))
    good = tmp_path / f"good{suffix}"
    Image.fromarray(big).save(good)
    data = good.read_bytes()
    truncated = tmp_path / f"truncated{suffix}"
    truncated.write_bytes(data[: len(data) // 2])
    corrupt = tmp_path / f"corrupt{suffix}"
    corrupt.write_bytes(data[:40] + bytes(len(data) - 40))
    for path in (truncated, corrupt):
        with pytest.raises(ImageReadError, match="corrupt or truncated|cannot open|damaged JPEG") as info:
            io.read_image(path)
        assert str(path) in str(info.value)


def test_pixel_limit_is_configurable(tmp_path, rgb):
    Image.fromarray(rgb).save(tmp_path / "x.png")
    with pytest.raises(ImageReadError, match="too large"):
        io.read_image(tmp_path / "x.png", max_pixels=100)


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "sub" / "out.bin"
    io.write_bytes_atomic(target, b"abc")
    io.write_bytes_atomic(target, b"defg")
    assert target.read_bytes() == b"defg"
    assert os.listdir(target.parent) == ["out.bin"]


def test_find_images_is_recursive_and_sorted(tmp_path, rgb):
    for rel in ("b/2.png", "a/1.jpg", "a/.hidden.png", "c.txt", "z.PNG"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    found = [p.relative_to(tmp_path).as_posix() for p in io.find_images(tmp_path)]
    assert found == ["z.PNG", "a/1.jpg", "b/2.png"]

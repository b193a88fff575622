"""The side-by-side page: self-contained, and working in a real browser (Debian's chromium,
headless): it loads without console errors, every image decodes, and moving the wipe
changes the picture where the two versions differ and nowhere else. Skips where no browser
is installed."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from msroi import cli

BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(b)), None)


@pytest.fixture(scope="module")
def page(tmp_path_factory, cat_module):
    folder = tmp_path_factory.mktemp("compare")
    photos = folder / "photos"
    photos.mkdir()
    Image.fromarray(cat_module).save(photos / "cat.png")
    Image.fromarray(cat_module[:, ::-1].copy()).save(photos / "tac.png")
    out = folder / "page.html"
    assert cli.main(["compare", str(photos / "cat.png"), "-o", str(out)]) == 0
    assert cli.main(["compare", str(photos), "-o", str(folder / "index.html")]) == 0
    return out


@pytest.fixture(scope="module")
def cat_module():
    import skimage.data

    rgb = skimage.data.chelsea()
    return np.asarray(Image.fromarray(rgb).resize((300, 200)))


def test_the_page_is_self_contained_and_names_the_numbers(page):
    text = page.read_text()
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", text)  # no external resource
    assert "<script src" not in text and "<link" not in text
    for version in ("original", "msroi", "mozjpeg"):
        assert f">{version}</option>" in text
    assert "PSNR where the map looks" in text and "PSNR-HVS-M" in text
    index = (page.parent / "index.html").read_text()
    assert index.count("<section") == 2 and 'href="#photo-1"' in index


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", "--virtual-time-budget=5000", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(BROWSER is None, reason="no chromium installed")
def test_the_page_works_in_a_real_browser(page, tmp_path):
    for _ in range(4):  # images decode in real time, not the virtual time: a loaded machine
        dom = _chromium("--dump-dom", page.as_uri()).stdout  # may dump the page before that
        body = re.search(r"<body[^>]*>", dom).group(0)
        if 'data-ready="yes"' in body:
            break
    assert 'data-ready="yes"' in body and 'data-errors="0"' in body, body
    decoded = int(re.search(r'data-decoded="(\d+)"', body).group(1))
    assert decoded == int(re.search(r'data-images="(\d+)"', body).group(1)) >= 4
    shots = []
    for wipe in ("0.1", "0.9"):
        path = tmp_path / f"wipe{wipe}.png"
        _chromium("--window-size=1000,900", f"--screenshot={path}", f"{page.as_uri()}#wipe={wipe}")
        shots.append(np.asarray(Image.open(path).convert("RGB")).astype(np.int16))
    difference = np.abs(shots[0] - shots[1]).sum(axis=2)
    assert difference[:120].max() == 0  # the title and the text do not move
    rows = np.flatnonzero(difference.max(axis=1) > 0)
    assert rows.size > 200  # the viewer: the original on one side, msroi's JPEG on the other


def test_compare_never_writes_over_a_users_file_or_the_photo(tmp_path, capsys, cat_module):
    photo = tmp_path / "cat.png"
    Image.fromarray(cat_module).save(photo)
    page = tmp_path / "page.html"
    page.write_text("my notes")
    assert cli.main(["compare", str(photo), "-o", str(page)]) == 2
    assert page.read_text() == "my notes" and "exists" in capsys.readouterr().err
    before = photo.read_bytes()
    assert cli.main(["compare", str(photo), "-o", str(photo), "--overwrite"]) == 2
    assert photo.read_bytes() == before and "input" in capsys.readouterr().err

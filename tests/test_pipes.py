"""Pipes: ``-`` as input (standard input, any format Pillow reads) and as output (standard
output; messages on standard error; a terminal refused) for compress, map and decode."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from decoders import assert_standard_jpeg

ROOT = Path(__file__).resolve().parent.parent


def _msroi(*args: str, stdin: bytes = b"", stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "msroi.cli", *args], input=stdin, stdout=stdout,
                          stderr=subprocess.PIPE, cwd=ROOT, timeout=300)


def test_compress_map_and_decode_through_pipes(cat, tmp_path):
    png = io.BytesIO()
    Image.fromarray(cat).save(png, "PNG")
    done = _msroi("compress", "-", "-o", "-", stdin=png.getvalue())
    assert done.returncode == 0, done.stderr
    assert_standard_jpeg(done.stdout, cat.shape[:2], baseline=False)  # Pillow, ImageMagick, djpeg
    assert b"bytes (limit" in done.stderr  # the message went to stderr, not into the JPEG
    jpeg = done.stdout
    decoded = _msroi("decode", "-", "-o", "-", stdin=jpeg)
    assert decoded.returncode == 0, decoded.stderr
    assert np.asarray(Image.open(io.BytesIO(decoded.stdout))).shape == cat.shape
    mapped = _msroi("map", "-", "-o", "-", stdin=png.getvalue())
    assert mapped.returncode == 0, mapped.stderr
    assert np.asarray(Image.open(io.BytesIO(mapped.stdout))).shape == cat.shape[:2]
    webp = io.BytesIO()  # any format Pillow reads, to a file this time
    Image.fromarray(cat).save(webp, "WEBP")
    assert _msroi("compress", "-", "-o", str(tmp_path / "c.jpg"), "-q",
                  stdin=webp.getvalue()).returncode == 0
    assert_standard_jpeg((tmp_path / "c.jpg").read_bytes(), cat.shape[:2], baseline=False)


def test_bad_input_on_a_pipe_and_a_terminal_as_output_are_one_line(tmp_path, photo_file):
    done = _msroi("compress", "-", "-o", "-", stdin=b"not an image")
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode().strip().startswith("msroi: error: <stdin>: ")
    assert len(done.stderr.decode().strip().splitlines()) == 1
    leader, follower = pty.openpty()
    try:
        done = _msroi("compress", photo_file, "-o", "-", stdout=follower)
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2 and b"terminal" in done.stderr


def test_a_pipe_into_an_existing_file_replaces_it_only_with_overwrite(tmp_path, cat):
    png = io.BytesIO()
    Image.fromarray(cat).save(png, "PNG")
    mine = tmp_path / "mine.jpg"
    mine.write_bytes(b"the user's file")
    done = _msroi("compress", "-", "-o", str(mine), "-q", stdin=png.getvalue())
    assert done.returncode == 2 and mine.read_bytes() == b"the user's file"
    assert b"exists" in done.stderr
    assert _msroi("compress", "-", "-o", str(mine), "--overwrite", "-q",
                  stdin=png.getvalue()).returncode == 0
    assert mine.read_bytes()[:2] == b"\xff\xd8"

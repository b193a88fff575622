"""The only module that opens and saves image files.

Reading gives RGB uint8 arrays of shape (H, W, 3) whatever the file holds: EXIF orientation
is applied; grey, palette, CMYK and 16-bit images are converted; transparency is composited
on white. Every failure is an :class:`~msroi.errors.ImageReadError` whose message is one
line naming the file. Writing is atomic: a temporary file in the destination folder,
renamed over the target, so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import errno
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from msroi.errors import ImageReadError

#: Largest image accepted, in pixels (width x height): a guard against decompression bombs.
DEFAULT_MAX_PIXELS = 150_000_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm",
                  ".pnm", ".gif", ".jfif")
_ORIENTATION_TAG = 0x0112
# File signatures: a file that starts like an image but does not parse is corrupt, not alien.
_SIGNATURES = ((b"\x89PNG", "PNG"), (b"\xff\xd8", "JPEG"), (b"GIF8", "GIF"), (b"BM", "BMP"),
               (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"RIFF", "WebP"))


@dataclass
class LoadedImage:
    """Pixels plus the metadata worth carrying into a compressed copy.

    ``pixels``: uint8 (H, W, 3) RGB, orientation applied. ``exif``: EXIF bytes without the
    orientation tag (already applied), or None. ``icc_profile``: an RGB ICC profile, or None.
    """

    pixels: np.ndarray
    exif: bytes | None = None
    icc_profile: bytes | None = None
    path: str | None = None
    #: Frames in the file (animated GIF/PNG/WebP, multi-page TIFF): only the first is read.
    frames: int = 1


def _open(path: Path, max_pixels: int, data: bytes | None = None) -> Image.Image:
    if data is None:
        if not path.exists():
            raise ImageReadError(f"{path}: no such file")
        if path.is_dir():
            raise ImageReadError(f"{path}: is a folder, not an image file")
        size = path.stat().st_size
    else:
        size = len(data)
    if size == 0:
        raise ImageReadError(f"{path}: empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path if data is None else io.BytesIO(data))
    except Image.DecompressionBombError:
        raise ImageReadError(f"{path}: image too large (decompression bomb guard)") from None
    except UnidentifiedImageError:
        if data is None:
            with open(path, "rb") as f:
                data = f.read(8)
        for signature, kind in _SIGNATURES:
            if data.startswith(signature):
                raise ImageReadError(f"{path}: corrupt or truncated {kind} file") from None
        raise ImageReadError(f"{path}: not an image file (unrecognised format)") from None
    except OSError as exc:
        raise ImageReadError(f"{path}: cannot open ({exc})") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise ImageReadError(
            f"{path}: image too large ({width}x{height} = {width * height:,} pixels; "
            f"limit {max_pixels:,})")
    if width == 0 or height == 0:
        raise ImageReadError(f"{path}: image has no pixels ({width}x{height})")
    return image


def to_rgb_array(image: Image.Image) -> np.ndarray:
    """Converts a PIL image of any mode to RGB uint8 (H, W, 3); alpha is laid over white."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit (or 32-bit integer) grey: scale the full 16-bit range to 8 bits.
        grey = np.asarray(image).astype(np.float64)
        grey = np.clip(np.round(grey / 257.0), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if mode == "F":
        grey = np.clip(np.round(np.asarray(image, dtype=np.float64)), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode in ("LA", "La", "PA", "RGBa"):
        image = image.convert("RGBA")
    elif mode == "L" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image)
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image, dtype=np.uint8).copy()


def load_image(path: str | os.PathLike, *, max_pixels: int = DEFAULT_MAX_PIXELS,
               data: bytes | None = None) -> LoadedImage:
    """Reads an image file: RGB uint8 pixels, orientation applied, plus EXIF and ICC.

    ``data``: the file's bytes, already read (``path`` then only names it in messages and
    reports). Width x height is checked against ``max_pixels`` before any pixel is decoded.
    Of an animated or multi-page file the first frame is read (``frames`` says how many).
    """
    path = Path(path)
    image = _open(path, max_pixels, data)
    try:
        with image:
            frames = int(getattr(image, "n_frames", 1) or 1)
            image.load()
            exif = image.getexif()
            icc = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA", "P") else None
            oriented = ImageOps.exif_transpose(image)
            pixels = to_rgb_array(oriented)
    except ImageReadError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        reason = str(exc) or type(exc).__name__
        raise ImageReadError(f"{path}: corrupt or truncated image ({reason})") from None
    exif_bytes = None
    if exif:
        exif.pop(_ORIENTATION_TAG, None)
        exif_bytes = exif.tobytes() if len(exif) else None
    return LoadedImage(pixels=pixels, exif=exif_bytes, icc_profile=icc or None, path=str(path),
                       frames=frames)


def read_image(path: str | os.PathLike, *, max_pixels: int = DEFAULT_MAX_PIXELS,
               data: bytes | None = None) -> np.ndarray:
    """Reads an image file as RGB uint8, shape (H, W, 3), orientation applied (``data``:
    as :func:`load_image`)."""
    return load_image(path, max_pixels=max_pixels, data=data).pixels


def read_grayscale(path: str | os.PathLike, *, max_pixels: int = DEFAULT_MAX_PIXELS,
                   data: bytes | None = None) -> np.ndarray:
    """Reads an image file as grey uint8, shape (H, W) (ITU-R 601 luma of RGB files)."""
    rgb = read_image(path, max_pixels=max_pixels, data=data)
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]):
        return rgb[..., 0].copy()
    return np.asarray(Image.fromarray(rgb).convert("L"))


def write_bytes_atomic(path: str | os.PathLike, data: bytes, *, replace: bool = True) -> None:
    """Writes ``data`` to ``path`` through a temporary file and a rename.

    ``replace=False``: never replaces an existing file, even one that appears while the data
    is written (the temporary file is hard-linked to ``path``, which fails if it exists):
    raises :class:`FileExistsError` instead.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        if replace:
            os.replace(tmp, path)
        else:
            _link_no_clobber(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _link_no_clobber(tmp: str, path: Path) -> None:
    """Moves ``tmp`` to ``path`` unless ``path`` exists (FileExistsError)."""
    try:
        os.link(tmp, path)  # atomic, and fails if path exists
        os.unlink(tmp)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: check, then rename
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, "file exists", str(path)) from None
        os.replace(tmp, path)


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of a uint8 (H, W) grey or (H, W, 3) RGB array."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format="PNG")
    return buffer.getvalue()


def save_png(path: str | os.PathLike, pixels: np.ndarray) -> None:
    write_bytes_atomic(path, encode_png(pixels))


def find_images(folder: str | os.PathLike) -> list[Path]:
    """Image files under ``folder`` (recursive, sorted), by suffix; hidden files skipped."""
    folder = Path(folder)
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_SUFFIXES:
                found.append(Path(root) / name)
    return found

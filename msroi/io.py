"""The only module that opens and saves image files, and the one "may I write here" check.

Reading gives RGB uint8 arrays of shape (H, W, 3) whatever the file holds: EXIF orientation
is applied; grey, palette, CMYK and 16-bit images are converted; transparency is composited
on white. Only regular files are read (a FIFO, a device or a socket is refused before a byte
is read, so nothing hangs), and never more than a size limit. A JPEG that libjpeg decodes
only with warnings ("corrupt data", "premature end") or whose bytes cannot hold the frame it
declares is refused as damaged unless ``accept_damaged`` is given. Every failure is an
:class:`~msroi.errors.ImageReadError` whose message is one line naming the file.

Writing: :func:`check_output` says whether a path may be written (never over an input, a
folder, a device or FIFO, nor over an existing file unless allowed); :func:`write_bytes_atomic`
writes through a temporary file and a rename, so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from msroi.errors import ImageReadError, OutputRefusedError
from msroi.quiet import captured_stderr

#: Largest image accepted, in pixels (width x height): a guard against decompression bombs.
DEFAULT_MAX_PIXELS = 150_000_000
#: Largest input file read, in bytes (a photo of 150 megapixels as 16-bit TIFF is ~900 MB).
DEFAULT_MAX_FILE_BYTES = 1 << 30
# Pillow names no extension for these, yet users keep them in photo folders: they are taken
# and fail with one line where no plug-in reads them, instead of being skipped unseen.
_EXTRA_SUFFIXES = (".heic", ".heif", ".avif", ".jxl")
# Formats Pillow names but cannot decode here (stubs needing a handler, Windows-only
# metafiles) or should not run on untrusted files (EPS runs Ghostscript).
_NOT_PHOTOS = frozenset({"BUFR", "GRIB", "HDF5", "MPEG", "EPS", "WMF", "FITS"})
_ORIENTATION_TAG = 0x0112
# File signatures: a file that starts like an image but does not parse is corrupt, not alien.
_SIGNATURES = ((b"\x89PNG", "PNG"), (b"\xff\xd8", "JPEG"), (b"GIF8", "GIF"), (b"BM", "BMP"),
               (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"RIFF", "WebP"))


def image_suffixes() -> frozenset[str]:
    """File name endings taken as images in a folder: every one Pillow reads, plus
    :data:`_EXTRA_SUFFIXES`."""
    Image.init()
    readable = {ext for ext, fmt in Image.registered_extensions().items()
                if fmt in Image.OPEN and fmt not in _NOT_PHOTOS}
    return frozenset(readable | set(_EXTRA_SUFFIXES))


def _photo_formats() -> list[str]:
    Image.init()
    return [name for name in Image.OPEN if name not in _NOT_PHOTOS]


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno == errno.ENOENT:
        return "no such file"
    return exc.strerror or str(exc)


def read_input(path: str | os.PathLike, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES,
               what: str = "file") -> bytes:
    """The bytes of the regular file ``path`` (a symbolic link to one is followed).

    Refuses (:class:`ImageReadError`, one line) a folder, FIFO, device or socket without
    reading it (opened non-blocking, so a FIFO never hangs), a link loop, and a file larger
    than ``max_bytes`` (also one that grows past it while read). ``what`` names the file's
    role in messages (``"map"``).
    """
    label = f"{path}" if what == "file" else f"{path} ({what})"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ImageReadError(f"{label}: no such file") from None
    except OSError as exc:
        raise ImageReadError(f"{label}: cannot read ({_os_reason(exc)})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ImageReadError(f"{label}: is {_kind(info.st_mode)}, not an image file")
        if info.st_size > max_bytes:
            raise ImageReadError(f"{label}: file too large ({info.st_size:,} bytes; limit "
                                 f"{max_bytes:,})")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 24, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise ImageReadError(f"{label}: file too large (grew past {max_bytes:,} "
                                     "bytes while read)")
        return b"".join(chunks)
    except OSError as exc:
        raise ImageReadError(f"{label}: cannot read ({_os_reason(exc)})") from None
    finally:
        os.close(fd)


@dataclass
class LoadedImage:
    """Pixels plus the metadata worth carrying into a compressed copy.

    Attributes
    ----------
    pixels : ndarray
        uint8 (H, W, 3) RGB, orientation applied.
    exif : bytes or None
        EXIF without the orientation tag (already applied).
    icc_profile : bytes or None
        An RGB ICC profile.
    path : str or None
        Where it was read from (for messages and reports).
    frames : int
        Frames in the file (animated GIF/PNG/WebP, multi-page TIFF): only the first is read.
    """

    pixels: np.ndarray
    exif: bytes | None = None
    icc_profile: bytes | None = None
    path: str | None = None
    frames: int = 1


def _open(path: Path, max_pixels: int, data: bytes) -> Image.Image:
    if len(data) == 0:
        raise ImageReadError(f"{path}: empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=_photo_formats())
    except Image.DecompressionBombError:
        raise ImageReadError(f"{path}: image too large (decompression bomb guard)") from None
    except UnidentifiedImageError:
        for signature, kind in _SIGNATURES:
            if data.startswith(signature):
                raise ImageReadError(f"{path}: corrupt or truncated {kind} file") from None
        suffix = path.suffix.lower()
        if suffix in _EXTRA_SUFFIXES:
            raise ImageReadError(f"{path}: no reader for {suffix} files is installed (for "
                                 "HEIC: pip install pillow-heif)") from None
        raise ImageReadError(f"{path}: not an image file (unrecognised format)") from None
    except (OSError, ValueError, SyntaxError) as exc:
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


def _jpeg_frame(data: bytes) -> tuple[int, int, int, list[tuple[int, int]]] | None:
    """(SOF marker, height, width, [(h, v) sampling per component]) of a JPEG's frame
    header, or None if none is found before the first scan."""
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            i += 2
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            segment = data[i + 4:i + 2 + length]
            if len(segment) < 6:
                return None
            height = int.from_bytes(segment[1:3], "big")
            width = int.from_bytes(segment[3:5], "big")
            count = segment[5]
            sampling = [(segment[7 + 3 * c] >> 4, segment[7 + 3 * c] & 15)
                        for c in range(count) if 8 + 3 * c <= len(segment)]
            return marker, height, width, sampling
        if marker == 0xDA:
            return None
        i += 2 + length
    return None


def jpeg_damage(data: bytes) -> str | None:
    """Why a JPEG file is damaged, or None: its bytes are too few to hold the blocks its
    frame declares (each block's DC needs at least one bit in a Huffman-coded file: a
    truncated file or a size bomb), or libjpeg decodes it only with warnings ("Corrupt JPEG
    data", "Premature end of JPEG file"), which Pillow does not report."""
    frame = _jpeg_frame(data)
    if frame is not None:
        marker, height, width, sampling = frame
        huffman_dct = marker in (0xC0, 0xC1, 0xC2, 0xC5, 0xC6, 0xC7)
        if huffman_dct and sampling and all(h and v for h, v in sampling):
            hmax, vmax = max(h for h, _ in sampling), max(v for _, v in sampling)
            blocks = sum(-(-(-(-width * h // hmax)) // 8) * -(-(-(-height * v // vmax)) // 8)
                         for h, v in sampling)
            if len(data) * 8 < blocks:
                return (f"{len(data):,} bytes cannot hold the {width}x{height} image the file "
                        "declares (truncated?)")
    import jpeglib

    from msroi.jpeg.standard import libjpeg_version

    with tempfile.TemporaryDirectory(prefix="msroi-check-") as folder:
        path = os.path.join(folder, "check.jpg")
        with open(path, "wb") as f:
            f.write(data)
        with captured_stderr() as captured, libjpeg_version("turbo210"):
            try:
                jpeglib.read_dct(path).load()
            except Exception as exc:  # noqa: BLE001 - any failure of libjpeg is damage
                return f"libjpeg cannot decode it ({exc})"
    lines = [line for line in captured.text.splitlines() if line.strip()]
    damage = [line for line in lines if "JPEG" in line or "jpeg" in line]
    if len(damage) < len(lines):  # someone else's output in the captured moment
        sys.stderr.write("\n".join(line for line in lines if line not in damage) + "\n")
    return damage[0].strip().rstrip(".") if damage else None


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
               data: bytes | None = None, accept_damaged: bool = False,
               max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> LoadedImage:
    """Reads an image file: RGB uint8 pixels, orientation applied, plus EXIF and ICC.

    Every mode Pillow reads comes out RGB (grey, palette, CMYK, 16-bit, alpha over white); of
    an animated or multi-page file the first frame is read. Width x height is checked against
    ``max_pixels`` before any pixel is decoded.

    Parameters
    ----------
    path : str or os.PathLike
        The file (read with :func:`read_input`: regular files only), or only its name in
        messages when ``data`` is given.
    max_pixels : int
        Largest width x height read (default 150 million).
    data : bytes, optional
        The file's bytes, already read.
    accept_damaged : bool
        Read a damaged JPEG (:func:`jpeg_damage`: cut short, corrupt data) anyway; refused
        by default.
    max_bytes : int
        Largest file read, in bytes (default 1 GiB).

    Returns
    -------
    LoadedImage
        ``pixels`` uint8 (H, W, 3), ``exif`` (without the orientation tag) and
        ``icc_profile`` bytes or None, ``path``, ``frames``.

    Raises
    ------
    ImageReadError
        One line naming the file and what is wrong with it.
    """
    path = Path(path)
    if data is None:
        data = read_input(path, max_bytes=max_bytes)
    image = _open(path, max_pixels, data)
    if image.format == "JPEG" and not accept_damaged:
        damage = jpeg_damage(data)
        if damage:
            image.close()
            raise ImageReadError(f"{path}: damaged JPEG: {damage} (--accept-damaged reads it "
                                 "anyway)")
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


def read_image(path: str | os.PathLike, **options) -> np.ndarray:
    """Reads an image file as RGB uint8 pixels, orientation applied.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    **options
        ``max_pixels``, ``accept_damaged``, ``max_bytes``: see :func:`load_image`.

    Returns
    -------
    ndarray
        uint8 (H, W, 3).
    """
    return load_image(path, **options).pixels


def read_grayscale(path: str | os.PathLike, **options) -> np.ndarray:
    """Reads an image file as grey uint8, shape (H, W) (ITU-R 601 luma of RGB files;
    ``options``: those of :func:`load_image`)."""
    rgb = read_image(path, **options)
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]):
        return rgb[..., 0].copy()
    return np.asarray(Image.fromarray(rgb).convert("L"))


def _same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output(path: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = (),
                 replace: bool = False) -> bool:
    """The one "may I write here" check of every writer; returns whether ``path`` exists
    (and would be replaced).

    Raises :class:`OutputRefusedError` (one line) when ``path`` is one of ``inputs`` (the
    photo, a map, ...), a folder, a device, FIFO or socket (never replaced, whatever
    ``replace`` says), lies under a file that is not a folder, or exists while ``replace``
    is False (the caller passes True where it may replace: ``--overwrite``, or a file its
    manifest says msroi wrote).
    """
    path = Path(path)
    for source in inputs:
        if _same_file(path, source) or os.path.abspath(path) == os.path.abspath(source):
            raise OutputRefusedError(f"{path}: output would overwrite the input {source}; "
                                     "choose another output")
    check_output_folder(path.parent)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise OutputRefusedError(f"{path}: cannot check the output ({_os_reason(exc)})") from None
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except OSError:
            pass  # a dangling link is a plain name to replace (only with permission)
    if stat.S_ISDIR(info.st_mode):
        raise OutputRefusedError(f"{path}: is a folder; name the output file")
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
        raise OutputRefusedError(f"{path}: is {_kind(info.st_mode)}; msroi never replaces one")
    if not replace:
        raise OutputRefusedError(f"{path}: exists; pass --overwrite to replace it")
    return True


def check_output_folder(folder: str | os.PathLike) -> None:
    """Refuses (:class:`OutputRefusedError`) an output folder that is, or lies under, an
    existing file that is not a folder (it could never be made)."""
    folder = Path(folder)
    for place in (folder, *folder.parents):
        if os.path.lexists(place):
            if not os.path.isdir(place):
                raise OutputRefusedError(f"{folder}: {place} is a file, not a folder")
            return


#: Marks a folder as an msroi run folder (training runs, evaluation results).
RUN_MARKER = ".msroi-run"


def claim_run_folder(folder: str | os.PathLike) -> Path:
    """Makes ``folder`` msroi's own run folder (training runs, evaluation results), where
    msroi writes and replaces its files freely: a new or empty folder is claimed (a
    :data:`RUN_MARKER` file is left in it), one claimed before is taken as it is; a folder
    that holds other files is refused (:class:`OutputRefusedError`, one line), so a run
    never writes over what a user keeps there. Returns the folder."""
    folder = Path(folder)
    check_output_folder(folder)
    marker = folder / RUN_MARKER
    if os.path.isfile(marker) and not os.path.islink(marker):
        return folder
    if os.path.isdir(folder) and any(os.scandir(folder)):
        raise OutputRefusedError(f"{folder}: holds files msroi did not write; choose a new or "
                                 "empty folder for this run")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        marker.write_text("msroi writes and replaces its own files in this folder\n")
    except OSError as exc:
        raise OutputRefusedError(f"{folder}: cannot write the run folder ({exc.strerror})") from None
    return folder


def write_bytes_atomic(path: str | os.PathLike, data: bytes, *, replace: bool = True) -> None:
    """Writes ``data`` to ``path`` through a temporary file and a rename.

    The temporary name is short (``.msroi-XXXXXXXX.tmp``), so names up to the file system's
    limit work. Only a regular file (or a link, which is replaced itself, never its target)
    is ever replaced: a folder, device or FIFO at ``path`` raises :class:`OutputRefusedError`.
    ``replace=False``: never replaces an existing file, even one that appears while the data
    is written (the temporary file is hard-linked to ``path``, which fails if it exists):
    raises :class:`FileExistsError` instead.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputRefusedError(f"{path}: a file is in the way of its folder") from None
    fd, tmp = tempfile.mkstemp(prefix=".msroi-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        if replace:
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                mode = None
            if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
                raise OutputRefusedError(f"{path}: is {_kind(mode)}; msroi never replaces one")
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


#: The name that means standard input (as an input) or standard output (as an output).
STREAM = "-"


def read_stream(stream, *, name: str = "<stdin>", max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> bytes:
    """All bytes of a binary ``stream`` (standard input), at most ``max_bytes``
    (:class:`ImageReadError` past it or for nothing at all)."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageReadError(f"{name}: input too large (over {max_bytes:,} bytes)")
    if not data:
        raise ImageReadError(f"{name}: empty input (0 bytes)")
    return data


def check_stdout(stream=None) -> None:
    """Refuses (:class:`OutputRefusedError`) to send image bytes to a terminal."""
    stream = stream or sys.stdout
    if stream.isatty():
        raise OutputRefusedError(f"{STREAM}: standard output is a terminal; redirect it to a "
                                 "file or a pipe (msroi ... -o - > out.jpg)")


def write_stdout(data: bytes, stream=None) -> None:
    """Writes ``data`` to standard output (never a terminal: :func:`check_stdout`)."""
    stream = stream or sys.stdout
    check_stdout(stream)
    stream.flush()
    stream.buffer.write(data)
    stream.buffer.flush()


def read_source(path: str, *, what: str = "file") -> tuple[str, bytes]:
    """(name for messages, bytes) of an input file (:func:`read_input`), or of standard
    input for :data:`STREAM`."""
    if path == STREAM:
        return "<stdin>", read_stream(sys.stdin.buffer)
    return path, read_input(path, what=what)


def check_target(path: str, *, inputs: list[str], overwrite: bool) -> None:
    """Before any work: whether ``path`` may be written (:func:`check_output` against the
    ``inputs``; :data:`STREAM`: standard output, never a terminal)."""
    if path == STREAM:
        check_stdout()
    else:
        check_output(path, inputs=[i for i in inputs if i and i != STREAM], replace=overwrite)


def write_target(path: str, data: bytes, *, overwrite: bool) -> None:
    """``data`` to a file (atomically, :func:`write_bytes_atomic`) or to standard output."""
    if path == STREAM:
        write_stdout(data)
    else:
        write_bytes_atomic(path, data, replace=overwrite)


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of a uint8 (H, W) grey or (H, W, 3) RGB array."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format="PNG")
    return buffer.getvalue()


def save_png(path: str | os.PathLike, pixels: np.ndarray) -> None:
    write_bytes_atomic(path, encode_png(pixels))


@dataclass
class Walk:
    """What :func:`walk_images` found: ``files``, the image files (regular files, links to
    them followed), sorted; ``problems``, (path, one-line reason) for what it could not
    enter or read (an unreadable folder, a link loop, a dangling link, a FIFO or device
    with an image name)."""

    files: list[Path] = field(default_factory=list)
    problems: list[tuple[Path, str]] = field(default_factory=list)


def walk_images(folder: str | os.PathLike, *, skip: Iterable[str | os.PathLike] = ()) -> Walk:
    """The one folder walk: image files under ``folder`` (recursive; hidden names skipped;
    linked folders followed once each, so a loop ends), by name ending
    (:func:`image_suffixes`). Folders in ``skip`` (an output folder inside the input tree)
    are not entered."""
    suffixes = image_suffixes()
    walk = Walk()
    skipped = {os.path.realpath(p) for p in skip}
    seen: set[tuple[int, int]] = set()

    def visit(directory: str) -> None:
        try:
            info = os.stat(directory)
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            walk.problems.append((Path(directory), f"cannot enter the folder ({_os_reason(exc)})"))
            return
        if (info.st_dev, info.st_ino) in seen:
            return  # a linked folder already walked (or a loop)
        seen.add((info.st_dev, info.st_ino))
        folders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if os.path.realpath(path) not in skipped:
                    folders.append(entry.path)
                continue
            if path.suffix.lower() not in suffixes:
                continue
            try:
                mode = os.stat(path).st_mode
            except OSError as exc:
                walk.problems.append((path, f"cannot read ({_os_reason(exc)})"))
                continue
            if stat.S_ISREG(mode):
                walk.files.append(path)
            else:
                walk.problems.append((path, f"is {_kind(mode)}, not an image file"))
        for sub in folders:  # a folder's files first, then its subfolders
            visit(sub)

    visit(os.fspath(folder))
    return walk


def find_images(folder: str | os.PathLike) -> list[Path]:
    """Image files under ``folder`` (:func:`walk_images`; what it could not read is left out)."""
    return walk_images(folder).files

"""Decoding a JPEG file or folder tree to PNG under the same rules as compression.

The output folder gets the same lock and manifest as a compress run, so a rerun of the same
command finishes the job: files it decoded before with the same decoder are up to date, files
it wrote may be replaced, a file msroi did not write is left as it is (``overwrite``
replaces it), and nothing is ever written over an input, a folder or a device.
"""

from __future__ import annotations

import contextlib
import hashlib

from msroi.batch.manifest import FolderLock, InputIdentity
from msroi.batch.plan import Plan
from msroi.batch.run import BatchReport, OutputFolder
from msroi.errors import ImageReadError, MsroiError


def decode_one(data: bytes, name: str, decoder, *, accept_damaged: bool = False) -> bytes:
    """PNG bytes of the JPEG file ``data`` (``name`` for messages) through ``decoder``."""
    from msroi.io import encode_png, jpeg_damage

    if not data.startswith(b"\xff\xd8"):
        raise ImageReadError(f"{name}: not a JPEG file")
    if not accept_damaged and (damage := jpeg_damage(data)):
        raise ImageReadError(f"{name}: damaged JPEG: {damage} (--accept-damaged decodes it anyway)")
    try:
        pixels = decoder.decode(data)
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageReadError(f"{name}: not a decodable JPEG ({exc})") from None
    return encode_png(pixels)


def decode_files(plan: Plan, decoder: str = "standard", *, overwrite: bool = False,
                 accept_damaged: bool = False) -> BatchReport:
    """Decodes every pair of ``plan`` with the decoder registered as ``decoder``; one row
    per file (status done, up-to-date or failed; a walk problem is a failed row)."""
    from msroi import __version__
    from msroi.decoders.base import get_decoder
    from msroi.io import read_input

    codec = get_decoder(decoder)
    settings = hashlib.sha256(f"decode {decoder} {codec.options()} {accept_damaged} "
                              f"{__version__}".encode()).hexdigest()[:16]
    report = BatchReport()
    report.rows = plan.problem_rows()
    lock = FolderLock(plan.folder) if plan.folder is not None else contextlib.nullcontext()
    with lock:
        outputs = OutputFolder(plan.folder, overwrite=overwrite)
        try:
            for source, target in plan.pairs:
                row = {"input": str(source), "output": str(target)}
                report.rows.append(row)
                try:
                    data = read_input(source)
                    identity = InputIdentity.of(source)
                    if outputs.manifest and (done := outputs.manifest.finished(
                            identity, settings, target)):
                        row.update(done, status="up-to-date")
                        continue
                    if refusal := outputs.refusal(target, (source,)):
                        raise MsroiError(refusal)
                    png = decode_one(data, str(source), codec,
                                     accept_damaged=accept_damaged)
                    row.update(status="done", decoder=codec.name)
                    outputs.write(target, png, identity=identity, settings=settings, row=row)
                except MsroiError as exc:
                    row.update(status="failed", error=str(exc))
                except OSError as exc:
                    row.update(status="failed", error=f"{target}: cannot write "
                               f"({exc.strerror or exc})")
        finally:
            outputs.close()
    return report

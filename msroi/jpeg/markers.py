"""JPEG marker segments: carrying EXIF (APP1) and ICC profiles (APP2) into a file."""

from __future__ import annotations

_ICC_CHUNK = 65519  # 65535 - 2 (length) - 12 ("ICC_PROFILE\0") - 2 (sequence, count)


def _segment(marker: int, payload: bytes) -> bytes:
    if len(payload) + 2 > 65535:
        raise ValueError(f"marker segment too long ({len(payload)} bytes)")
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def metadata_segments(exif: bytes | None, icc_profile: bytes | None) -> bytes:
    """APP1 EXIF and APP2 ICC segments. ``exif`` as Pillow's ``Exif.tobytes()`` gives it
    (starting with ``Exif\\0\\0``)."""
    out = b""
    if exif:
        out += _segment(0xE1, exif if exif.startswith(b"Exif\0\0") else b"Exif\0\0" + exif)
    if icc_profile:
        chunks = [icc_profile[i:i + _ICC_CHUNK] for i in range(0, len(icc_profile), _ICC_CHUNK)]
        for n, chunk in enumerate(chunks, 1):
            out += _segment(0xE2, b"ICC_PROFILE\0" + bytes([n, len(chunks)]) + chunk)
    return out


def insert_metadata(data: bytes, exif: bytes | None, icc_profile: bytes | None) -> bytes:
    """The JPEG ``data`` with EXIF/ICC segments placed after SOI and any JFIF APP0."""
    if not (exif or icc_profile):
        return data
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG (no SOI marker)")
    at = 2
    if data[2:4] == b"\xff\xe0":  # keep JFIF first, as the JFIF spec asks
        at = 4 + int.from_bytes(data[4:6], "big")
    return data[:at] + metadata_segments(exif, icc_profile) + data[at:]

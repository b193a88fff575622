"""The run state kept in an output folder: a lock and an append-only manifest.

``.msroi.lock``: one run per output folder at a time. The lock is an ``flock`` on the file,
so the system releases it when its process dies however it dies (no stale locks); the file
names the owner (pid, host, start) for the message a second run prints when it refuses.

``.msroi-manifest.jsonl``: the commit log of the folder, one JSON object a line, flushed and
fsync'd line by line:

- ``{"event": "writing", "output": ..., "output_size", "sha256"}`` before an output is
  written (so a run killed between the write and its record still knows the file is its
  own: the file there is msroi's only if its size and sha256 are those recorded; a write
  that failed leaves a record that matches nothing a user puts there later);
- ``{"event": "done", "input": ..., "input_size", "input_mtime_ns", "settings", "output",
  "output_size", "output_mtime_ns", "row": {...}}`` once it is written;
- ``{"event": "report", "output": ..., "output_size", "output_mtime_ns"}`` for the report.

A file in the folder is msroi's (may be replaced) when it matches the manifest's last
"done" record of it (size and modification time) or a "writing" record made after it (size
and content hash); anything else there (a user's photo, a file edited since) is not.
Outputs are recorded relative to the folder, so a moved folder keeps its history. A torn
last line (power cut) is ignored.

Both files are opened without following symbolic links (``O_NOFOLLOW``) and only when they
are regular files that msroi wrote: a link, a device, or a user's own file under one of
these names is refused with one line, never written into.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import socket
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msroi.errors import MsroiError

MANIFEST_NAME = ".msroi-manifest.jsonl"
LOCK_NAME = ".msroi.lock"
_OWNER_PREFIX = "msroi run: "


def open_own_file(path: Path, flags: int, what: str) -> int:
    """A file descriptor of msroi's own state file ``path`` opened with ``flags`` (plus
    ``O_NOFOLLOW``): never through a symbolic link, never a device or FIFO (opened
    non-blocking, then checked). :class:`MsroiError` (one line) otherwise."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise MsroiError(f"{path}: is a symbolic link; msroi's {what} never is one (move "
                             "it away or choose another output folder)") from None
        raise MsroiError(f"{path}: cannot open the {what} ({exc.strerror})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise MsroiError(f"{path}: is not a regular file; msroi's {what} must be one (move "
                         "it away or choose another output folder)")
    os.set_blocking(fd, True)
    return fd


def sha256_of(path: Path, limit: int) -> str | None:
    """The sha256 of the regular file ``path`` if it is at most ``limit`` bytes, else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        digest = hashlib.sha256()
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
        return digest.hexdigest()
    finally:
        os.close(fd)


@dataclass(frozen=True)
class InputIdentity:
    """What says an input has not changed since it was compressed."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> "InputIdentity":
        info = path.stat()
        return cls(os.path.realpath(path), info.st_size, info.st_mtime_ns)


class FolderLock:
    """An exclusive lock on an output folder; :class:`MsroiError` if another run holds it."""

    def __init__(self, folder: Path):
        self.path = folder / LOCK_NAME
        self._fd: int | None = None

    def __enter__(self) -> "FolderLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MsroiError(f"{self.path.parent}: cannot make the output folder "
                             f"({exc.strerror})") from None
        fd = open_own_file(self.path, os.O_RDWR | os.O_CREAT, "lock file")
        held = os.pread(fd, 200, 0).decode(errors="replace").strip()
        if held and not held.startswith((_OWNER_PREFIX, "pid ")):
            os.close(fd)
            raise MsroiError(f"{self.path}: not msroi's lock file (it holds other text); "
                             "move it away or choose another output folder")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            owner = os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise MsroiError(f"{self.path.parent}: another msroi run is writing here "
                                 f"({owner}); wait for it to finish or choose another "
                                 "output folder") from None
            raise MsroiError(f"{self.path}: cannot lock ({exc.strerror})") from None
        owner = (f"{_OWNER_PREFIX}pid {os.getpid()} on {socket.gethostname()}, since "
                 f"{time.strftime('%Y-%m-%d %H:%M:%S')}")
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, owner.encode(), 0)
        except OSError:
            pass  # a full disk: the lock holds all the same; a refusal then names no owner
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        # The file stays: unlinking it would let a third run lock a new file while a second
        # still holds the old one.
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


class Manifest:
    """The manifest of one output folder (see the module docstring). Open it under the
    folder's :class:`FolderLock`."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / MANIFEST_NAME
        self._done: dict[str, dict] = {}      # input path -> its last "done" record
        # output (relative) -> what that file may be to count as msroi's: its last "done"
        # (size, mtime_ns), then ("sha256", size, digest) of each "writing" record since
        self._files: dict[str, list[tuple]] = {}
        if os.path.lexists(self.path):
            self._read()
        self._fd: int | None = None

    def _read(self) -> None:
        fd = open_own_file(self.path, os.O_RDONLY, "run manifest")
        try:
            with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError as exc:
            raise MsroiError(f"{self.path}: cannot read the run manifest ({exc.strerror})") from None
        records = 0
        for line in lines:
            try:
                record = json.loads(line)
                event, output = record["event"], record["output"]
            except (ValueError, KeyError, TypeError):
                continue  # a torn line from a run that died mid-write
            records += 1
            if event == "writing":
                if "sha256" in record:  # older records proved nothing: not trusted
                    self._files.setdefault(output, []).append(
                        ("sha256", record["output_size"], record["sha256"]))
            elif event in ("done", "report"):
                self._files[output] = [(record["output_size"], record["output_mtime_ns"])]
                if event == "done":
                    self._done[record["input"]] = record
        if lines and not records:
            raise MsroiError(f"{self.path}: not msroi's run manifest (no record in it); move "
                             "it away or choose another output folder")

    def _relative(self, path: Path) -> str | None:
        """``path`` relative to the folder, links resolved; None if it lies outside."""
        real = os.path.realpath(path)
        root = os.path.realpath(self.folder)
        relative = os.path.relpath(real, root)
        return None if relative.startswith(os.pardir) else relative

    def outside(self, path: Path) -> bool:
        """Whether ``path`` leads out of the folder (through a linked subfolder)."""
        return self._relative(path) is None

    def owns(self, path: Path) -> bool:
        """Whether ``path`` (in the folder) is a file msroi wrote and nobody changed since."""
        relative = self._relative(path)
        if relative is None or not os.path.isfile(path):
            return False
        current = _stat(path)
        for allowed in self._files.get(relative, []):
            if allowed == current:
                return True
            if (allowed[0] == "sha256" and current is not None and current[0] == allowed[1]
                    and sha256_of(path, allowed[1]) == allowed[2]):
                return True
        return False

    def finished(self, identity: InputIdentity, settings: str, output: Path) -> dict | None:
        """The report row of ``identity`` if it was compressed with ``settings`` into
        ``output`` and that file is still as written; else None."""
        record = self._done.get(identity.path)
        if (record is None or record["input_size"] != identity.size
                or record["input_mtime_ns"] != identity.mtime_ns
                or record["settings"] != settings or record["output"] != self._relative(output)):
            return None
        return record["row"] if self.owns(output) else None

    def _append(self, record: dict[str, Any]) -> None:
        if self._fd is None:
            self._fd = open_own_file(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                                     "run manifest")
        line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
        os.write(self._fd, line)
        os.fsync(self._fd)

    def writing(self, output: Path, data: bytes) -> None:
        """Records that ``data`` is about to be written to ``output``."""
        relative = self._relative(output)
        digest = hashlib.sha256(data).hexdigest()
        self._files.setdefault(relative, []).append(("sha256", len(data), digest))
        self._append({"event": "writing", "output": relative, "output_size": len(data),
                      "sha256": digest})

    def written(self, output: Path, *, identity: InputIdentity | None = None,
                settings: str | None = None, row: dict | None = None) -> None:
        """Records ``output`` as written: a compressed input (``identity``, ``settings``,
        ``row`` given) or the report (none given)."""
        relative = self._relative(output)
        size, mtime_ns = _stat(output)
        self._files[relative] = [(size, mtime_ns)]
        record: dict[str, Any] = {"output": relative, "output_size": size,
                                  "output_mtime_ns": mtime_ns}
        if identity is None:
            record["event"] = "report"
        else:
            record.update(event="done", input=identity.path, input_size=identity.size,
                          input_mtime_ns=identity.mtime_ns, settings=settings, row=row)
            self._done[identity.path] = record
        self._append(record)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

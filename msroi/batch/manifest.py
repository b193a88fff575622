"""The run state kept in an output folder: a lock and an append-only manifest.

``.msroi.lock``: one run per output folder at a time. The lock is an ``flock`` on the file,
so the system releases it when its process dies however it dies (no stale locks); the file
names the owner (pid, host, start) for the message a second run prints when it refuses.

``.msroi-manifest.jsonl``: the commit log of the folder, one JSON object a line, flushed and
fsync'd line by line:

- ``{"event": "writing", "output": ...}`` before an output is written (so a run killed
  between the write and its record still knows the file is its own);
- ``{"event": "done", "input": ..., "input_size", "input_mtime_ns", "settings", "output",
  "output_size", "output_mtime_ns", "row": {...}}`` once it is written;
- ``{"event": "report", "output": ..., "output_size", "output_mtime_ns"}`` for the report.

A file in the folder is msroi's (may be replaced) when the manifest's last record of it
still matches its size and modification time, or when it was being written by a run that
stopped; anything else there (a user's photo, a file edited since) is not. Outputs are
recorded relative to the folder, so a moved folder keeps its history. A torn last line
(power cut) is ignored.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msroi.errors import MsroiError

MANIFEST_NAME = ".msroi-manifest.jsonl"
LOCK_NAME = ".msroi.lock"


@dataclass(frozen=True)
class InputIdentity:
    """What says an input has not changed since it was compressed."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> "InputIdentity":
        stat = path.stat()
        return cls(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


class FolderLock:
    """An exclusive lock on an output folder; :class:`MsroiError` if another run holds it."""

    def __init__(self, folder: Path):
        self.path = folder / LOCK_NAME
        self._fd: int | None = None

    def __enter__(self) -> "FolderLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
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
        owner = f"pid {os.getpid()} on {socket.gethostname()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, owner.encode(), 0)
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
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns


class Manifest:
    """The manifest of one output folder (see the module docstring). Open it under the
    folder's :class:`FolderLock`."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / MANIFEST_NAME
        self._done: dict[str, dict] = {}      # input path -> its last "done" record
        self._files: dict[str, tuple] = {}    # output (relative) -> (size, mtime_ns) or "writing"
        if self.path.exists():
            self._read()
        self._file = None

    def _read(self) -> None:
        try:
            lines = self.path.read_text(errors="replace").splitlines()
        except OSError as exc:
            raise MsroiError(f"{self.path}: cannot read the run manifest ({exc.strerror})") from None
        for line in lines:
            try:
                record = json.loads(line)
                event, output = record["event"], record["output"]
            except (ValueError, KeyError, TypeError):
                continue  # a torn line from a run that died mid-write
            if event == "writing":
                self._files[output] = "writing"
            elif event in ("done", "report"):
                self._files[output] = (record["output_size"], record["output_mtime_ns"])
                if event == "done":
                    self._done[record["input"]] = record

    def _relative(self, path: Path) -> str:
        return str(path.resolve().relative_to(self.folder.resolve()))

    def owns(self, path: Path) -> bool:
        """Whether ``path`` (in the folder) is a file msroi wrote and nobody changed since."""
        try:
            recorded = self._files.get(self._relative(path))
        except ValueError:
            return False
        if recorded is None:
            return False
        return recorded == "writing" or recorded == _stat(path)

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
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def writing(self, output: Path) -> None:
        relative = self._relative(output)
        self._files[relative] = "writing"
        self._append({"event": "writing", "output": relative})

    def written(self, output: Path, *, identity: InputIdentity | None = None,
                settings: str | None = None, row: dict | None = None) -> None:
        """Records ``output`` as written: a compressed input (``identity``, ``settings``,
        ``row`` given) or the report (none given)."""
        relative = self._relative(output)
        size, mtime_ns = _stat(output)
        self._files[relative] = (size, mtime_ns)
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
        if self._file is not None:
            self._file.close()
            self._file = None

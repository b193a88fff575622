"""Compressing one file or a folder tree without losing a file.

:func:`compress_files` takes a :class:`~msroi.batch.plan.Plan`, decides per file whether
it is already done (same input, same settings: the manifest says so), may be written
(nothing there, or a file this folder's manifest says msroi wrote), or must be refused (a
file msroi did not write, unless ``overwrite``); runs the rest on the one executor; writes
each output atomically, records it in the manifest as it lands, and writes the report.
SIGINT/SIGTERM stop it after the files in flight; the report is still written.
"""

from __future__ import annotations

import contextlib
import csv
import io as _io
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from msroi.parallel import make_executor, run_unordered
from msroi.batch.job import REPORT_COLUMNS, CompressSettings, compress_file
from msroi.batch.manifest import FolderLock, InputIdentity, Manifest
from msroi.batch.plan import Plan
from msroi.errors import MsroiError, OutputRefusedError
from msroi.io import check_output, read_input, write_bytes_atomic

REPORT_NAME = "msroi-report.csv"


@dataclass
class BatchReport:
    """One row per planned input (``status``: done, up-to-date, failed, or not started when
    a signal stopped the run first), in plan order, after a row per folder-walk problem.
    ``interrupted``: the signal that stopped the run early, if any; ``report_path``: the
    CSV written (None for one file, or when it could not be written: ``report_error``)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    interrupted: int | None = None
    report_path: Path | None = None
    report_error: str | None = None
    seconds: float = 0.0
    total: str | None = None  # a set budget's run: what the set used, in one line

    @property
    def failed(self) -> list[tuple[str, str]]:
        return [(r["input"], r["error"]) for r in self.rows if r["status"] == "failed"]

    @property
    def done(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] in ("done", "up-to-date")]

    @property
    def not_started(self) -> int:
        return sum(r["status"] == "not started" for r in self.rows)

    @property
    def ok(self) -> bool:
        return not self.failed and self.interrupted is None


class _StopSignals:
    """While active, SIGINT and SIGTERM ask the run to stop instead of killing it."""

    def __init__(self):
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "_StopSignals":
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self.signum = signum

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


class OutputFolder:
    """Where outputs land: who wrote what (the manifest of a folder run), what may be
    replaced, and the writes themselves. ``folder`` None = a one-file run (no manifest)."""

    def __init__(self, folder: Path | None, *, overwrite: bool):
        self.folder = folder
        self.overwrite = overwrite
        self.manifest = Manifest(folder) if folder is not None else None

    def may_replace(self, path: Path) -> bool:
        return self.manifest is not None and self.manifest.owns(path)

    def refusal(self, path: Path, inputs: tuple[Path, ...] = ()) -> str | None:
        """Why ``path`` may not be written, or None (then see :meth:`replaces`)."""
        if self.manifest is not None and self.manifest.outside(path):
            return (f"{path}: a symbolic link leads it out of the output folder "
                    f"{self.folder}; left alone")
        allowed = self.overwrite or not os.path.lexists(path) or self.may_replace(path)
        try:
            check_output(path, inputs=inputs, replace=True)
        except OutputRefusedError as exc:
            return str(exc)
        if not allowed:
            return (f"{path}: exists and was not written by msroi; left as it is "
                    "(--overwrite replaces it)")
        return None

    def replaces(self, path: Path) -> bool:
        """Whether writing ``path`` replaces a file msroi did not write (with --overwrite)."""
        return os.path.lexists(path) and not self.may_replace(path)

    def write(self, path: Path, data: bytes, **record) -> None:
        """Writes atomically; never replaces a file that was not allowed when checked
        (FileExistsError if one appeared meanwhile)."""
        allowed = self.overwrite or self.may_replace(path)
        if self.manifest is not None:
            self.manifest.writing(path, data)
        write_bytes_atomic(path, data, replace=allowed)
        if self.manifest is not None:
            self.manifest.written(path, **record)

    def close(self) -> None:
        if self.manifest is not None:
            self.manifest.close()


def _report_csv(rows: list[dict[str, Any]]) -> bytes:
    """CSV bytes: the known columns in order, integers kept integers, empty = no value."""
    extra = sorted({k for r in rows for k in r} - set(REPORT_COLUMNS))
    buffer = _io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(REPORT_COLUMNS) + extra, restval="",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def write_report(report: BatchReport, outputs: OutputFolder) -> None:
    """The CSV report in the output folder, unless a file msroi did not write is there;
    a failure is kept in ``report.report_error``, never raised."""
    path = outputs.folder / REPORT_NAME
    refusal = outputs.refusal(path)
    if refusal:
        report.report_error = refusal
        return
    try:
        outputs.write(path, _report_csv(report.rows))
    except (OSError, MsroiError) as exc:
        report.report_error = f"{path}: cannot write the report ({exc.strerror or exc})"
        return
    report.report_path = path


def preflight(plan: Plan, overwrite: bool) -> None:
    """Refuses, before any work, a run that would replace a file msroi did not write
    without ``overwrite``: a one-file run's existing output, a folder run's report."""
    if plan.folder is None:
        for _, dst in plan.pairs:
            if os.path.lexists(dst) and not overwrite:
                raise MsroiError(f"{dst}: exists; pass --overwrite to replace it")
        return
    path = plan.folder / REPORT_NAME
    if os.path.lexists(path) and not overwrite and not Manifest(plan.folder).owns(path):
        raise MsroiError(f"{path}: exists and was not written by msroi; move it or pass "
                         "--overwrite")


def _files_to_do(plan: Plan, outputs: "OutputFolder", digest: str,
                 rows: dict[Path, dict[str, Any]]) -> list[tuple[Path, Path, "InputIdentity"]]:
    """The pairs still to compress: a row per pair into ``rows``; a pair whose output is up
    to date (same input, settings ``digest`` and file) or refused gets its status now."""
    todo = []
    for src, dst in plan.pairs:
        row = rows[src] = {"input": str(src), "output": str(dst)}
        try:
            identity = InputIdentity.of(src)
        except OSError as exc:
            row.update(status="failed", error=f"{src}: cannot read ({exc.strerror})")
            continue
        finished = outputs.manifest and outputs.manifest.finished(identity, digest, dst)
        if finished:
            row.update(finished, status="up-to-date")
        elif refusal := outputs.refusal(dst, (src,)):
            row.update(status="failed", error=refusal)
        else:
            if outputs.replaces(dst):
                row["replaced"] = str(dst)
            todo.append((src, dst, identity))
    return todo


def _record(row: dict[str, Any], src: Path, dst: Path, identity, result, exc, outputs,
            digest: str, on_warning) -> None:
    """One job's outcome into its ``row``, its file written when the job succeeded."""
    if exc is not None:
        row.update(status="failed", error=f"{src}: {exc}")
    elif result.error:
        row.update(status="failed", error=result.error)
    else:
        row.update(result.row, status="done")
        if write_output(outputs, dst, result.data, identity, digest, row) and result.warning and on_warning:
            on_warning(result.warning)


def write_output(outputs: "OutputFolder", dst: Path, data: bytes, identity, digest: str,
                  row: dict[str, Any]) -> bool:
    """Writes one output under the folder's rules (per-file and set-budget runs alike); a
    failure (a file appeared there, a refusal, the system's error) marks ``row`` failed in
    one line and returns False."""
    try:
        started = time.perf_counter()
        outputs.write(dst, data, identity=identity, settings=digest, row=row)
        row["seconds_write"] = round(time.perf_counter() - started, 4)
        return True
    except FileExistsError:
        row.update(status="failed", error=f"{dst}: a file appeared there during the run; left as it is")
    except MsroiError as exc:
        row.update(status="failed", error=str(exc))
    except OSError as exc:
        row.update(status="failed", error=f"{dst}: cannot write ({exc.strerror or exc})")
    return False


def compress_files(plan: Plan, settings: CompressSettings, *, jobs: int = 1,
                   dask: str | None = None, overwrite: bool = False, progress: bool = True,
                   on_warning: Callable[[str], None] | None = None) -> BatchReport:
    """Compresses every pair of ``plan`` (see the module docstring) and returns the report.

    ``jobs``: worker processes (1 = in this process); ``dask``: a Dask scheduler address
    (or ``"local"``) instead of the local pool; ``overwrite``: replace files msroi did not
    write (the report's ``replaced`` column says which).
    """
    from tqdm import tqdm

    start = time.perf_counter()
    preflight(plan, overwrite)
    report = BatchReport()
    rows: dict[Path, dict[str, Any]] = {}
    lock = FolderLock(plan.folder) if plan.folder is not None else contextlib.nullcontext()
    with lock, _StopSignals() as stop:
        outputs = OutputFolder(plan.folder, overwrite=overwrite)
        digest = settings.digest()
        todo = _files_to_do(plan, outputs, digest, rows)

        def items():
            for src, dst, identity in todo:
                try:
                    data = read_input(src, max_bytes=settings.max_bytes)
                except MsroiError as exc:
                    rows[src].update(status="failed", error=str(exc))
                    bar.update()
                    continue
                yield (src, dst, identity), (settings, str(src), data)

        executor = make_executor(min(jobs, max(1, len(todo))) if not dask else jobs, dask)
        bar = tqdm(total=len(todo), unit="img", disable=not progress or len(todo) < 2,
                   dynamic_ncols=True)
        try:
            results = run_unordered(executor, compress_file, items(),
                                    should_stop=lambda: stop.signum is not None)
            for (src, dst, identity), result, exc in results:
                bar.update()
                _record(rows[src], src, dst, identity, result, exc, outputs, digest, on_warning)
        finally:
            bar.close()
            executor.close()
        report.interrupted = stop.signum
        report.rows = plan.problem_rows() + [{"status": "not started", **rows[src]}  # a signal came first
                                  for src, _ in plan.pairs]
        if plan.folder is not None:
            write_report(report, outputs)
        outputs.close()
    report.seconds = time.perf_counter() - start
    return report

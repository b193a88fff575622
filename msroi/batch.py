"""Compressing one file or a folder tree: output planning, progress, a report per run.

A failing file is reported and the rest go on; outputs are written atomically; an output
that would land on an input file is refused.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from msroi.errors import MsroiError
from msroi.io import find_images, write_bytes_atomic

REPORT_NAME = "msroi-report.csv"


@dataclass
class BatchReport:
    done: list[dict[str, Any]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def plan_outputs(source: str | os.PathLike, target: str | os.PathLike) -> list[tuple[Path, Path]]:
    """(input, output) pairs. A folder maps to a mirrored tree of ``.jpg`` files; a file
    maps to ``target`` itself, or into it when ``target`` is an existing folder."""
    source, target = Path(source), Path(target)
    if source.is_dir():
        files = find_images(source)
        pairs = [(f, target / f.relative_to(source).with_suffix(".jpg")) for f in files]
        # a.png and a.jpg in one folder would both become a.jpg: keep the suffix there.
        seen: dict[Path, int] = {}
        for _, dst in pairs:
            seen[dst] = seen.get(dst, 0) + 1
        pairs = [(src, dst if seen[dst] == 1 else dst.with_name(src.name + ".jpg"))
                 for src, dst in pairs]
    else:
        dst = target / (source.stem + ".jpg") if target.is_dir() else target
        pairs = [(source, dst)]
    for src, dst in pairs:
        if dst.exists() and dst.resolve() == src.resolve():
            raise MsroiError(f"{dst}: output would overwrite the input; choose another output")
    return pairs


def run_batch(pairs: list[tuple[Path, Path]], work: Callable[[Path], Any], *,
              progress: bool = True, describe: Callable[[Any], dict] | None = None) -> BatchReport:
    """Runs ``work(input)`` -> object with ``.data`` (bytes) for each pair, writing outputs.

    Errors of one file (bad input, impossible budget, anything unexpected) are recorded and
    the loop goes on.
    """
    from tqdm import tqdm

    report = BatchReport()
    bar = tqdm(pairs, unit="img", disable=not progress or len(pairs) < 2, dynamic_ncols=True)
    for src, dst in bar:
        bar.set_postfix_str(src.name, refresh=False)
        try:
            result = work(src)
            write_bytes_atomic(dst, result.data)
        except MsroiError as exc:
            report.failed.append((str(src), str(exc)))
            continue
        except Exception as exc:  # keep the batch going; the message names the file
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            report.failed.append((str(src), f"{src}: unexpected error: {detail}"))
            continue
        row = {"input": str(src), "output": str(dst)}
        row.update(describe(result) if describe else {})
        report.done.append(row)
    return report


def write_report(report: BatchReport, path: str | os.PathLike) -> None:
    """CSV of every file done and failed (pandas), written atomically."""
    import pandas as pd

    rows = report.done + [{"input": src, "error": msg} for src, msg in report.failed]
    write_bytes_atomic(path, pd.DataFrame(rows).to_csv(index=False).encode())

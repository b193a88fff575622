"""Which file goes where: input files -> unique output paths, checked before any work.

Rules (the "nothing lost" half that needs no run state):

- a folder input maps to a mirrored tree of ``.jpg`` files under the output folder; files
  inside the output folder are never inputs (an output folder inside the input tree is
  skipped, so a rerun never compresses earlier outputs);
- every input gets its own output name: ``a.png`` -> ``a.jpg``; where two inputs would
  share a name (``a.png`` and ``a.jpg``), each keeps its whole name (``a.png.jpg``,
  ``a.jpg.jpg``), and a name that is still taken gets ``-2``, ``-3`` ... (compared
  case-insensitively, so the tree also survives a case-insensitive file system);
- no output is an input; a folder input with ``-o`` naming an existing file is refused.

Whether an existing output may be replaced depends on who wrote it (:mod:`.manifest`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from msroi.errors import MsroiError
from msroi.io import check_output, check_output_folder, walk_images


@dataclass(frozen=True)
class Plan:
    """``pairs``: (input, output) paths; ``folder``: the output folder of a folder run
    (None for one file, which keeps no manifest); ``problems``: (path, reason) for what the
    folder walk could not enter or read (reported as failed, never skipped unseen)."""

    pairs: list[tuple[Path, Path]]
    folder: Path | None
    problems: list[tuple[Path, str]] = field(default_factory=list)

    def problem_rows(self) -> list[dict[str, str]]:
        """A failed report row for each walk problem: every run reports them the same way."""
        return [{"input": str(path), "output": "", "status": "failed", "error": f"{path}: {reason}"}
                for path, reason in self.problems]


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in ``folder`` (links resolved; a link loop resolves no further)."""
    real, root = os.path.realpath(path), os.path.realpath(folder)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def unique_outputs(relative_inputs: list[Path], suffix: str = ".jpg") -> list[Path]:
    """Output paths (relative, ending in ``suffix``) for input paths relative to the input
    folder, one per input and never two alike (see the module docstring). Deterministic
    for a given set of inputs."""
    def key(path: Path) -> str:
        return str(path).casefold()

    preferred = [p.with_suffix(suffix) for p in relative_inputs]
    counts: dict[str, int] = {}
    for p in preferred:
        counts[key(p)] = counts.get(key(p), 0) + 1
    # Uncontested preferred names are reserved first, so a later fallback never takes one.
    taken = {key(p) for p in preferred if counts[key(p)] == 1}
    outputs = []
    for source, first in zip(relative_inputs, preferred):
        if counts[key(first)] == 1:
            outputs.append(first)
            continue
        candidate = source.with_name(source.name + suffix)
        number = 1
        while key(candidate) in taken:
            number += 1
            candidate = source.with_name(f"{source.name}-{number}{suffix}")
        taken.add(key(candidate))
        outputs.append(candidate)
    return outputs


def plan_outputs(source: str | os.PathLike, target: str | os.PathLike, *,
                 suffix: str = ".jpg") -> Plan:
    """The (input, output) pairs of ``msroi compress SOURCE -o TARGET`` (``msroi decode``:
    ``suffix`` ``.png``).

    A file maps to ``target`` itself, or into it (``stem`` + ``suffix``) when ``target`` is
    an existing folder. Raises :class:`MsroiError` (one line) for a plan that would lose a file.
    """
    source, target = Path(source), Path(target)
    if not os.path.lexists(source):
        raise MsroiError(f"{source}: no such file or folder")
    if source.is_dir():
        if os.path.lexists(target) and not target.is_dir():
            raise MsroiError(f"{target}: exists and is not a folder; a folder input needs an "
                             "output folder")
        if inside(source, target):
            what = "is" if inside(target, source) else "contains"
            raise MsroiError(f"{target}: the output folder {what} the input folder {source}; "
                             "choose an output folder outside it")
        check_output_folder(target)
        walk = walk_images(source, skip=[target])
        files = [f for f in walk.files if not inside(f, target)]
        outputs = unique_outputs([f.relative_to(source) for f in files], suffix)
        return Plan([(f, target / o) for f, o in zip(files, outputs)], target, walk.problems)
    dst = target / (source.stem + suffix) if target.is_dir() else target
    check_output(dst, inputs=[source], replace=True)  # the input, a folder, a device: refused
    return Plan([(source, dst)], None)

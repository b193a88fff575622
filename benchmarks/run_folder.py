"""The one way a benchmark takes its ``--out`` folder: claimed as msroi's own run folder
(:func:`msroi.io.claim_run_folder`), so a folder holding a user's files is refused in one
line (exit 2) before any work, never written into; a results folder msroi wrote before
(it holds the ``.msroi-run`` marker) is reused."""

from __future__ import annotations

import argparse
from pathlib import Path


def claim(parser: argparse.ArgumentParser, folder: Path) -> Path:
    from msroi.errors import MsroiError
    from msroi.io import claim_run_folder

    try:
        return claim_run_folder(folder)
    except MsroiError as exc:
        parser.error(str(exc))

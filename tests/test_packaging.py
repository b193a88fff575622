"""Packaging: every preset folder ships in the wheel (listed as a data package), and a
command that needs an extra that is not installed says which, in one line."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_every_preset_folder_is_a_listed_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = set(config["tool"]["setuptools"]["packages"])
    presets = {f"msroi.models.{p.parent.name}" for p in (ROOT / "models").glob("*/config.json")}
    assert presets and presets <= packages, sorted(presets - packages)
    assert config["project"]["license"] == "MIT"  # an SPDX expression (no deprecated table)


@pytest.mark.parametrize("hidden,argv,extra", [
    ("pandas", ["evaluate", "--data", "{photos}", "--out", "{out}", "-q"], "eval"),
    ("matplotlib", ["map", "{photo}", "-o", "{out}/m.png", "--overlay", "{out}/o.png", "-q"], "eval"),
    ("tensorflow", ["train-readout", "{photos}", "--out", "{out}/run", "-q"], "train"),
])
def test_a_missing_extra_is_named_in_one_line(tmp_path, photo_file, hidden, argv, extra):
    photos = Path(photo_file).parent
    argv = [a.format(photos=photos, photo=photo_file, out=tmp_path / "out") for a in argv]
    script = (  # the module made uninstallable: every import of it fails as if it were absent
        "import sys, importlib.abc\n"
        "class Absent(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] == {hidden!r}:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Absent())\n"
        "from msroi import cli\n"
        "sys.exit(cli.main(sys.argv[1:]))\n")
    done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert f"pip install 'msroi[{extra}]'" in lines[0] and hidden in lines[0]

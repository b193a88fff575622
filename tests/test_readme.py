"""The README's Python API example runs as written (on a photo of its own), so a moved or
renamed name in the API shows here, not in a user's first session."""

import re
from pathlib import Path

import numpy as np
from PIL import Image

README = Path(__file__).resolve().parents[1] / "README.md"


def api_example() -> str:
    text = README.read_text()
    section = text[text.index("## Python API"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_api_example_runs(tmp_path, monkeypatch, cat):
    code = api_example()
    assert "msroi.compress(" in code and "import msroi" in code
    Image.fromarray(np.ascontiguousarray(cat[:96, :128])).save(tmp_path / "photo.jpg", quality=95)
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, str(README), "exec"), scope)
    assert scope["pixels"].shape == (96, 128, 3) and scope["pixels"].dtype == np.uint8
    assert scope["result"].data[:2] == b"\xff\xd8" and scope["importance"].shape == (96, 128)

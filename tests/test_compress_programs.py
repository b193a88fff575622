import subprocess
import sys
from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent.parent / "compress"))
import clic_submission  # noqa: E402


def test_clic_submission_fits_the_set_budget_and_decodes(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("astronaut", "coffee"):
        rgb = getattr(skimage.data, name)()
        Image.fromarray(rgb).resize((240, 180)).save(data / f"{name}.png")
    out = tmp_path / "submission"
    assert clic_submission.main(["--data", str(data), "--out", str(out), "--total-bpp", "0.4", "-q"]) == 0
    jpegs = sorted(out.glob("*.jpg"))
    assert [p.name for p in jpegs] == ["astronaut.jpg", "coffee.jpg"]
    assert sum(p.stat().st_size for p in jpegs) * 8 <= 0.4 * 2 * 240 * 180
    assert "PSNR" in capsys.readouterr().out
    # The decoder runs with no arguments in the folder and writes one PNG per image.
    subprocess.run([sys.executable, "decode.py"], cwd=out, check=True)
    for jpeg in jpegs:
        png = np.asarray(Image.open(jpeg.with_suffix(".png")))
        assert png.shape == (180, 240, 3)

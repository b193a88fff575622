"""Human eye-fixation data sets: photos and where their viewers looked.

The shared layout (``../shared/data/fixations/<set>/``): ``images/NAME.jpg`` and one
``fixations.csv`` with a row per fixation: ``image`` (file name), ``subject`` (viewer id),
``x`` (column), ``y`` (row) in the stored photo's pixels (0-based, pixel centres at
integers) and optionally ``duration_ms``. :class:`FixationSet` reads it (no pandas needed);
training, ``benchmarks/`` and ``msroi evaluate --fixations`` share it. Validation splits are
by photo with a fixed seed, so every program holds out the same photos.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from msroi.errors import ImageReadError, InvalidArgumentError

#: Density blur as a share of the photo's longer side: ~1 degree of visual angle in the
#: shared sets (EyeCrowd's own code: 26 px at 1024x768, i.e. 13 px at the stored 512x384).
DENSITY_SIGMA_SHARE = 0.025
#: The validation split every program uses (share of photos, seed).
VALIDATION_SHARE, SPLIT_SEED = 0.2, 0


@dataclass(frozen=True)
class FixationPhoto:
    """One photo's viewing data. ``fixations``: float64 (N, 2) of (x, y) pixels;
    ``subjects``: int (N,) viewer id per fixation; ``size``: (height, width) of the photo."""

    name: str
    path: Path
    fixations: np.ndarray
    subjects: np.ndarray
    size: tuple[int, int]

    @property
    def sigma(self) -> float:
        """The density's Gaussian sigma in pixels (:data:`DENSITY_SIGMA_SHARE`)."""
        return DENSITY_SIGMA_SHARE * max(self.size)

    def density(self) -> np.ndarray:
        """The fixation density, float64 (H, W), summing to 1."""
        from msroi.metrics.fixations import fixation_density

        return fixation_density(self.fixations, self.size, sigma=self.sigma)


class FixationSet:
    """A fixation data set: ``csv_path`` (the ``fixations.csv``) and ``images`` (the folder
    of its photos; default ``images/`` beside the CSV). Photos without fixations, and
    fixations of photos that are missing, are left out (``missing`` names them)."""

    def __init__(self, csv_path: str | os.PathLike, images: str | os.PathLike | None = None):
        self.csv_path = Path(csv_path)
        if self.csv_path.is_dir():
            self.csv_path = self.csv_path / "fixations.csv"
        self.images = Path(images) if images is not None else self.csv_path.parent / "images"
        self._points, self._subjects = self._read()
        self.missing = sorted(n for n in self._points if not (self.images / n).is_file())
        self.names = sorted(n for n in self._points if n not in set(self.missing))

    def _read(self) -> tuple[dict[str, list], dict[str, list]]:
        points: dict[str, list] = {}
        subjects: dict[str, list] = {}
        try:
            with open(self.csv_path, newline="", encoding="utf-8") as f:
                reader = csv.DictReader(f)
                needed = {"image", "subject", "x", "y"}
                if not needed <= set(reader.fieldnames or ()):
                    raise InvalidArgumentError(f"{self.csv_path}: needs the columns "
                                               f"{', '.join(sorted(needed))}")
                for line, row in enumerate(reader, start=2):
                    try:
                        point = (float(row["x"]), float(row["y"]))
                        subject = int(row["subject"])
                    except (TypeError, ValueError):
                        raise InvalidArgumentError(f"{self.csv_path}:{line}: not a fixation "
                                                   "(x, y numbers and an integer subject)") from None
                    points.setdefault(row["image"], []).append(point)
                    subjects.setdefault(row["image"], []).append(subject)
        except OSError as exc:
            raise ImageReadError(f"{self.csv_path}: cannot read ({exc.strerror})") from None
        return points, subjects

    def __len__(self) -> int:
        return len(self.names)

    @cached_property
    def _sizes(self) -> dict[str, tuple[int, int]]:
        from PIL import Image

        sizes = {}
        for name in self.names:
            with Image.open(self.images / name) as image:
                sizes[name] = (image.height, image.width)
        return sizes

    def photo(self, name: str) -> FixationPhoto:
        """The viewing data of photo ``name``."""
        if name not in self._points or name in self.missing:
            raise InvalidArgumentError(f"{self.csv_path}: no photo {name!r}")
        return FixationPhoto(name, self.images / name, np.asarray(self._points[name], np.float64),
                             np.asarray(self._subjects[name], np.int64), self._sizes[name])

    def split(self, *, validation: float = VALIDATION_SHARE,
              seed: int = SPLIT_SEED) -> tuple[list[str], list[str]]:
        """(training, validation) photo names: a random share ``validation`` of the photos,
        fixed by ``seed`` (the same split wherever it is asked for)."""
        order = np.random.default_rng(seed).permutation(len(self.names))
        count = int(round(validation * len(self.names)))
        held = {self.names[i] for i in order[:count]}
        return [n for n in self.names if n not in held], [n for n in self.names if n in held]

    def other_fixations(self, name: str, size: tuple[int, int]) -> np.ndarray:
        """Every other photo's fixations, rescaled to a photo of ``size`` (height, width):
        the negatives of the shuffled AUC. float64 (M, 2)."""
        parts = []
        for other in self.names:
            if other == name:
                continue
            height, width = self._sizes[other]
            points = np.asarray(self._points[other], np.float64)
            parts.append(points * [(size[1] / width), (size[0] / height)])
        return np.concatenate(parts) if parts else np.zeros((0, 2))

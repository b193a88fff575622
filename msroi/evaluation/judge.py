"""An independent judge of where the objects are, for measuring only.

Quality inside "the important regions" must never be judged with a method's own map (a
method could win by pointing at easy regions). The judge marks object pixels with a
segmenter trained on masks: DeepLabV3 (MobileNetV2) for the 20 PASCAL VOC classes
(people, animals, vehicles, furniture, ...), run on two geometries of the photo (stretched
to 257x257, and its longer side at 257 with padding) whose object probabilities are
combined by maximum. Where the segmenter finds nothing, frontal faces found by OpenCV's
Haar cascade are used instead. A photo with neither (a landscape) has an empty mask and no
region numbers.

No encoder or map model may use this module; it lives beside the metrics, downstream of
everything that makes files.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
from PIL import Image

from msroi.arrays import check_rgb
from msroi.parallel import LOADED

JUDGE_PRESET = "deeplabv3_pascal"
JUDGE_VERSION = "1"  # part of the cache key: bump when the judge's output changes


def default_cache_dir() -> Path:
    root = os.environ.get("MSROI_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "msroi")
    return Path(root) / "judge"


class Judge:
    """Object masks (bool (H, W)) of RGB uint8 photos (H, W, 3), cached per image.

    ``threshold``: object probability above which a pixel is an object. Masks covering
    less than ``min_fraction`` of the image (stray detections) count as empty. ``cache_dir``:
    where masks are kept (PNG per image content hash); None disables caching.
    """

    def __init__(self, *, threshold: float = 0.5, faces: bool = True, min_fraction: float = 0.005,
                 cache_dir: str | os.PathLike | None | bool = True):
        from msroi.runtime import LiteModel
        from msroi.presets import preset_file, read_preset

        config = read_preset(JUDGE_PRESET)
        self.classes = config["classes"]
        self.size = int(config["input_size"])
        # One thread, as the masks cached so far were made.
        self._model = LiteModel(preset_file(config, config["weights"][0], verify=False), threads=1)
        self.threshold = float(threshold)
        self.faces = faces
        self.min_fraction = float(min_fraction)
        if cache_dir is True:
            cache_dir = default_cache_dir()
        self.cache_dir = Path(cache_dir) if cache_dir else None

    def _background_probability(self, network_input: np.ndarray) -> np.ndarray:
        (logits,) = self._model.run({self._model.inputs[0]: network_input[None].astype(np.float32)})
        logits = logits[0].astype(np.float64)
        logits -= logits.max(axis=-1, keepdims=True)
        e = np.exp(logits)
        return (e[..., 0] / e.sum(axis=-1)).astype(np.float32)

    @staticmethod
    def _resize(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        return np.asarray(Image.fromarray(values).resize((shape[1], shape[0]), Image.BILINEAR))

    def object_probability(self, image: np.ndarray) -> np.ndarray:
        """Probability that each pixel belongs to one of the 20 object classes, (H, W)."""
        h, w = image.shape[:2]
        pil = Image.fromarray(image)
        s = self.size
        scale = lambda x: (np.asarray(x, np.float32) - 127.5) / 127.5  # noqa: E731
        stretched = self._background_probability(scale(pil.resize((s, s), Image.BILINEAR)))
        nh, nw = max(1, round(h * s / max(h, w))), max(1, round(w * s / max(h, w)))
        padded_input = np.zeros((s, s, 3), np.float32)
        padded_input[:nh, :nw] = scale(pil.resize((nw, nh), Image.BILINEAR))
        padded = self._background_probability(padded_input)[:nh, :nw]
        background = np.minimum(self._resize(stretched, (h, w)), self._resize(padded, (h, w)))
        return 1.0 - background

    def face_mask(self, image: np.ndarray) -> np.ndarray:
        """Frontal faces (OpenCV Haar cascade), boxes grown by 20% to cover the head."""
        import cv2

        cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        grey = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
        side = min(image.shape[:2])
        boxes = cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=6,
                                         minSize=(max(24, side // 20),) * 2)
        mask = np.zeros(image.shape[:2], bool)
        for x, y, bw, bh in boxes:
            gx, gy = int(0.2 * bw), int(0.2 * bh)
            mask[max(0, y - gy): y + bh + gy, max(0, x - gx): x + bw + gx] = True
        return mask

    def _key(self, image: np.ndarray) -> str:
        digest = hashlib.sha256(np.ascontiguousarray(image).tobytes())
        digest.update(f"{image.shape}|{self.threshold}|{self.faces}|{self.min_fraction}|"
                      f"{JUDGE_VERSION}".encode())
        return digest.hexdigest()[:32]

    def mask(self, image: np.ndarray) -> np.ndarray:
        """Object mask, bool (H, W): segmenter objects, else faces, else empty."""
        image = check_rgb(image)
        path = self.cache_dir / f"{self._key(image)}.png" if self.cache_dir else None
        if path is not None and path.is_file():
            return np.asarray(Image.open(path)) > 0
        mask = self.object_probability(image) > self.threshold
        if mask.mean() < self.min_fraction and self.faces:
            mask = self.face_mask(image)
        if mask.mean() < self.min_fraction:
            mask[:] = False
        if path is not None:
            from msroi.io import save_png

            save_png(path, mask.astype(np.uint8) * 255)
        return mask


def shared_judge() -> Judge:
    """The judge with its default settings, loaded once per process and cache folder
    (:data:`msroi.parallel.LOADED`; ``$MSROI_CACHE`` is read at each call, so a changed one
    gets its own judge): what the evaluation jobs share."""
    return LOADED.get(("judge", str(default_cache_dir())), Judge)

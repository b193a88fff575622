"""A side-by-side page: the original, msroi and the map-blind peers at equal bytes, in one
self-contained HTML file (images inline, no network, no framework).

:func:`compare_photo` makes the versions of one photo and their numbers;
:func:`render_page` writes the page: per photo a viewer with a wipe slider between any two
versions, the map as an overlay toggle, synchronised zoom and pan (mouse and keyboard:
``+``/``-`` zoom, arrows pan, ``0`` resets, ``[``/``]`` move the wipe, ``m`` the map), and
the numbers beside it (bytes, bits per pixel, map-weighted PSNR, PSNR-HVS-M); a folder gets
an index of thumbnails. ``msroi compare`` and ``msroi evaluate --html`` write it.
"""

from __future__ import annotations

import base64
import html
import io as _io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from msroi.io import encode_png
from msroi.rate import DEFAULT_BUDGET

#: Peers shown beside msroi when installed (jpegli needs the [eval] extra).
DEFAULT_PEERS = ("mozjpeg", "jpegli")


@dataclass
class Version:
    """One way of showing the photo: ``data`` (the file's bytes: PNG for the original, JPEG
    otherwise), ``mime`` and its numbers."""

    name: str
    data: bytes
    mime: str
    numbers: dict = field(default_factory=dict)


@dataclass
class PhotoComparison:
    """The versions of one photo (original first), its map overlay (PNG with alpha) and size."""

    name: str
    versions: list[Version]
    overlay_png: bytes
    size: tuple[int, int]


def overlay_png(importance: np.ndarray) -> bytes:
    """The map as a jet-coloured PNG whose alpha follows the map (0.6 at the top)."""
    from matplotlib import colormaps

    rgba = colormaps["jet"](np.clip(importance, 0, 1))
    rgba[..., 3] = 0.6 * np.clip(importance, 0, 1)
    return encode_png(np.round(rgba * 255).astype(np.uint8))


def compare_photo(image: np.ndarray, name: str, *, model=None, budget: str = DEFAULT_BUDGET,
                  peers: tuple[str, ...] = DEFAULT_PEERS) -> PhotoComparison:
    """The original, msroi at ``budget`` and each installed peer at msroi's bytes (never
    more), with bytes, bpp, map-weighted PSNR and PSNR-HVS-M. RGB uint8 (H, W, 3) in."""
    from msroi import maps, pipeline
    from msroi.codecs.registry import CODECS
    from msroi.metrics import psnr_hvs_m_rgb, weighted_psnr
    from msroi.jpeg.standard import decode
    from msroi.rate import Budget, compress_to_budget

    importance = maps.generate_map(image, model)
    ours = pipeline.compress(image, importance=importance, budget=budget)
    pixels = image.shape[0] * image.shape[1]

    def numbers(data: bytes) -> dict:
        decoded = decode(data)
        return {"bytes": len(data), "bpp": 8 * len(data) / pixels,
                "map_psnr": weighted_psnr(image, decoded, importance),
                "psnr_hvs_m": psnr_hvs_m_rgb(image, decoded)}

    versions = [Version("original", encode_png(image), "image/png", {"bytes": None}),
                Version("msroi", ours.data, "image/jpeg", numbers(ours.data))]
    for peer in peers:
        try:
            codec = CODECS.get_class(peer)()
            result = compress_to_budget(codec, image, importance, Budget(max_bytes=len(ours.data)))
        except ImportError:  # a peer whose package is not installed is left out
            continue
        versions.append(Version(peer, result.data, "image/jpeg", numbers(result.data)))
    return PhotoComparison(name, versions, overlay_png(importance), image.shape[:2])


def _uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _thumbnail(version: Version) -> str:
    image = Image.open(_io.BytesIO(version.data)).convert("RGB")
    image.thumbnail((160, 120))
    buffer = _io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return _uri(buffer.getvalue(), "image/jpeg")


def _table(comparison: PhotoComparison) -> str:
    rows = []
    for v in comparison.versions:
        n = v.numbers
        if n.get("bytes") is None:
            rows.append(f"<tr><td>{v.name}</td><td colspan=4>reference</td></tr>")
            continue
        rows.append(f"<tr><td>{html.escape(v.name)}</td><td>{n['bytes']:,}</td><td>{n['bpp']:.3f}</td>"
                    f"<td>{n['map_psnr']:.2f}</td><td>{n['psnr_hvs_m']:.2f}</td></tr>")
    return ("<table class=numbers><tr><th></th><th>bytes</th><th>bpp</th>"
            "<th>PSNR where the map looks (dB)</th><th>PSNR-HVS-M (dB)</th></tr>"
            + "".join(rows) + "</table>")


def _section(index: int, comparison: PhotoComparison) -> str:
    height, width = comparison.size
    options = "".join(f"<option value={i}>{html.escape(v.name)}</option>"
                      for i, v in enumerate(comparison.versions))
    images = "".join(f'<img class="layer v{i}" data-version={i} alt="{html.escape(v.name)}" '
                     f'src="{_uri(v.data, v.mime)}">' for i, v in enumerate(comparison.versions))
    return f"""
<section id=photo-{index} class=photo data-width={width} data-height={height}>
  <h2>{html.escape(comparison.name)} <small>{width}x{height}</small></h2>
  <div class=controls>
    left <select class=left>{options}</select>
    <input class=wipe type=range min=0 max=1000 value=500 aria-label="wipe">
    right <select class=right>{options.replace('value=1>', 'value=1 selected>')}</select>
    <label><input class=showmap type=checkbox> map (m)</label>
    <button class=reset>reset zoom (0)</button>
  </div>
  <div class=viewer tabindex=0 style="aspect-ratio:{width}/{height}">
    <div class=stage>{images}
      <img class="layer map" alt="map" src="{_uri(comparison.overlay_png, 'image/png')}">
    </div>
    <div class=cut></div>
  </div>
  {_table(comparison)}
</section>"""


_STYLE = """
body{font-family:system-ui,sans-serif;margin:16px;background:#f4f4f4;color:#222}
.photo{background:#fff;padding:12px;margin-bottom:24px;border-radius:6px}
.controls{display:flex;gap:8px;align-items:center;margin-bottom:6px}
.controls .wipe{flex:1}
.viewer{position:relative;overflow:hidden;max-width:100%;width:960px;background:#000;cursor:grab;outline:none}
.stage{position:absolute;inset:0;transform-origin:0 0}
.layer{position:absolute;inset:0;width:100%;height:100%;display:none;image-rendering:pixelated}
.layer.map{opacity:0}
.cut{position:absolute;top:0;bottom:0;width:2px;margin-left:-1px;background:#fff;box-shadow:0 0 3px #000;z-index:5;pointer-events:none}
.numbers{border-collapse:collapse;margin-top:8px}
.numbers td,.numbers th{border:1px solid #ccc;padding:3px 8px;text-align:right}
.index{display:flex;flex-wrap:wrap;gap:8px}
.index a{display:block;text-align:center;font-size:12px;color:#222}
"""

_SCRIPT = """
(function () {
  var errors = 0;
  window.addEventListener('error', function () { errors += 1; document.body.dataset.errors = errors; });
  var consoleError = console.error;
  console.error = function () { errors += 1; document.body.dataset.errors = errors; consoleError.apply(console, arguments); };
  document.body.dataset.errors = 0;
  var initialWipe = null;
  var match = /wipe=([0-9.]+)/.exec(location.hash);
  if (match) { initialWipe = Math.min(1, Math.max(0, parseFloat(match[1]))); }
  var viewers = [];
  document.querySelectorAll('section.photo').forEach(function (section) {
    var stage = section.querySelector('.stage'), viewer = section.querySelector('.viewer');
    var left = section.querySelector('select.left'), right = section.querySelector('select.right');
    var wipe = section.querySelector('.wipe'), showMap = section.querySelector('.showmap');
    var view = {scale: 1, x: 0, y: 0};
    if (initialWipe !== null) { wipe.value = Math.round(initialWipe * 1000); }
    function draw() {
      var a = left.value, b = right.value, cut = wipe.value / 10;
      stage.querySelectorAll('img[data-version]').forEach(function (img) {
        var v = img.dataset.version;
        img.style.display = (v === a || v === b) ? 'block' : 'none';
        img.style.zIndex = v === b ? 2 : 1;
        img.style.clipPath = v === b && a !== b ? 'inset(0 0 0 ' + cut + '%)' : 'none';
      });
      var overlay = stage.querySelector('.map');
      overlay.style.display = 'block';
      overlay.style.zIndex = 3;
      overlay.style.opacity = showMap.checked ? 1 : 0;
      stage.style.transform = 'translate(' + view.x + 'px,' + view.y + 'px) scale(' + view.scale + ')';
      var line = section.querySelector('.cut');
      line.style.display = a === b ? 'none' : 'block';
      line.style.left = cut + '%';
    }
    function zoom(factor, cx, cy) {
      var scale = Math.min(16, Math.max(1, view.scale * factor));
      view.x = cx - (cx - view.x) * scale / view.scale;
      view.y = cy - (cy - view.y) * scale / view.scale;
      view.scale = scale;
      if (scale === 1) { view.x = 0; view.y = 0; }
      draw();
    }
    [left, right, wipe, showMap].forEach(function (el) { el.addEventListener('input', draw); });
    section.querySelector('.reset').addEventListener('click', function () { view = {scale: 1, x: 0, y: 0}; draw(); });
    viewer.addEventListener('wheel', function (e) {
      e.preventDefault();
      var r = viewer.getBoundingClientRect();
      zoom(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - r.left, e.clientY - r.top);
    }, {passive: false});
    var drag = null;
    viewer.addEventListener('mousedown', function (e) { drag = {x: e.clientX - view.x, y: e.clientY - view.y}; });
    window.addEventListener('mouseup', function () { drag = null; });
    window.addEventListener('mousemove', function (e) {
      if (drag) { view.x = e.clientX - drag.x; view.y = e.clientY - drag.y; draw(); }
    });
    viewer.addEventListener('keydown', function (e) {
      var r = viewer.getBoundingClientRect(), step = 40;
      var keys = {
        '+': function () { zoom(1.25, r.width / 2, r.height / 2); },
        '=': function () { zoom(1.25, r.width / 2, r.height / 2); },
        '-': function () { zoom(0.8, r.width / 2, r.height / 2); },
        '0': function () { view = {scale: 1, x: 0, y: 0}; draw(); },
        'ArrowLeft': function () { view.x += step; draw(); },
        'ArrowRight': function () { view.x -= step; draw(); },
        'ArrowUp': function () { view.y += step; draw(); },
        'ArrowDown': function () { view.y -= step; draw(); },
        '[': function () { wipe.value = Math.max(0, wipe.value - 50); draw(); },
        ']': function () { wipe.value = Math.min(1000, +wipe.value + 50); draw(); },
        'm': function () { showMap.checked = !showMap.checked; draw(); }
      };
      if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
    });
    draw();
    viewers.push(viewer);
  });
  var images = Array.prototype.slice.call(document.querySelectorAll('img'));
  Promise.all(images.map(function (img) { return img.decode().then(function () { return 1; }, function () { return 0; }); }))
    .then(function (ok) {
      document.body.dataset.decoded = ok.reduce(function (a, b) { return a + b; }, 0);
      document.body.dataset.images = images.length;
      document.body.dataset.ready = 'yes';
    });
})();
"""


def render_page(comparisons: list[PhotoComparison], *, title: str = "msroi compare") -> str:
    """The self-contained HTML page of ``comparisons`` (an index of thumbnails when there
    is more than one photo)."""
    index = ""
    if len(comparisons) > 1:
        index = "<nav class=index>" + "".join(
            f'<a href="#photo-{i}"><img src="{_thumbnail(c.versions[0])}" alt=""><br>'
            f"{html.escape(c.name)}</a>" for i, c in enumerate(comparisons)) + "</nav>"
    sections = "".join(_section(i, c) for i, c in enumerate(comparisons))
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}"
            f"</title><style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
            "<p>Equal bytes: every JPEG is no larger than msroi's. Drag the slider (or [ ]) to "
            "wipe between the two chosen versions; wheel or + - to zoom, drag or arrows to pan "
            f"(both sides together); m shows where the map looks.</p>{index}{sections}"
            f"<script>{_SCRIPT}</script></body></html>")


def write_compare_page(files: list, out: str | Path, *, model=None, budget: str = DEFAULT_BUDGET,
                       accept_damaged: bool = False, overwrite: bool = False,
                       on_error=None) -> tuple[int, int]:
    """The compare page of photo ``files`` written to ``out`` (atomically; never over one of
    the photos; an existing file only with ``overwrite``: checked before any work by
    :func:`msroi.io.check_output`). A photo that cannot be read or compared is skipped and
    passed to ``on_error`` (an :class:`~msroi.errors.MsroiError`). Returns (photos shown,
    photos failed); raises MsroiError when none could be compared."""
    from msroi.errors import MsroiError
    from msroi.io import check_output, read_image, write_bytes_atomic

    check_output(out, inputs=files, replace=overwrite)
    comparisons, failed = [], 0
    for path in files:
        try:
            image = read_image(path, accept_damaged=accept_damaged)
            comparisons.append(compare_photo(image, Path(path).name, model=model, budget=budget))
        except MsroiError as exc:
            failed += 1
            if on_error is not None:
                on_error(exc)
    if not comparisons:
        raise MsroiError("no photo could be compared")
    write_bytes_atomic(out, render_page(comparisons).encode(), replace=overwrite)
    return len(comparisons), failed

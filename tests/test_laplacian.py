"""The non-learned Laplacian-centroid decoder."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from msroi.decoders import laplacian
from msroi.decoders.laplacian import LaplacianDecoder, bin_offsets
from msroi.jpeg.standard import decode, encode_pillow
from msroi.metrics import peak_signal_noise_ratio as psnr


def test_bin_offsets_follow_the_laplacian_centroid():
    levels = np.zeros((150, 1, 8, 8))
    levels[:100, 0, 0, 1] = 1       # 100 levels of +-1 and 50 of +-2: r = 0.5
    levels[:50, 0, 0, 1] *= -1
    levels[100:, 0, 0, 1] = 2
    levels[:, 0, 0, 0] = 7          # DC is never moved
    delta = bin_offsets(levels)
    aq = np.log(2.0)
    assert delta[0, 1] == pytest.approx(0.5 - (1 / aq - 1 / (np.exp(aq) - 1)))  # 0.0573
    assert delta[0, 0] == 0.0
    assert (delta >= 0).all() and (delta < 0.5).all()


@pytest.mark.parametrize("subsampling", ["4:2:0", "4:4:4"])
def test_without_offsets_it_is_a_plain_decoder(cat, monkeypatch, subsampling):
    monkeypatch.setattr(laplacian, "bin_offsets", lambda levels: np.zeros((8, 8)))
    odd = cat[:101, :151]
    data = encode_pillow(odd, 40, subsampling=subsampling)
    ours, plain = LaplacianDecoder().decode(data), decode(data)
    assert ours.shape == odd.shape and ours.dtype == np.uint8
    assert np.abs(ours.astype(int) - plain).mean() < 1.0  # IDCT and upsampling rounding only


def test_grey_files_and_a_gain_over_the_plain_decode(cat, astronaut):
    buffer = io.BytesIO()
    Image.fromarray(cat[..., 1]).save(buffer, format="JPEG", quality=30)
    grey = LaplacianDecoder().decode(buffer.getvalue())
    assert grey.shape == cat.shape and (grey[..., 0] == grey[..., 2]).all()
    for image in (cat, astronaut):
        data = encode_pillow(image, 20)
        assert psnr(image, LaplacianDecoder().decode(data)) > psnr(image, decode(data))

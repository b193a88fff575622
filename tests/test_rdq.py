"""The rdq codec: DCT front end, trellis, size model, strength, rate control, conformance."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from decoders import assert_standard_jpeg
from msroi.errors import BudgetError
from support.conformance import frame_type
from msroi.codecs.field import block_means, importance_field, lambda_multiplier, masking_weight
from msroi.jpeg.markers import insert_metadata
from msroi.jpeg import trellis
from msroi.jpeg.dct import component_blocks, dct_coefficients
from msroi.codecs.rdq import FLAT_SHARE, MASKING, RDQuantiserCodec, mozjpeg_tables
from msroi.jpeg.standard import decode, encode_mozjpeg
from msroi.rate import Budget, compress_to_budget, search_quality


def _block_cost(levels, c, q, w, lam, ac_bits):
    """D + lambda R of one zigzag block, written out plainly (the reference)."""
    distortion = float(sum(w[k] * (c[k] - levels[k] * q[k]) ** 2 for k in range(1, 64)))
    bits, run = 0.0, 0
    for k in range(1, 64):
        if levels[k] == 0:
            run += 1
            continue
        size = int(abs(levels[k])).bit_length()
        bits += (run // 16) * ac_bits[0xF0] + ac_bits[(run % 16) << 4 | size] + size
        run = 0
    if run:
        bits += ac_bits[0]
    return distortion + lam * bits, bits


def test_dct_matches_libjpeg_levels(astronaut):
    import os
    import tempfile

    import jpeglib

    image = np.ascontiguousarray(astronaut[:101, :133])  # odd sizes: partial blocks and MCUs
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "t.jpg")
        with jpeglib.version("turbo210"):
            spatial = jpeglib.from_spatial(image)
            spatial.samp_factor = np.array([[2, 2], [1, 1], [1, 1]], np.int32)
            spatial.write_spatial(path, qt=75)
        dct = jpeglib.read_dct(path)
        dct.load()
        references = [dct.Y, dct.Cb, dct.Cr]
        tables = [dct.qt[n] for n in dct.quant_tbl_no]
    ours = dct_coefficients(image)
    assert [c.shape[:2] for c in ours] == component_blocks(*image.shape[:2]) == \
           [r.shape[:2] for r in references]
    for coefficients, reference, table in zip(ours, references, tables):
        levels = np.round(coefficients / table)
        assert np.abs(levels - reference).max() <= 1  # libjpeg's integer DCT rounds
        assert (levels == reference).mean() > 0.98


def test_trellis_finds_the_exhaustive_optimum():
    rng = np.random.default_rng(3)
    q = np.full(64, 10.0)
    ac_bits = rng.uniform(2, 12, 256)
    for _ in range(20):
        c = np.zeros(64)
        c[0] = 40.0
        positions = rng.choice(np.arange(1, 20), 5, replace=False)
        c[positions] = rng.uniform(-40, 40, 5)
        lam = float(rng.uniform(1, 200))
        w = rng.uniform(0.5, 2, 64)
        out = np.empty((1, 64), np.int16)
        trellis.trellis_levels(c[None].astype(np.float32), q, w, np.array([lam]), ac_bits, out)
        got, _ = _block_cost(out[0], c.astype(np.float32), q, w, lam, ac_bits)
        options = []
        for k in positions:
            top = int(abs(c[k]) / q[k] + 0.5)
            options.append(sorted({0, top, max(top - 1, 0)}))
        best = np.inf
        for choice in itertools.product(*options):
            levels = np.zeros(64, np.int64)
            for k, a in zip(positions, choice):
                levels[k] = a if c[k] >= 0 else -a
            best = min(best, _block_cost(levels, c.astype(np.float32), q, w, lam, ac_bits)[0])
        assert got == pytest.approx(best, rel=1e-6)


def test_the_c_kernels_give_the_numba_kernels_levels_and_counts(cat):
    if trellis.native_kernels() is None:
        pytest.skip("the C kernels were not built (no compiler at install): numba runs")
    rng = np.random.default_rng(11)
    coefficients = np.concatenate([
        np.ascontiguousarray(trellis.to_zigzag(dct_coefficients(cat)[0]), dtype=np.float32),
        rng.normal(0, 300, (500, 64)).astype(np.float32),  # large and negative values too
        np.zeros((3, 64), np.float32)])
    table = mozjpeg_tables(35)[0].reshape(64)[trellis.ZIGZAG]
    weights = (table[1] / table) ** 2.2
    lambdas = rng.uniform(0, 400, len(coefficients))
    ac_bits = rng.uniform(2, 16, 256)
    c_out, numba_out = (np.empty(coefficients.shape, np.int16) for _ in range(2))
    trellis.trellis_levels(coefficients, table, weights, lambdas, ac_bits, c_out)
    trellis.numba_trellis_levels(coefficients, table, weights, lambdas, ac_bits, numba_out)
    assert np.array_equal(c_out, numba_out)
    c_counts, numba_counts = np.zeros(256, np.int64), np.zeros(256, np.int64)
    assert (trellis.ac_symbol_counts(c_out, c_counts)
            == trellis.numba_ac_symbol_counts(c_out, numba_counts))
    assert np.array_equal(c_counts, numba_counts) and c_counts.sum() > 0
    with pytest.raises(ValueError, match="C-contiguous"):  # C never reads a wrong layout
        trellis.trellis_levels(coefficients[:, ::2], table, weights, lambdas, ac_bits, c_out)


def test_lambda_zero_is_rounding_and_more_lambda_never_more_bits(cat):
    coefficients = dct_coefficients(cat)[0]
    table = mozjpeg_tables(60)[0]
    ac_bits = np.random.default_rng(0).uniform(2, 14, 256)
    shape = coefficients.shape[:2]
    rounded = trellis.quantise(coefficients, table, np.zeros(shape), ac_bits)
    expected = np.sign(coefficients) * np.floor(np.abs(coefficients) / table + 0.5)
    assert np.array_equal(rounded, expected.astype(np.int16))
    zz = trellis.to_zigzag(coefficients)
    previous = None
    for lam in (0.0, 10.0, 100.0, 1000.0, 10000.0):
        levels = trellis.to_zigzag(trellis.quantise(coefficients, table, np.full(shape, lam), ac_bits))
        bits = np.array([_block_cost(l, c, table.reshape(64)[trellis.ZIGZAG], np.ones(64), lam, ac_bits)[1]
                         for l, c in zip(levels, zz)])
        if previous is not None:
            assert np.all(bits <= previous + 1e-9)  # per block, never more bits
        previous = bits


@pytest.mark.parametrize("quality", [20, 50, 85])
@pytest.mark.parametrize("crop", [(133, 200), (101, 133)])
def test_size_model_equals_the_written_file(cat, astronaut, quality, crop):
    for image in (cat, astronaut):
        image = np.ascontiguousarray(image[: crop[0], : crop[1]])
        codec = RDQuantiserCodec(strength=1.0, baseline=True)
        state = codec.prepare(image, _object_map(image.shape[:2]))
        written = len(codec.encode(state, quality))
        assert abs(codec.size_estimate(state, quality) - written) <= 0.005 * written + 4


def _object_map(shape):
    importance = np.zeros(shape, np.float32)
    importance[shape[0] // 4: 3 * shape[0] // 4, shape[1] // 4: 3 * shape[1] // 4] = 1.0
    return importance


def test_strength_zero_ignores_the_map(cat):
    codec = RDQuantiserCodec(strength=0.0)
    with_map = codec.levels(codec.prepare(cat, _object_map(cat.shape[:2])), 60)
    flat = codec.levels(codec.prepare(cat, np.full(cat.shape[:2], 0.3, np.float32)), 60)
    for a, b in zip(with_map, flat):
        assert np.array_equal(a, b)


def test_more_strength_moves_quality_into_the_object_at_equal_bytes(astronaut):
    image = astronaut
    importance = _object_map(image.shape[:2])
    mask = importance > 0.5
    budget = Budget(max_bytes=len(encode_mozjpeg(image, 60)))
    results = []
    for strength in (0.0, 1.0, 3.0):
        data = compress_to_budget(RDQuantiserCodec(strength=strength), image, importance, budget).data
        error = (decode(data).astype(float) - image) ** 2
        results.append((error[mask].mean(), error[~mask].mean()))
    assert results[0][0] > results[1][0] > results[2][0]   # object error falls
    assert results[0][1] < results[1][1] < results[2][1]   # background error rises


@pytest.mark.parametrize("target", ["q30", "q50", "q80", "0.6bpp"])
@pytest.mark.parametrize("strength", [0.5, 3.0])
def test_rate_control_never_over_and_close(astronaut, target, strength):
    budget = Budget.parse(target)
    result = compress_to_budget(RDQuantiserCodec(strength=strength), astronaut,
                                _object_map(astronaut.shape[:2]), budget)
    limit = budget.target_bytes(astronaut)
    assert result.num_bytes <= limit
    assert result.num_bytes >= 0.98 * limit


def _blockiness(decoded_luma: np.ndarray, region: np.ndarray) -> float:
    """Mean |step| across 8x8 block edges minus the mean |step| between other neighbours,
    in grey levels, over ``region`` (rows and columns): 0 = no grid to see."""
    y = decoded_luma.astype(np.float64)
    out = []
    for steps, inside in ((np.abs(np.diff(y, axis=1)), region[:, 1:] & region[:, :-1]),
                          (np.abs(np.diff(y, axis=0)).T, (region[1:, :] & region[:-1, :]).T)):
        at_edge = np.zeros(steps.shape, bool)
        at_edge[:, 7::8] = True
        out.append(steps[at_edge & inside].mean() - steps[~at_edge & inside].mean())
    return float(np.mean(out))


@pytest.mark.parametrize("quality", [30, 50, 70])
def test_no_blocking_rise_on_a_flat_background(quality):
    h, w = 128, 192
    y, x = np.mgrid[0:h, 0:w]
    image = np.stack([60 + 0.3 * x, 90 + 0.2 * y, 140 + 0.1 * (x + y)], axis=2)  # a smooth sky
    rng = np.random.default_rng(1)
    image[32:96, 64:128] = rng.integers(0, 255, (64, 64, 3))  # a busy object
    image = np.clip(image + rng.normal(0, 2, image.shape), 0, 255).astype(np.uint8)
    importance = np.zeros((h, w), np.float32)
    importance[32:96, 64:128] = 1
    budget = Budget(max_bytes=len(encode_mozjpeg(image, quality)))
    background = importance < 0.5
    background[24:104, 56:136] = False  # away from the object's edge
    luma = lambda d: decode(d) @ np.array([0.299, 0.587, 0.114])  # noqa: E731
    moz = search_quality(lambda q: encode_mozjpeg(image, q), budget.max_bytes).data
    for strength in ("balanced", "objects"):
        ours = compress_to_budget(RDQuantiserCodec(strength=strength), image, importance, budget).data
        assert _blockiness(luma(ours), background) <= _blockiness(luma(moz), background) + 0.05


@pytest.mark.parametrize("baseline", [False, True])
def test_files_decode_everywhere_and_keep_metadata(cat, baseline):
    from PIL import Image

    codec = RDQuantiserCodec(baseline=baseline)
    state = codec.prepare(cat, _object_map(cat.shape[:2]))
    exif = Image.Exif()
    exif[0x010F] = "msroi test camera"
    data = codec.encode(state, 70, exif=exif.tobytes(), icc_profile=b"\0" * 200)
    assert_standard_jpeg(data, cat.shape[:2], baseline=baseline)
    with Image.open(__import__("io").BytesIO(data)) as im:
        assert im.getexif()[0x010F] == "msroi test camera"
        assert im.info.get("icc_profile") == b"\0" * 200


def test_cli_strength_values(tmp_path, photo_file, capsys):
    from PIL import Image

    from msroi import cli

    out = tmp_path / "a.jpg"
    assert cli.main(["compress", photo_file, "-o", str(out), "--method", "rdq",
                     "--strength", "objects", "-q"]) == 0
    assert cli.main(["compress", photo_file, "-o", str(tmp_path / "zero.jpg"), "--method", "rdq",
                     "--strength", "0", "-q"]) == 0
    assert_standard_jpeg(out.read_bytes(), Image.open(photo_file).size[::-1], baseline=False)
    assert out.read_bytes() != (tmp_path / "zero.jpg").read_bytes()  # the strength reached the codec
    with pytest.raises(SystemExit):
        cli.main(["compress", photo_file, "-o", str(tmp_path / "b.jpg"), "--method", "rdq",
                  "--strength", "-1"])


def test_impossible_target_is_a_clear_error(cat):
    with pytest.raises(BudgetError, match="budget of 300 bytes cannot be met"):
        compress_to_budget(RDQuantiserCodec(), cat, _object_map(cat.shape[:2]), Budget(max_bytes=300))


def test_444_sampling(cat):
    import io as _io

    from PIL import Image

    codec = RDQuantiserCodec(subsampling="4:4:4")
    data = codec.encode(codec.prepare(cat, _object_map(cat.shape[:2])), 50)
    with Image.open(_io.BytesIO(data)) as image:
        assert image.layer[0][1:3] == image.layer[1][1:3] == (1, 1)  # no subsampling
    assert_standard_jpeg(data, cat.shape[:2], baseline=False)


def test_cli_default_is_rdq_with_baseline_option(tmp_path, photo_file, cat):
    from msroi import cli
    from msroi.jpeg.standard import encode_pillow

    assert cli.main(["compress", photo_file, "-o", str(tmp_path / "a.jpg"), "-q"]) == 0
    assert frame_type((tmp_path / "a.jpg").read_bytes()) == "progressive"
    assert cli.main(["compress", photo_file, "-o", str(tmp_path / "b.jpg"), "--baseline", "-q"]) == 0
    data = (tmp_path / "b.jpg").read_bytes()
    assert frame_type(data) == "baseline"
    assert len(data) <= len(encode_pillow(cat, 50))


def test_fields():
    values = np.arange(16, dtype=np.float32).reshape(4, 4)
    np.testing.assert_array_equal(block_means(values, (2, 2), (2, 2)), [[2.5, 4.5], [10.5, 12.5]])
    importance = np.zeros((32, 32), np.float32)
    importance[:16] = 1
    luma, chroma, _ = importance_field(importance, np.array([[4, 4], [2, 2], [2, 2]]),
                                       np.array([[2, 2], [1, 1], [1, 1]]))
    assert luma.shape == (4, 4) and chroma.shape == (2, 2)
    np.testing.assert_array_equal(chroma[:, 0], [1.0, 0.0])
    weight = masking_weight(np.array([[5.0, 1.0], [3.0, 9.0]]))
    np.testing.assert_allclose(weight, [[2 / 3, 0], [1 / 3, 1]])


def test_a_flat_map_at_any_strength_is_the_plain_encoder(cat):
    flat = np.full(cat.shape[:2], 0.4, np.float32)
    plain, strong = RDQuantiserCodec(strength=0.0), RDQuantiserCodec(strength="objects")
    for a, b in zip(plain.levels(plain.prepare(cat, flat), 60), strong.levels(strong.prepare(cat, flat), 60)):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("strength", [0.3, 1.0, 3.0, 20.0])
def test_a_larger_share_never_a_larger_lambda(strength):
    rng = np.random.default_rng(3)
    share = rng.gamma(0.5, 2.0, (40, 50))
    for texture in (np.full(share.shape, 0.2), np.full(share.shape, 0.9)):
        multiplier = lambda_multiplier(share, texture, strength=strength, flat_share=FLAT_SHARE,
                                       masking=MASKING).ravel()
        order = np.argsort(share.ravel())
        assert np.all(np.diff(multiplier[order]) <= 1e-12)
    # the objective itself: lambda / (w + eps) normalised at the mean share
    eps = 1 / strength
    np.testing.assert_allclose(lambda_multiplier(share, np.full(share.shape, 0.5), strength=strength,
                                                 flat_share=1.0, masking=0.0),
                               (1 + eps) / (share + eps))


def test_a_block_looked_at_more_never_gets_more_error():
    rng = np.random.default_rng(4)
    tile = rng.integers(40, 215, (8, 8, 3))
    image = np.tile(tile, (8, 16, 1)).astype(np.uint8)  # 8 x 16 identical luma blocks
    importance = np.tile(np.repeat(np.linspace(0, 1, 16), 8)[None], (64, 1)).astype(np.float32)
    codec = RDQuantiserCodec(strength=3.0, masking=0.0, flat_share=1.0)
    state = codec.prepare(image, importance)
    luma = codec.levels(state, 40)[0]
    table = mozjpeg_tables(40)[0]
    coefficients = dct_coefficients(image)[0]
    error = ((coefficients - luma * table) ** 2).sum(axis=(2, 3))  # (8, 16) per block
    assert np.all(np.diff(error, axis=1) <= 1e-6)  # left to right: looked at more
    assert error[:, 0].mean() > error[:, -1].mean()


def test_metadata_segments_are_inserted(cat):
    import io as _io

    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "TestMaker"
    data = insert_metadata(encode_mozjpeg(cat, 40), exif.tobytes(), b"icc-bytes")
    with Image.open(_io.BytesIO(data)) as image:
        assert image.getexif()[0x010F] == "TestMaker"
        assert image.info["icc_profile"] == b"icc-bytes"


def test_budget_search_runs_on_computed_sizes_and_writes_once(astronaut, monkeypatch):
    writes = []
    write = RDQuantiserCodec.write

    def counting(self, *args, **kwargs):
        writes.append(1)
        return write(self, *args, **kwargs)

    monkeypatch.setattr(RDQuantiserCodec, "write", counting)
    for target in ("q40", "q60", "q85"):
        writes.clear()
        budget = Budget.parse(target)
        result = compress_to_budget(RDQuantiserCodec(baseline=True), astronaut,
                                    _object_map(astronaut.shape[:2]), budget)
        assert len(writes) == 1  # the baseline size is computed exactly: one file written
        assert 0.99 * budget.target_bytes(astronaut) <= result.num_bytes <= budget.target_bytes(astronaut)


@pytest.mark.parametrize("quality", [1, 5, 23, 49, 50, 51, 77, 95, 98, 100])
def test_quantisation_tables_are_mozjpeg_s(quality, tmp_path):
    import jpeglib
    from msroi.jpeg.standard import libjpeg_version

    tables = mozjpeg_tables(quality)
    path = str(tmp_path / "t.jpg")
    with libjpeg_version("mozjpeg403"):  # what mozjpeg itself writes at this quality
        jpeglib.from_spatial(np.zeros((16, 16, 3), np.uint8)).write_spatial(
            path, qt=quality, flags=["+FORCE_BASELINE"])
    dct = jpeglib.read_dct(path)
    dct.load()
    for ours, index in zip(tables, (dct.quant_tbl_no[0], dct.quant_tbl_no[1])):
        np.testing.assert_array_equal(ours, dct.qt[index])


def test_the_c_code_lengths_are_the_python_ones():
    from msroi.jpeg.entropy import code_lengths, python_code_lengths

    if trellis.native_kernels() is None:
        pytest.skip("the C kernels were not built (no compiler at install)")
    rng = np.random.default_rng(12)
    cases = [np.zeros(256, np.int64), np.eye(256, dtype=np.int64)[7] * 5,
             np.full(256, 3, np.int64),  # ties everywhere
             (2.0 ** np.minimum(np.arange(256), 40)).astype(np.int64)]  # deep: K.2 adjusts
    cases += [np.where(rng.random(256) < 0.4, rng.integers(1, 10 ** rng.integers(1, 7), 256), 0)
              for _ in range(40)]
    for counts in cases:
        ours = code_lengths(counts)
        assert np.array_equal(ours, python_code_lengths(counts)), counts
        assert ours.max() <= 16 and ((ours > 0) == (counts > 0)).all()

import numpy as np
import pytest
from PIL import Image

from msroi import cli

from msroi.errors import BudgetError
from msroi.codecs.paper import PaperCodec
from msroi.jpeg.standard import encode_pillow
from msroi.rate import Budget, RatePoint, allocate, compress_to_budget, search_quality


def test_budget_parsing():
    assert Budget.parse("q50") == Budget(jpeg_quality=50)
    assert Budget.parse("30000") == Budget(max_bytes=30000)
    assert Budget.parse("30kB") == Budget(max_bytes=30000)
    assert Budget.parse("12000B") == Budget(max_bytes=12000)
    assert Budget.parse("0.5bpp") == Budget(bpp=0.5)
    with pytest.raises(ValueError, match="cannot read budget"):
        Budget.parse("fifty")
    with pytest.raises(ValueError, match="exactly one"):
        Budget(max_bytes=1, bpp=1.0)
    with pytest.raises(ValueError):
        Budget(jpeg_quality=0)


def test_budget_targets(cat):
    assert Budget(bpp=1.0).target_bytes(cat) == cat.shape[0] * cat.shape[1] // 8
    assert Budget(jpeg_quality=50).target_bytes(cat) == len(encode_pillow(cat, 50))


def test_search_finds_the_highest_quality_under_the_limit():
    sizes = {q: 100 + 10 * q for q in range(1, 101)}
    calls = []

    def encode(q):
        calls.append(q)
        return b"x" * sizes[q]

    found = search_quality(encode, 555)
    assert found.quality == 45 and len(found.data) == 550
    assert len(calls) <= 8
    with pytest.raises(BudgetError, match="cannot be met"):
        search_quality(encode, 50, label="img.png")


def test_search_never_returns_an_oversized_file_when_size_is_not_monotonic():
    sizes = {q: 1000 + 10 * q + (60 if q % 7 == 0 else 0) for q in range(1, 101)}
    found = search_quality(lambda q: b"x" * sizes[q], 1560)
    assert len(found.data) <= 1560


@pytest.mark.parametrize("budget", [Budget(jpeg_quality=50), Budget(jpeg_quality=75),
                                    Budget(bpp=0.8), Budget(max_bytes=4000)])
def test_compress_to_budget_is_never_over(cat, budget):
    importance = np.zeros(cat.shape[:2], np.float32)
    importance[40:100, 50:150] = 1.0
    result = compress_to_budget(PaperCodec(), cat, importance, budget)
    target = budget.target_bytes(cat)
    assert result.num_bytes <= target
    assert result.report["target_bytes"] == target
    assert result.report["bytes"] == result.num_bytes


def test_impossible_budget_is_a_clear_error(cat):
    importance = np.ones(cat.shape[:2], np.float32)
    with pytest.raises(BudgetError, match="budget of 200 bytes cannot be met"):
        compress_to_budget(PaperCodec(), cat, importance, Budget(max_bytes=200))


def test_set_budgets(cat, astronaut):
    images = [cat, astronaut]
    assert Budget(max_bytes=5000).total_bytes(images) == 5000
    pixels = sum(i.shape[0] * i.shape[1] for i in images)
    assert abs(Budget(bpp=0.5).total_bytes(images) - 0.5 * pixels / 8) <= 2
    assert Budget(jpeg_quality=50).total_bytes(images) == sum(len(encode_pillow(i, 50)) for i in images)


@pytest.mark.parametrize("limit", [150, 555, 1090, 1105, 2000])
def test_a_proxy_changes_the_tries_never_the_answer(limit):
    sizes = {q: 100 + 10 * q for q in range(1, 101)}
    plain = search_quality(lambda q: b"x" * sizes[q], limit)
    # proxies from right to far off, biased, noisy and flat
    for proxy in (lambda q: sizes[q], lambda q: 0.8 * sizes[q], lambda q: 3.0 * sizes[q] + 500,
                  lambda q: sizes[q] * (1.1 if q % 3 else 0.9), lambda q: 1000.0):
        calls = []

        def encode(q):
            calls.append(q)
            return b"x" * sizes[q]

        found = search_quality(encode, limit, proxy=proxy)
        assert (found.quality, found.data) == (plain.quality, plain.data)
        assert len(calls) == len(set(calls)) == found.tries  # no quality encoded twice
    # a proxy proportional to the size: the second try is the answer, the third confirms it
    assert search_quality(lambda q: b"x" * sizes[q], 1090, proxy=lambda q: 0.7 * sizes[q]).tries <= 3
    with pytest.raises(BudgetError, match="cannot be met"):
        search_quality(lambda q: b"x" * sizes[q], 50, proxy=lambda q: sizes[q])


def test_allocation_never_exceeds_the_total_and_follows_slopes():
    # Image 0 gains a lot per byte, image 1 little: the extra bytes go to image 0 first.
    points = [[RatePoint(10, 100, 1000.0), RatePoint(50, 200, 100.0), RatePoint(90, 400, 50.0)],
              [RatePoint(10, 100, 1000.0), RatePoint(50, 200, 900.0), RatePoint(90, 400, 850.0)]]
    assert allocate(points, 300) == [1, 0]
    assert allocate(points, 10_000) == [2, 2]
    for total in range(200, 900, 37):
        chosen = allocate(points, total)
        assert sum(points[n][i].num_bytes for n, i in enumerate(chosen)) <= total
    with pytest.raises(BudgetError, match="total budget"):
        allocate(points, 150)


def test_folder_budget_cli(tmp_path, astronaut, capsys):
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(astronaut).save(src / "a.png")
    Image.fromarray(astronaut[::2, ::2].copy()).save(src / "b.png")
    total = 9000
    assert cli.main(["compress", str(src), "-o", str(tmp_path / "out"), "--total-budget",
                     str(total)]) == 0
    sizes = [p.stat().st_size for p in (tmp_path / "out").glob("*.jpg")]
    assert len(sizes) == 2 and sum(sizes) <= total
    assert f"total {sum(sizes)} bytes of {total} allowed" in capsys.readouterr().out
    # again, with a user's own file where an output goes: msroi's own output is replaced,
    # the user's file is refused (one failed row) and left as it was
    (tmp_path / "out" / "b.jpg").write_bytes(b"the user's own")
    assert cli.main(["compress", str(src), "-o", str(tmp_path / "out"), "--total-budget",
                     str(total), "-q"]) == 1
    assert (tmp_path / "out" / "b.jpg").read_bytes() == b"the user's own"


def test_largest_under_solves_a_fake_size_and_says_when_nothing_fits():
    import numpy as np

    from msroi.rate import largest_under

    calls = []

    def log_size(x):  # a file of 10 kB at x = 0, shrinking as x grows
        calls.append(x)
        return np.log(10_000) - 0.4 * x

    x = largest_under(log_size, 9_000, 0.01, low=-1.1, high=1.1)
    assert 0.99 * 9_000 <= np.exp(log_size(x)) <= 9_000
    assert len(calls) <= 8
    assert largest_under(log_size, 5_000, 0.01, low=-1.1, high=1.1) is None  # even x = high is too big
    assert largest_under(log_size, 6_500, 0.01, low=-1.1, high=1.1) == 1.1  # only the end fits

"""Batch compression: nothing lost, resume, one run per folder, parallel and Dask.

Each scenario of the "nothing lost" rule is a test, most through ``cli.main(argv)``; kills,
signals and concurrency run the real command in subprocesses.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from msroi import cli
from msroi.batch import MANIFEST_NAME, REPORT_NAME, plan_outputs
from msroi.batch.manifest import FolderLock
from msroi.batch.plan import unique_outputs
from msroi.errors import MsroiError
from decoders import assert_standard_jpeg

ROOT = Path(__file__).resolve().parent.parent


def small_photo(seed: int, size=(96, 64)) -> np.ndarray:
    """A small photo-like RGB uint8 image: smooth colour plus an object and texture."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 / w, y * 255 / h, np.full((h, w), 128.0)], axis=2)
    base[h // 4: 3 * h // 4, w // 3: 2 * w // 3] = rng.integers(0, 256, 3)
    base += rng.normal(0, 12, base.shape)
    return np.clip(base, 0, 255).astype(np.uint8)


def make_tree(root: Path, count: int, *, sub: bool = True) -> list[Path]:
    paths = []
    for i in range(count):
        folder = root / "sub" if sub and i % 2 else root
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"img{i:02d}.png"
        Image.fromarray(small_photo(i)).save(path)
        paths.append(path)
    return paths


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def read_report(folder: Path) -> list[dict[str, str]]:
    with open(folder / REPORT_NAME, newline="") as f:
        return list(csv.DictReader(f))


def done_records(folder: Path) -> list[dict]:
    records = []
    for line in (folder / MANIFEST_NAME).read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("event") == "done":
            records.append(record)
    return records


def run_cli(*args: str, env_extra: dict | None = None, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.Popen([sys.executable, "-m", "msroi.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


# -- planning ------------------------------------------------------------------------

def test_output_names_are_unique_for_every_input():
    names = [Path(n) for n in ("a.png", "a.jpg", "a.png.jpg", "A.PNG.JPG", "b.png", "s/a.png")]
    outputs = unique_outputs(names)
    assert len({str(o).casefold() for o in outputs}) == len(names)
    assert outputs[names.index(Path("b.png"))] == Path("b.jpg")  # no clash: plain name
    assert outputs[names.index(Path("s/a.png"))] == Path("s/a.jpg")
    assert all(o.suffix == ".jpg" for o in outputs)


def test_three_inputs_with_clashing_names_give_three_outputs(tmp_path, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    Image.fromarray(small_photo(1)).save(src / "a.png")
    Image.fromarray(small_photo(2)).save(src / "a.jpg", quality=95)
    Image.fromarray(small_photo(3)).save(src / "a.png.jpg", quality=95)
    assert cli.main(["compress", str(src), "-o", str(out), "-q", "-j", "1"]) == 0
    rows = read_report(out)
    assert len(rows) == 3 and len({r["output"] for r in rows}) == 3
    assert len(list(out.glob("*.jpg"))) == 3


def test_output_folder_inside_the_input_is_never_read(tmp_path):
    src = tmp_path / "photos"
    make_tree(src, 3)
    out = src / "small"
    assert cli.main(["compress", str(src), "-o", str(out), "-q", "-j", "1"]) == 0
    first = snapshot(out)
    # The rerun sees the same three inputs, all up to date: no a.jpg.jpg, no out/out.
    assert cli.main(["compress", str(src), "-o", str(out), "-q", "-j", "1"]) == 0
    rows = read_report(out)
    assert len(rows) == 3 and {r["status"] for r in rows} == {"up-to-date"}
    assert not [p for p in out.rglob("*.jpg.jpg")] and not (out / "small").exists()
    assert {p: d for p, d in snapshot(out).items() if p.suffix == ".jpg"} == \
           {p: d for p, d in first.items() if p.suffix == ".jpg"}


def test_users_photo_in_the_output_tree_is_never_replaced_nor_read(tmp_path, capsys):
    s3 = tmp_path / "s3"
    s3.mkdir()
    Image.fromarray(small_photo(1)).save(s3 / "a.png")
    Image.fromarray(small_photo(2)).save(s3 / "b.png")
    (s3 / "small").mkdir()
    Image.fromarray(small_photo(3)).save(s3 / "small" / "a.jpg", quality=97)
    before = (s3 / "small" / "a.jpg").read_bytes()
    status = cli.main(["compress", str(s3), "-o", str(s3 / "small"), "-q", "-j", "1"])
    assert status == 1
    assert (s3 / "small" / "a.jpg").read_bytes() == before
    assert (s3 / "small" / "b.jpg").is_file()
    rows = {Path(r["input"]).name: r for r in read_report(s3 / "small")}
    assert set(rows) == {"a.png", "b.png"}  # small/a.jpg was not an input
    assert rows["a.png"]["status"] == "failed" and "not written by msroi" in rows["a.png"]["error"]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "a.jpg" in err[0]


def test_overwrite_replaces_and_says_so(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    make_tree(src, 2, sub=False)
    out.mkdir()
    (out / "img00.jpg").write_bytes(b"the user's file")
    assert cli.main(["compress", str(src), "-o", str(out), "-q", "-j", "1", "--overwrite"]) == 0
    rows = {Path(r["input"]).name: r for r in read_report(out)}
    assert rows["img00.png"]["replaced"] == str(out / "img00.jpg")
    assert rows["img01.png"]["replaced"] == ""
    assert (out / "img00.jpg").read_bytes()[:2] == b"\xff\xd8"


def test_single_file_next_to_an_unrelated_jpeg(tmp_path, capsys):
    folder = tmp_path / "dir"
    folder.mkdir()
    Image.fromarray(small_photo(1)).save(folder / "a.png")
    Image.fromarray(small_photo(2)).save(folder / "a.jpg", quality=95)
    before = snapshot(folder)
    assert cli.main(["compress", str(folder / "a.png"), "-o", str(folder)]) == 2
    assert snapshot(folder) == before
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "a.jpg: exists" in err[0]


def test_single_file_onto_an_existing_non_image(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    Image.fromarray(small_photo(1)).save(tmp_path / "a.png")
    assert cli.main(["compress", str(tmp_path / "a.png"), "-o", str(notes)]) == 2
    assert notes.read_text() == "my notes"
    assert cli.main(["compress", str(tmp_path / "a.png"), "-o", str(notes), "-q",
                     "--overwrite"]) == 0
    assert notes.read_bytes()[:2] == b"\xff\xd8"


def test_folder_onto_an_existing_file_fails_before_any_work(tmp_path, capsys):
    src = tmp_path / "in"
    make_tree(src, 2)
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    assert cli.main(["compress", str(src), "-o", str(notes)]) == 2
    assert notes.read_text() == "my notes"
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a folder" in err[0]


def test_users_report_file_is_kept_and_checked_before_work(tmp_path, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    make_tree(src, 2)
    out.mkdir()
    (out / REPORT_NAME).write_text("my own spreadsheet")
    assert cli.main(["compress", str(src), "-o", str(out), "-q"]) == 2
    assert (out / REPORT_NAME).read_text() == "my own spreadsheet"
    assert not list(out.rglob("*.jpg"))  # refused before any work
    assert REPORT_NAME in capsys.readouterr().err


def test_map_output_never_replaces_the_photo(tmp_path, capsys):
    photo = tmp_path / "a.png"
    Image.fromarray(small_photo(1)).save(photo)
    before = photo.read_bytes()
    assert cli.main(["map", str(photo), "-o", str(photo)]) == 2
    assert cli.main(["map", str(photo), "-o", str(tmp_path / "m.png"), "--overlay", str(photo)]) == 2
    assert photo.read_bytes() == before and not (tmp_path / "m.png").exists()


def test_second_run_on_the_same_folder_refuses(tmp_path, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    make_tree(src, 2)
    with FolderLock(out):
        assert cli.main(["compress", str(src), "-o", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "another msroi run" in err[0] and f"pid {os.getpid()}" in err[0]
    assert not list(out.rglob("*.jpg"))
    assert cli.main(["compress", str(src), "-o", str(out), "-q", "-j", "1"]) == 0  # lock released


def test_changed_inputs_and_settings_are_redone_the_rest_kept(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    paths = make_tree(src, 3, sub=False)
    assert cli.main(["compress", str(src), "-o", str(out), "-q", "-j", "1"]) == 0
    Image.fromarray(small_photo(7)).save(paths[1])  # edited photo
    assert cli.main(["compress", str(src), "-o", str(out), "-q", "-j", "1"]) == 0
    status = {Path(r["input"]).name: r["status"] for r in read_report(out)}
    assert status == {"img00.png": "up-to-date", "img01.png": "done", "img02.png": "up-to-date"}
    assert cli.main(["compress", str(src), "-o", str(out), "-q", "-j", "1", "--budget", "q40"]) == 0
    assert {r["status"] for r in read_report(out)} == {"done"}


def test_output_edited_by_the_user_is_not_msroi_s_any_more(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    make_tree(src, 2, sub=False)
    assert cli.main(["compress", str(src), "-o", str(out), "-q", "-j", "1"]) == 0
    (out / "img00.jpg").write_bytes(b"retouched by hand")
    assert cli.main(["compress", str(src), "-o", str(out), "-q", "-j", "1", "--budget", "q40"]) == 1
    assert (out / "img00.jpg").read_bytes() == b"retouched by hand"


def test_report_keeps_integer_columns_when_a_file_fails(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    make_tree(src, 2, sub=False)
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    assert cli.main(["compress", str(src), "-o", str(out), "-q", "-j", "1"]) == 1
    rows = read_report(out)
    ok = [r for r in rows if r["status"] == "done"]
    assert len(ok) == 2 and all(r["bytes"].isdigit() and r["quality"].isdigit() for r in ok)
    bad = [r for r in rows if r["status"] == "failed"]
    assert len(bad) == 1 and bad[0]["bytes"] == "" and "broken.png" in bad[0]["error"]


def test_report_that_cannot_be_written_names_every_failed_file(tmp_path, capsys, monkeypatch):
    import errno

    from msroi.batch.run import OutputFolder

    src, out = tmp_path / "in", tmp_path / "out"
    make_tree(src, 2, sub=False)
    (src / "broken.png").write_bytes(b"not an image")
    write = OutputFolder.write

    def disk_full_for_the_report(self, path, data, **record):
        if path.name == REPORT_NAME:
            raise OSError(errno.ENOSPC, "No space left on device")
        return write(self, path, data, **record)

    monkeypatch.setattr(OutputFolder, "write", disk_full_for_the_report)
    assert cli.main(["compress", str(src), "-o", str(out), "-q", "-j", "1"]) == 1
    err = capsys.readouterr().err
    assert "broken.png" in err and REPORT_NAME in err and "No space left" in err
    assert "Traceback" not in err
    assert len(list(out.glob("*.jpg"))) == 2


def test_animated_gif_first_frame_with_a_warning(tmp_path, capsys):
    frames = [Image.fromarray(small_photo(i)) for i in range(3)]
    gif = tmp_path / "anim.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100, loop=0)
    out = tmp_path / "anim.jpg"
    assert cli.main(["compress", str(gif), "-o", str(out)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "3 frames" in err[0] and err[0].startswith("msroi: warning:")
    assert_standard_jpeg(out.read_bytes(), (64, 96), baseline=False)


def test_max_pixels_refuses_before_decoding(tmp_path, capsys):
    path = tmp_path / "huge.png"
    Image.new("1", (12000, 12000)).save(path)  # a few kB on disk, 144 megapixels decoded
    assert cli.main(["compress", str(path), "-o", str(tmp_path / "h.jpg"), "--max-pixels",
                     "50000000"]) == 2  # the one file of a one-file run failed
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "too large" in err[0] and "huge.png" in err[0]


@pytest.mark.parametrize("argv", [
    ["--budget", "0"], ["--budget", "-5"], ["--budget", "abc"], ["--budget", "q0"],
    ["--budget", "q101"], ["--top-k", "0"], ["--working-size", "-1"], ["--jobs", "0"],
    ["--max-pixels", "x"], ["--model", "nope"], ["--total-budget", "0bpp"]])
def test_bad_option_values_are_one_line_exit_2(tmp_path, argv, capsys):
    Image.fromarray(small_photo(1)).save(tmp_path / "a.png")
    try:
        status = cli.main(["compress", str(tmp_path / "a.png"), "-o", str(tmp_path / "a.jpg"), *argv])
    except SystemExit as exc:
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("msroi: error:")
    assert not (tmp_path / "a.jpg").exists()


@pytest.mark.parametrize("value", ["0", "101", "x"])
def test_paper_program_bad_quality_is_one_line(value):
    result = subprocess.run([sys.executable, "combine_images.py", "-jpeg_compression", value],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_empty_array_is_a_clear_error():
    import msroi

    with pytest.raises(ValueError, match="no pixels"):
        msroi.compress(np.zeros((0, 0, 3), np.uint8))


def test_plan_refuses_output_folder_containing_the_input(tmp_path):
    src = tmp_path / "a" / "photos"
    make_tree(src, 1)
    with pytest.raises(MsroiError, match="contains the input"):
        plan_outputs(src, tmp_path / "a")


# -- kills, signals, processes ------------------------------------------------------------

def _wait_for_done(folder: Path, count: int, process: subprocess.Popen | None = None,
                   timeout: float = 120) -> int:
    """Waits until the manifest of ``folder`` records ``count`` files done; returns how many."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (folder / MANIFEST_NAME).exists() and (done := len(done_records(folder))) >= count:
            return done
        if process is not None and process.poll() is not None:
            raise AssertionError(f"run ended early: {process.communicate()}")
        time.sleep(0.05)
    raise AssertionError("no progress")


def test_kill_and_resume_redoes_only_what_was_in_flight(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    make_tree(src, 10)
    process = run_cli("compress", str(src), "-o", str(out), "-q", "-j", "1")
    _wait_for_done(out, 3, process)
    process.kill()
    process.wait()
    recorded = len(done_records(out))
    assert 3 <= recorded < 10
    rerun = subprocess.run([sys.executable, "-m", "msroi.cli", "compress", str(src), "-o",
                            str(out), "-q", "-j", "1"], cwd=ROOT, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    rows = read_report(out)
    assert len(rows) == 10
    assert sum(r["status"] == "up-to-date" for r in rows) == recorded
    assert sum(r["status"] == "done" for r in rows) == 10 - recorded
    assert len(list(out.rglob("*.jpg"))) == 10 and not list(out.rglob("*.tmp"))


@pytest.mark.parametrize("signum,status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_stops_after_files_in_flight_with_a_report(tmp_path, signum, status):
    src, out, tmp = tmp_path / "in", tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    make_tree(src, 12)
    process = run_cli("compress", str(src), "-o", str(out), "-q", "-j", "2",
                      env_extra={"TMPDIR": str(tmp)})
    _wait_for_done(out, 2, process)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == status, err
    assert "Traceback" not in err and "resume" in err
    rows = read_report(out)
    written = [r for r in rows if r["status"] == "done"]
    assert 2 <= len(written) < 12 and len(list(out.rglob("*.jpg"))) == len(written)
    assert len(done_records(out)) == len(written)
    assert not list(out.rglob("*.tmp")) and not list(tmp.iterdir())  # no temp files left
    rerun = subprocess.run([sys.executable, "-m", "msroi.cli", "compress", str(src), "-o",
                            str(out), "-q", "-j", "2"], cwd=ROOT, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    statuses = [r["status"] for r in read_report(out)]
    assert statuses.count("up-to-date") == len(written) and statuses.count("done") == 12 - len(written)


def test_two_runs_at_once_one_refuses(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    make_tree(src, 40)  # enough that the first run is still busy when the second starts
    first = run_cli("compress", str(src), "-o", str(out), "-q", "-j", "1")
    _wait_for_done(out, 1, first)
    second = subprocess.run([sys.executable, "-m", "msroi.cli", "compress", str(src), "-o",
                             str(out), "-q"], cwd=ROOT, capture_output=True, text=True)
    assert second.returncode == 2
    assert "another msroi run" in second.stderr and len(second.stderr.strip().splitlines()) == 1
    assert first.wait(timeout=120) == 0
    rows = read_report(out)
    assert len(rows) == 40 and {r["status"] for r in rows} == {"done"}


def test_process_pool_writes_every_file_once(tmp_path):
    from msroi.batch import CompressSettings, compress_files

    src, out = tmp_path / "in", tmp_path / "out"
    make_tree(src, 6)
    report = compress_files(plan_outputs(src, out), CompressSettings(), jobs=2, progress=False)
    assert report.ok and len(report.rows) == 6
    records = done_records(out)
    assert sorted(r["output"] for r in records) == sorted(
        str(p.relative_to(out)) for p in out.rglob("*.jpg"))
    assert_standard_jpeg((out / "img00.jpg").read_bytes(), (64, 96), baseline=False)


def test_dask_cluster_with_a_worker_killed_mid_run(tmp_path):
    distributed = pytest.importorskip("distributed")
    import threading

    from msroi.batch import CompressSettings, compress_files

    src, out = tmp_path / "in", tmp_path / "out"
    make_tree(src, 30)
    killed_after = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            client.wait_for_workers(2)
            victim = next(iter(client.run(os.getpid).values()))

        def kill_a_worker():
            done = _wait_for_done(out, 2)
            os.kill(victim, signal.SIGKILL)
            killed_after.append(done)

        killer = threading.Thread(target=kill_a_worker, daemon=True)
        killer.start()
        report = compress_files(plan_outputs(src, out), CompressSettings(),
                                dask=cluster.scheduler_address, progress=False)
        killer.join(timeout=60)
    assert killed_after and killed_after[0] < 30  # the kill came mid-run
    assert report.ok, report.failed
    records = done_records(out)
    assert len(records) == 30 and len({r["output"] for r in records}) == 30
    assert len(list(out.rglob("*.jpg"))) == 30


# -- fuzzing: no traceback for any option value or input bytes ----------------------------

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_OPTIONS = ["--budget", "--total-budget", "--top-k", "--working-size", "--jobs", "--max-pixels"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(option=st.sampled_from(_OPTIONS), value=st.text(min_size=1, max_size=12))
def test_fuzzed_option_values_parse_or_fail_in_one_line(option, value, capsys):
    parser = cli.build_parser()
    try:
        parser.parse_args(["compress", "in.png", "-o", "out.jpg", f"{option}={value}"])
    except SystemExit as exc:
        assert exc.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("msroi: error:")


@settings(max_examples=200, deadline=None)
@given(data=st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"BM", b"II*\x00",
                     b"RIFF\x00\x00\x00\x00WEBP"]).flatmap(
        lambda head: st.binary(max_size=200).map(lambda tail: head + tail))))
def test_fuzzed_input_bytes_give_one_line_errors(data):
    from msroi.errors import ImageReadError
    from msroi.io import load_image

    try:
        loaded = load_image("fuzz.bin", data=data)
    except ImageReadError as exc:
        message = str(exc)
        assert message.startswith("fuzz.bin: ") and "\n" not in message
    else:
        assert loaded.pixels.ndim == 3 and loaded.pixels.dtype == np.uint8


def test_compress_file_job_reports_bad_bytes_as_one_line():
    from msroi.batch import CompressSettings, compress_file

    result = compress_file(CompressSettings(), "x.png", b"\x89PNG\r\n\x1a\nrubbish")
    assert result.data is None and result.error.startswith("x.png: ")


def test_the_process_cache_loads_once_per_key_and_clears():
    from msroi.parallel import ProcessCache

    cache, made = ProcessCache(), []
    first = cache.get(("thing", 1), lambda: made.append(1) or object())
    assert cache.get(("thing", 1), lambda: made.append(2) or object()) is first
    assert cache.get(("thing", 2), lambda: made.append(3) or object()) is not first
    assert made == [1, 3]
    cache.clear()
    assert cache.get(("thing", 1), lambda: made.append(4) or object()) is not first
    assert made == [1, 3, 4]


def test_the_judge_is_shared_per_cache_folder(monkeypatch, tmp_path):
    from msroi.evaluation import judge
    from msroi.parallel import LOADED

    made = []
    monkeypatch.setattr(judge, "Judge", lambda: made.append(judge.default_cache_dir()) or object())
    LOADED.clear()
    try:
        monkeypatch.setenv("MSROI_CACHE", str(tmp_path / "a"))
        assert judge.shared_judge() is judge.shared_judge()
        monkeypatch.setenv("MSROI_CACHE", str(tmp_path / "b"))  # read at each call, not once
        judge.shared_judge()
        assert made == [tmp_path / "a" / "judge", tmp_path / "b" / "judge"]
    finally:
        LOADED.clear()

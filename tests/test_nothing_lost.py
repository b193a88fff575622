"""Nothing lost, part two: the hostile but realistic cases of issue 18, one test each.

Numbered as in the issue (case N). Most run through ``cli.main``; the SIGKILL, FIFO and
device cases run the real command in a subprocess with a time limit; a full or read-only
disk is a small tmpfs where this machine lets the test mount one (root), else a write error
injected at the write.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_batch import ROOT, make_tree, read_report, run_cli, small_photo

from msroi import cli
from msroi.batch import LOCK_NAME, MANIFEST_NAME
from msroi.errors import MsroiError


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("msroi: error: ") and "Traceback" not in err[0], err
    return err[0]


def photo(path: Path, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(small_photo(seed)).save(path)
    return path


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "64k", *, read_only: bool = False):
    """A tmpfs of ``size`` mounted at ``folder`` (skips the test where mounting is not allowed)."""
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> None:
    """Fills the file system of ``folder`` to the last byte."""
    with contextlib.suppress(OSError), open(folder / "filler", "wb", buffering=0) as f:
        while True:
            f.write(b"\0" * 4096)


# -- data lost or replaced ------------------------------------------------------------------

@pytest.mark.parametrize("error", [errno.EACCES, errno.ENOSPC])
def test_case01_a_failed_write_never_licenses_replacing_a_users_file(tmp_path, capsys,
                                                                     monkeypatch, error):
    import msroi.batch.run as run

    src, out = tmp_path / "in", tmp_path / "out"
    photo(src / "a.png", 1)
    photo(src / "sub" / "b.png", 2)
    real_write = run.write_bytes_atomic

    def failing_write(path, data, **kw):
        if Path(path).name == "b.jpg":
            raise OSError(error, os.strerror(error), str(path))
        return real_write(path, data, **kw)

    monkeypatch.setattr(run, "write_bytes_atomic", failing_write)
    assert cli.main(["compress", str(src), "-o", str(out), "-j", "1", "-q"]) == 1
    monkeypatch.setattr(run, "write_bytes_atomic", real_write)
    capsys.readouterr()
    (out / "sub").mkdir(exist_ok=True)
    (out / "sub" / "b.jpg").write_text("mine")  # the user's file where the write had failed
    assert cli.main(["compress", str(src), "-o", str(out), "-j", "1", "-q"]) == 1
    assert (out / "sub" / "b.jpg").read_text() == "mine"
    rows = {Path(r["input"]).name: r for r in read_report(out)}
    assert rows["b.png"]["status"] == "failed" and "not written by msroi" in rows["b.png"]["error"]
    assert rows["a.png"]["status"] == "up-to-date" and not rows["b.png"]["replaced"]


def test_case01_a_write_killed_after_its_record_is_still_msroi_s(tmp_path):
    """The other side: a file msroi wrote whose "done" record never came (killed between
    the two) is recognised by its content and replaced by the rerun."""
    from msroi.batch.manifest import Manifest

    src, out = tmp_path / "in", tmp_path / "out"
    photo(src / "a.png")
    assert cli.main(["compress", str(src), "-o", str(out), "-q"]) == 0
    manifest = Manifest(out)
    data = b"\xff\xd8 what a killed run wrote"
    manifest.writing(out / "a.jpg", data)
    manifest.close()
    (out / "a.jpg").write_bytes(data)
    assert Manifest(out).owns(out / "a.jpg")
    (out / "a.jpg").write_bytes(data[:-1] + b"!")  # same size, other content: the user's
    assert not Manifest(out).owns(out / "a.jpg")


@pytest.mark.parametrize("name", [LOCK_NAME, MANIFEST_NAME])
def test_case02_lock_and_manifest_never_follow_links(tmp_path, capsys, name):
    src, out = tmp_path / "in", tmp_path / "out"
    photo(src / "a.png")
    out.mkdir()
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    (out / name).symlink_to(Path("..") / "notes.txt")
    assert cli.main(["compress", str(src), "-o", str(out), "-q"]) == 2
    assert "symbolic link" in one_error_line(capsys)
    assert notes.read_text() == "my notes\n" and not (out / "a.jpg").exists()


@pytest.mark.parametrize("name", [LOCK_NAME, MANIFEST_NAME])
def test_case02_a_users_own_file_under_msroi_s_names_is_left_alone(tmp_path, capsys, name):
    src, out = tmp_path / "in", tmp_path / "out"
    photo(src / "a.png")
    out.mkdir()
    (out / name).write_text("my own file\n")
    assert cli.main(["compress", str(src), "-o", str(out), "-q"]) == 2
    assert "not msroi's" in one_error_line(capsys)
    assert (out / name).read_text() == "my own file\n"


def test_case03_overwrite_never_replaces_a_fifo_or_a_device(tmp_path, capsys):
    image = photo(tmp_path / "a.png")
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    assert cli.main(["compress", str(image), "-o", str(fifo), "--overwrite", "-q"]) == 2
    assert "FIFO" in one_error_line(capsys) and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert cli.main(["map", str(image), "-o", str(fifo), "--overwrite", "-q"]) == 2
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    capsys.readouterr()
    node = tmp_path / "mynull"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        return  # only root makes device nodes
    assert cli.main(["compress", str(image), "-o", str(node), "--overwrite", "-q"]) == 2
    assert "device" in one_error_line(capsys) and stat.S_ISCHR(os.lstat(node).st_mode)


def test_case04_the_map_is_an_input_never_an_output(tmp_path, capsys):
    image = photo(tmp_path / "a.png")
    importance = tmp_path / "m.png"
    Image.fromarray(np.full((64, 96), 200, np.uint8)).save(importance)
    before = importance.read_bytes()
    assert cli.main(["compress", str(image), "-o", str(importance), "--map", str(importance),
                     "--overwrite", "-q"]) == 2
    assert "input" in one_error_line(capsys) and importance.read_bytes() == before


# -- tracebacks, hangs, silent skips, wrong answers ---------------------------------------

def test_case05_output_subfolder_linked_outside_the_output_tree(tmp_path, capsys):
    src, out, elsewhere = tmp_path / "in", tmp_path / "out", tmp_path / "elsewhere"
    photo(src / "a.png", 1)
    photo(src / "sub" / "b.png", 2)
    out.mkdir()
    elsewhere.mkdir()
    (out / "sub").symlink_to(elsewhere)
    assert cli.main(["compress", str(src), "-o", str(out), "-q"]) == 1
    assert "symbolic link" in one_error_line(capsys)
    assert not list(elsewhere.iterdir()) and (out / "a.jpg").is_file()
    assert {r["status"] for r in read_report(out)} == {"done", "failed"}


def test_case06_a_symlink_loop_in_the_input_tree_is_one_failed_row(tmp_path, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    photo(src / "a.png")
    (src / "b.png").symlink_to("c.png")
    (src / "c.png").symlink_to("b.png")
    assert cli.main(["compress", str(src), "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all("symbolic link loop" in line for line in err)
    assert (out / "a.jpg").is_file()


def test_case07_read_only_output_folder(tmp_path, capsys):
    image = photo(tmp_path / "a.png")
    with small_disk(tmp_path / "ro", read_only=True) as folder:
        assert cli.main(["compress", str(tmp_path), "-o", str(folder / "out"), "-q"]) == 2
        assert "read-only" in one_error_line(capsys).lower()
        assert cli.main(["compress", str(image), "-o", str(folder / "a.jpg"), "-q"]) == 2
        assert "read-only" in one_error_line(capsys).lower()


def test_case08_disk_full_before_the_lock_or_at_the_manifest(tmp_path, capsys, monkeypatch):
    src = tmp_path / "in"
    photo(src / "a.png")
    with small_disk(tmp_path / "disk") as disk:
        (disk / "out").mkdir()
        fill(disk)
        status = cli.main(["compress", str(src), "-o", str(disk / "out"), "-q"])
        assert status in (1, 2)
        err = capsys.readouterr().err
        assert "Traceback" not in err and "No space left" in err
    # the manifest's own write failing mid-run: the file fails with one line, the run goes on
    import msroi.batch.manifest as manifest

    out = tmp_path / "out"
    photo(src / "b.png", 3)
    real_append = manifest.Manifest._append
    calls = []

    def append_fails_once(self, record):
        calls.append(record)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.path))
        return real_append(self, record)

    monkeypatch.setattr(manifest.Manifest, "_append", append_fails_once)
    assert cli.main(["compress", str(src), "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left" in err[0]
    assert len(read_report(out)) == 2


def test_case09_the_walk_reports_what_it_cannot_enter_and_takes_every_readable_image(
        tmp_path, capsys, monkeypatch):
    src, out, shared = tmp_path / "in", tmp_path / "out", tmp_path / "shared"
    photo(src / "a.png", 1)
    photo(shared / "s.png", 2)
    (src / "linked").symlink_to(shared)       # a linked subfolder is walked
    photo(src / "locked" / "l.png", 3)
    Image.fromarray(small_photo(4)).save(src / "w.webp")  # any format Pillow reads
    real_scandir = os.scandir

    def scandir(path="."):
        if isinstance(path, (str, os.PathLike)) and Path(path).name == "locked":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    import msroi.io

    monkeypatch.setattr(msroi.io.os, "scandir", scandir)
    assert cli.main(["compress", str(src), "-o", str(out), "-q"]) == 1
    assert "locked: cannot enter the folder (Permission denied)" in one_error_line(capsys)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.jpg")) == [
        "a.jpg", "linked/s.jpg", "w.jpg"]


def test_case09_a_set_budget_run_reports_what_the_walk_could_not_read(tmp_path, capsys):
    """The total-budget run reports walk problems as failed rows too (it once listed only
    the files it found), and still writes the readable images."""
    src, out = tmp_path / "in", tmp_path / "out"
    photo(src / "a.png", 1)
    photo(src / "b.png", 2)
    (src / "gone.png").symlink_to(tmp_path / "nowhere.png")  # a dangling link
    assert cli.main(["compress", str(src), "-o", str(out), "--total-budget", "1bpp", "-q"]) == 1
    assert "gone.png" in one_error_line(capsys)
    rows = {Path(r["input"]).name: r["status"] for r in read_report(out)}
    assert rows == {"gone.png": "failed", "a.png": "done", "b.png": "done"}


def test_case09_a_heic_in_a_folder_is_taken_and_fails_in_one_line_without_a_reader(
        tmp_path, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    photo(src / "a.png")
    (src / "phone.heic").write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(64))
    status = cli.main(["compress", str(src), "-o", str(out), "-q"])
    rows = {Path(r["input"]).name: r for r in read_report(out)}
    assert "phone.heic" in rows  # never skipped unseen
    if rows["phone.heic"]["status"] == "failed":
        assert status == 1 and "phone.heic" in one_error_line(capsys)


def test_case10_names_up_to_the_file_system_limit(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    name = "n" * 251 + ".png"  # 255 bytes; the output a.jpg too
    photo(src / name)
    assert cli.main(["compress", str(src), "-o", str(out), "-q"]) == 0
    assert (out / ("n" * 251 + ".jpg")).is_file()
    single = tmp_path / ("s" * 251 + ".jpg")
    assert cli.main(["compress", str(src / name), "-o", str(single), "-q"]) == 0
    assert single.is_file() and not list(tmp_path.glob(".msroi-*"))


def test_case11_a_fifo_in_the_tree_and_devices_as_inputs_never_hang(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    photo(src / "a.png")
    os.mkfifo(src / "p.png")
    done = subprocess.run([sys.executable, "-m", "msroi.cli", "compress", str(src), "-o", str(out),
                           "-q"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "p.png: is a FIFO" in done.stderr
    assert (out / "a.jpg").is_file()
    for argv in (["/dev/zero", "-o", str(tmp_path / "x.jpg")],
                 [str(src / "a.png"), "-o", str(tmp_path / "y.jpg"), "--map", "/dev/zero"]):
        done = subprocess.run([sys.executable, "-m", "msroi.cli", "compress", *argv, "-q"],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and "/dev/zero" in done.stderr and "device" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_case11_reading_stops_at_the_size_limit(tmp_path):
    from msroi.errors import ImageReadError
    from msroi.io import read_input

    big = tmp_path / "big.png"
    big.write_bytes(bytes(5000))
    with pytest.raises(ImageReadError, match="too large"):
        read_input(big, max_bytes=4096)
    assert len(read_input(big, max_bytes=5000)) == 5000


def test_case12_max_pixels_applies_to_the_map(tmp_path, capsys):
    image = photo(tmp_path / "a.png")
    huge = tmp_path / "m.png"
    Image.new("1", (12000, 12000)).save(huge)  # a few kB on disk, 144 megapixels
    assert cli.main(["compress", str(image), "-o", str(tmp_path / "a.jpg"), "--map", str(huge),
                     "-q"]) == 2
    line = one_error_line(capsys)
    assert "m.png" in line and "too large" in line


def _jpeg(tmp_path: Path) -> bytes:
    path = tmp_path / "good.jpg"
    Image.fromarray(np.kron(small_photo(5), np.ones((4, 4, 1), np.uint8))).save(path, quality=90)
    return path.read_bytes()


def test_case13_damaged_jpegs_fail_unless_accepted(tmp_path, capsys):
    data = _jpeg(tmp_path)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: len(data) // 2] + b"\xff\xd9")  # cut short, yet ends in EOI
    scan = data.index(b"\xff\xda")
    rotten = tmp_path / "rotten.jpg"
    rotten.write_bytes(data[:scan + 400] + bytes(range(256)) * 4 + data[scan + 1424:])
    bomb = tmp_path / "bomb.jpg"  # a small file that declares 6000x6000
    header = bytearray(data[: scan + 20])
    sof = header.index(b"\xff\xc0")
    header[sof + 5: sof + 9] = (6000).to_bytes(2, "big") * 2
    bomb.write_bytes(bytes(header) + b"\xff\xd9")
    for path in (cut, rotten, bomb):
        started = time.perf_counter()
        assert cli.main(["compress", str(path), "-o", str(tmp_path / "o.jpg"), "-q"]) == 2
        assert time.perf_counter() - started < 20
        line = one_error_line(capsys)
        assert path.name in line and "damaged JPEG" in line
    assert cli.main(["compress", str(cut), "-o", str(tmp_path / "o.jpg"), "--accept-damaged",
                     "-q"]) == 0
    assert cli.main(["decode", str(cut), "-o", str(tmp_path / "o.png"), "-q"]) == 2
    assert "damaged JPEG" in one_error_line(capsys)


@pytest.mark.parametrize("address", ["bogus:x", "http://x", "tcp://[::1", "tcp://a b"])
def test_case14_bad_dask_addresses_are_usage_errors(tmp_path, capsys, address):
    image = photo(tmp_path / "a.png")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["compress", str(image), "-o", str(tmp_path / "a.jpg"), "--dask", address])
    assert exit_info.value.code == 2
    assert "not a scheduler address" in one_error_line(capsys)


def test_case15_output_under_a_regular_file(tmp_path, capsys):
    image = photo(tmp_path / "in" / "a.png")
    assert cli.main(["compress", str(tmp_path / "in"), "-o", str(image / "sub"), "-q"]) == 2
    assert "is a file, not a folder" in one_error_line(capsys)
    assert cli.main(["compress", str(image), "-o", str(image / "sub.jpg"), "-q"]) == 2
    assert "is a file, not a folder" in one_error_line(capsys)
    assert cli.main(["evaluate", "--data", str(tmp_path / "in"), "--out", str(image), "-q"]) == 2
    assert "is a file, not a folder" in one_error_line(capsys)


@pytest.mark.parametrize("budget", [1e30, 2**70, float("nan"), float("inf"), -1, 0,
                                    "99999999999999999999999", "q0", "1e5"])
def test_case16_impossible_budgets_are_msroi_errors(budget):
    from msroi.pipeline import as_budget

    with pytest.raises(MsroiError) as info:
        as_budget(budget)
    assert "\n" not in str(info.value) and "loop of ufunc" not in str(info.value)


def test_case16_clear_messages_for_api_misuse(tmp_path, capsys):
    from msroi import maps
    from msroi.decoders.base import get_decoder

    with pytest.raises(MsroiError, match="no pixels"):
        maps.generate_map(np.zeros((0, 0, 3), np.uint8))
    with pytest.raises(MsroiError) as info:
        get_decoder("standard").decode(b"garbage")
    assert "BytesIO" not in str(info.value)
    garbage = tmp_path / "g.jpg"
    garbage.write_bytes(b"garbage")
    assert cli.main(["decode", str(garbage), "-o", str(tmp_path / "g.png")]) == 2
    line = one_error_line(capsys)
    assert "g.jpg" in line and "BytesIO" not in line
    with pytest.raises(SystemExit):
        cli.main(["compress", str(garbage), "-o", "x.jpg", "--budget", "99999999999999999999999"])
    assert "budget" in one_error_line(capsys)


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_case17_workers_die_with_a_killed_parent_and_the_next_run_sweeps(tmp_path):
    from msroi.parallel import sweep_dead_runs

    src, out, tmp = tmp_path / "in", tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    make_tree(src, 30)
    process = run_cli("compress", str(src), "-o", str(out), "-q", "-j", "2",
                      env_extra={"TMPDIR": str(tmp)}, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(children := _children(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(children) >= 2, "no workers started"
    process.kill()
    process.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in children), "workers outlived their parent"
    left = list(tmp.glob("msroi-run-*"))
    assert left  # the killed run could not clean up ...
    assert sorted(sweep_dead_runs(str(tmp))) == sorted(str(p) for p in left)  # ... the next does
    assert not list(tmp.glob("msroi-run-*"))


def test_case18_exit_codes_agree(tmp_path, capsys):
    image = photo(tmp_path / "a.png")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    out = str(tmp_path / "a.jpg")
    assert cli.main(["compress", str(image), "-o", out, "--map", str(empty), "-q"]) == 2
    assert "empty.png" in one_error_line(capsys)
    assert cli.main(["compress", str(image), "-o", out, "--map", str(tmp_path / "no.png"), "-q"]) == 2
    line = one_error_line(capsys)
    assert "no.png" in line and "no such file" in line
    assert cli.main(["compress", str(image), "-o", out, "--model", "postfilter_small", "-q"]) == 2
    assert "not a map model" in one_error_line(capsys)
    folder = tmp_path / "photos"
    photo(folder / "b.png")
    assert cli.main(["compress", str(folder), "-o", str(folder), "-q"]) == 2
    assert "is the input folder" in one_error_line(capsys)


def test_case18_clic_name_clash_names_both_files(tmp_path, capsys):
    folder = tmp_path / "photos"
    photo(folder / "a.png")
    photo(folder / "a.jpg", 1)
    assert cli.main(["clic", "pack", str(folder), "-o", str(tmp_path / "sub"), "-q"]) == 2
    line = one_error_line(capsys)
    assert "a.png" in line and "a.jpg" in line


def test_case19_single_file_run_stopped_by_sigterm_is_not_told_to_resume(tmp_path):
    image = photo(tmp_path / "a.png")
    out = tmp_path / "a.jpg"
    process = run_cli("compress", str(image), "-o", str(out), "-q")
    time.sleep(1.0)  # in start-up or in the work: either way the run must end cleanly
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert "Traceback" not in err
    if out.exists():  # the file was done: no false promise of a resume that cannot happen
        assert "run the same command again" not in err


def test_case19_decode_reruns_into_its_own_folder(tmp_path, capsys):
    jpegs = tmp_path / "jpegs"
    jpegs.mkdir()
    for i in range(2):
        Image.fromarray(small_photo(i)).save(jpegs / f"{i}.jpg")
    out = tmp_path / "png"
    assert cli.main(["decode", str(jpegs), "-o", str(out), "-q"]) == 0
    assert cli.main(["decode", str(jpegs), "-o", str(out), "-q"]) == 0  # up to date
    (out / "0.png").write_bytes(b"the user's edit")
    assert cli.main(["decode", str(jpegs), "-o", str(out), "-q"]) == 1
    assert (out / "0.png").read_bytes() == b"the user's edit"
    assert "not written by msroi" in one_error_line(capsys)


def test_case20_an_interrupted_report_lists_files_not_started(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    make_tree(src, 40)
    process = run_cli("compress", str(src), "-o", str(out), "-q", "-j", "1")
    from test_batch import _wait_for_done

    _wait_for_done(out, 1, process)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 143, err
    rows = read_report(out)
    assert len(rows) == 40
    assert {r["status"] for r in rows} <= {"done", "not started"}
    assert sum(r["status"] == "not started" for r in rows) >= 1 and "resume" in err


def test_case21_gigabyte_budgets(tmp_path):
    from msroi.rate import Budget

    assert Budget.parse("1GB").max_bytes == 10**9
    assert Budget.parse("30MB").max_bytes == 30 * 10**6
    image = photo(tmp_path / "a.png")
    assert cli.main(["compress", str(image), "-o", str(tmp_path / "a.jpg"), "--budget", "1GB",
                     "-q"]) == 0


# -- fuzzing the command line: 0 tracebacks, 0 hangs, only the documented exit codes --------

_PATHS = ["{image}", "{folder}", "/dev/zero", "{fifo}", "{missing}", "{image}/sub", "-", ""]
_VALUES = {
    "--dask": ["local:1", "http://x", "tcp://[::1", "bogus", "", "tcp://:0"],
    "--budget": ["1GB", "1e5", "nan", "inf", "q-1", "0.0bpp", "99999999999999999", "2MB"],
    "--max-pixels": ["0", "-1", "1", "10", "99999999999999999999"],
    "--map": _PATHS,
    "-o": _PATHS,
}


def test_fuzzed_command_lines_end_in_documented_exit_codes(tmp_path):
    """A fixed-seed sample of hostile option values through the real command, each run
    bounded in time: no traceback, no hang, exit status in the README's table."""
    rng = np.random.default_rng(18)
    image = photo(tmp_path / "a.png")
    folder = tmp_path / "folder"
    photo(folder / "b.png", 1)
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    fill_in = {"image": image, "folder": folder, "fifo": fifo, "missing": tmp_path / "missing.png"}
    script = "import sys; from msroi import cli; sys.exit(cli.main(sys.argv[1:]))"
    for trial in range(12):
        options = list(rng.choice(sorted(_VALUES), size=2, replace=False))
        argv = ["compress", str(image), "-o", str(tmp_path / f"out{trial}.jpg"), "-q", "-j", "1"]
        for option in options:
            value = str(rng.choice(_VALUES[option])).format(**fill_in)
            if option == "-o":
                argv[3] = value
            else:
                argv += [option, value]
        done = subprocess.run([sys.executable, "-c", script, *argv], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert "Traceback" not in done.stderr, (argv, done.stderr)
        assert done.returncode in (0, 1, 2, 130, 143), (argv, done.returncode, done.stderr)
        assert fifo.exists() and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_run_folders_are_claimed_never_mixed_with_a_users_files(tmp_path, capsys):
    from msroi.io import RUN_MARKER, claim_run_folder

    data = tmp_path / "data"
    photo(data / "a.png")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert cli.main(["evaluate", "--data", str(data), "--out", str(mine), "-q"]) == 2
    assert "msroi did not write" in one_error_line(capsys)
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    run = claim_run_folder(tmp_path / "run")  # new: claimed, and taken again on a rerun
    (run / "log.csv").write_text("epoch\n")
    assert claim_run_folder(run) == run and (run / RUN_MARKER).is_file()
    with pytest.raises(MsroiError, match="did not write"):
        claim_run_folder(mine)


def test_help_lists_the_exit_statuses():
    text = cli.build_parser("").format_help()
    for code in cli.EXIT_CODES:
        assert f"  {code}  " in text or f" {code}  " in text


@pytest.mark.parametrize("benchmark, argv", [
    ("batch", ["--data", "."]), ("decoding", ["--kodak", ".", "--live1", "."]),
    ("fixation_maps", ["--data", "."]), ("map_study", ["--data", "."]), ("match", ["--data", "."]),
    ("object_frontier", ["--data", "."]), ("semantic_frontier", ["--data", "."]),
    ("student_vs_teacher", ["--data", ".", "--student", "x"])])
def test_case22_a_benchmark_never_writes_into_a_users_folder(tmp_path, benchmark, argv):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    script = Path(__file__).resolve().parents[1] / "benchmarks" / f"{benchmark}.py"
    done = subprocess.run([sys.executable, str(script), *argv, "--out", str(folder)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert "holds files msroi did not write" in done.stderr and "Traceback" not in done.stderr
    assert sorted(os.listdir(folder)) == ["notes.txt"] and (folder / "notes.txt").read_text() == "mine"

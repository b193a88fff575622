"""The one executor: runs per-file jobs here, in a local process pool, or on a Dask cluster.

Every caller goes through :func:`run_unordered`, which keeps a bounded window of jobs in
flight (so memory stays bounded however large the folder), yields results as they finish,
and, when asked to stop, submits nothing more, cancels what has not started and lets the
running jobs finish. The executors differ only in where a job runs:

- :class:`InlineExecutor`: in this process (one worker; no start-up cost);
- :class:`PoolExecutor`: local worker processes (``spawn``: TensorFlow does not survive a
  fork), each with its own temporary folder inside the run's (removed at the end, so
  nothing leaks into $TMPDIR even if a worker is killed) and its share of the cores;
  workers ignore SIGINT/SIGTERM so a Ctrl-C lets their files finish, and die with the
  parent however it dies (``PR_SET_PDEATHSIG``, and a watch on the parent's pid); the run
  folder of a run that was killed is swept by the next run. A worker that dies
  (out of memory, killed) fails its jobs; each is tried once more on a new pool;
- :class:`DaskExecutor`: a ``dask.distributed`` cluster (``tcp://host:8786``) or a local one
  (``local``); Dask itself reruns the jobs of a worker that dies.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import fcntl
import glob
import multiprocessing
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from typing import Any, Callable, Iterable, Iterator

#: Environment variable naming a Dask scheduler for ``msroi compress`` (like ``--dask``).
DASK_ENV = "MSROI_DASK_SCHEDULER"


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def threads_per_process() -> int:
    """This process's share of the cores: what :func:`thread_environment` gave a worker,
    else every usable core. The share travels as ``OMP_NUM_THREADS`` because the native
    libraries (TensorFlow, oneDNN, OpenMP) read it when they start, before any of our code
    could tell them; LiteRT's interpreters take it from here."""
    share = os.environ.get("OMP_NUM_THREADS", "")
    if share.isdigit() and int(share) > 0:
        return int(share)
    return usable_cores()


class ProcessCache:
    """What a process loads once and every job in it reuses (a map network, a decoder that
    holds a network, the judge), by key: the one place such state lives. Jobs stay pure
    functions of their arguments (a key names everything the object depends on); a pool
    worker (spawned, never forked) starts with an empty cache. :meth:`clear` frees it all."""

    def __init__(self):
        self._objects: dict = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, make: Callable[[], Any]) -> Any:
        """The object kept under ``key``, made by ``make()`` the first time."""
        with self._lock:  # one load even when threads (Dask) ask at once
            if key not in self._objects:
                self._objects[key] = make()
            return self._objects[key]

    def clear(self) -> None:
        with self._lock:
            self._objects.clear()


#: This process's cache (see :class:`ProcessCache`).
LOADED = ProcessCache()


class WorkerLost(Exception):
    """A job's worker process died before the job finished."""


class InlineExecutor:
    """Runs each job at submit time, in this process."""

    workers = 1
    window = 1

    def submit(self, fn: Callable, *args) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future

    def wait_any(self, futures, timeout: float):
        return set(futures)

    def result(self, future) -> Any:
        return future.result()

    def cancel(self, future) -> bool:
        return False

    def close(self) -> None:
        pass


def thread_environment(threads: int) -> dict[str, str]:
    """Environment that keeps one worker's TensorFlow and oneDNN within ``threads`` cores
    (several workers each using every core only fight over them)."""
    return {"OMP_NUM_THREADS": str(threads), "TF_NUM_INTRAOP_THREADS": str(threads),
            "TF_NUM_INTEROP_THREADS": "1"}


_PR_SET_PDEATHSIG = 1
_RUN_PREFIX = "msroi-run-"
_RUN_LOCK = ".alive"


def _die_with(parent: int) -> None:
    """Ends this process when ``parent`` ends: the kernel's parent-death signal where there
    is one (Linux), and a thread that watches the parent's pid everywhere (the signal is
    tied to the thread that started the worker, and may be missed before it is set)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="msroi-parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was set
        os._exit(1)


def _init_worker(tmpdir: str, threads: int, parent: int) -> None:
    _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.environ["TMPDIR"] = tmpdir
    tempfile.tempdir = tmpdir
    os.environ.update(thread_environment(threads))


class PoolExecutor:
    """``workers`` local processes sharing the machine's cores."""

    def __init__(self, workers: int):
        self.workers = workers
        self.window = 2 * workers
        sweep_dead_runs()
        self._tmpdir = tempfile.mkdtemp(prefix=_RUN_PREFIX)
        # held while this run lives: the next run sweeps the folder once nobody holds it
        self._alive = os.open(os.path.join(self._tmpdir, _RUN_LOCK),
                              os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._alive, fcntl.LOCK_EX)
        self._threads = max(1, usable_cores() // workers)
        self._pool = self._new_pool()
        self._retries: dict[cf.Future, tuple[Callable, tuple]] = {}

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker, initargs=(self._tmpdir, self._threads, os.getpid()))

    def submit(self, fn: Callable, *args) -> cf.Future:
        try:
            future = self._pool.submit(fn, *args)
        except cf.BrokenExecutor:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            future = self._pool.submit(fn, *args)
        self._retries[future] = (fn, args)
        return future

    def wait_any(self, futures, timeout: float):
        return cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED).done

    def result(self, future) -> Any:
        fn, args = self._retries.pop(future)
        try:
            return future.result()
        except cf.BrokenExecutor:
            pass
        # Its worker died (perhaps for another job): once more, alone on a fresh pool.
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()
        try:
            return self._pool.submit(fn, *args).result()
        except cf.BrokenExecutor:
            raise WorkerLost("its worker process died twice (out of memory? try lower "
                             "--max-pixels or --jobs)") from None

    def cancel(self, future) -> bool:
        cancelled = future.cancel()
        if cancelled:
            self._retries.pop(future, None)
        return cancelled

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self._tmpdir, ignore_errors=True)
        os.close(self._alive)


def sweep_dead_runs(parent: str | None = None) -> list[str]:
    """Removes the run folders (``msroi-run-*`` in ``parent``, default the temporary
    folder) that no living run holds: what a killed run left. Returns those removed."""
    removed = []
    for folder in glob.glob(os.path.join(parent or tempfile.gettempdir(), _RUN_PREFIX + "*")):
        try:
            fd = os.open(os.path.join(folder, _RUN_LOCK), os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue  # not a run folder of this version, or not ours to judge
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # a living run holds it
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)
        removed.append(folder)
    return removed

class DaskExecutor:
    """Jobs on a Dask cluster: ``address`` of its scheduler, or ``"local"`` for a
    ``LocalCluster`` of ``workers`` single-threaded processes made here."""

    def __init__(self, address: str, workers: int = 1):
        try:
            import distributed
        except ImportError:
            from msroi.errors import MsroiError

            raise MsroiError("--dask needs the 'distributed' package "
                             "(pip install 'dask[distributed]')") from None
        self._distributed = distributed
        self._cluster = None
        if address == "local":
            import dask

            # Dask's default MALLOC_TRIM_THRESHOLD_ (64 kB) pins glibc's thresholds, so
            # every large array is a fresh mmap and page faults: encoding ran ~25% slower.
            with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
                self._cluster = distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True,
                    dashboard_address=None,
                    env=thread_environment(max(1, usable_cores() // workers)))
            address = self._cluster
        try:
            self._client = distributed.Client(address, timeout="20s")
        except (OSError, ValueError, TypeError) as exc:
            from msroi.errors import MsroiError

            raise MsroiError(f"--dask {address}: cannot reach the scheduler ({exc})") from None
        self.workers = max(1, sum(self._client.nthreads().values()))
        self.window = 2 * self.workers

    def submit(self, fn: Callable, *args):
        return self._client.submit(fn, *args, pure=False)

    def wait_any(self, futures, timeout: float):
        try:
            return self._distributed.wait(list(futures), timeout=timeout,
                                          return_when="FIRST_COMPLETED").done
        except self._distributed.TimeoutError:
            return set()

    def result(self, future) -> Any:
        try:
            return future.result()
        except self._distributed.KilledWorker as exc:
            raise WorkerLost(f"Dask workers kept dying on it ({exc})") from None

    def cancel(self, future) -> bool:
        if future.status == "pending":
            future.cancel()
            return True
        return False

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


_DASK_ADDRESS = re.compile(r"(?:(?:tcp|tls|inproc|ucx|ws|wss)://)?"
                           r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::\d{1,5})?")


def check_dask_address(address: str) -> str:
    """``address`` if it is ``local`` or a scheduler address (``tcp://host:8786``,
    ``host:8786``, ``tls://[::1]:8786``); :class:`MsroiError` (one line) otherwise."""
    from msroi.errors import InvalidArgumentError

    if address == "local" or _DASK_ADDRESS.fullmatch(address):
        return address
    raise InvalidArgumentError(f"--dask {address!r}: not a scheduler address (examples: local, "
                               "tcp://host:8786)")


def make_executor(jobs: int, dask: str | None = None):
    """Inline for one job, a process pool for more, or Dask when a scheduler is named."""
    if dask:
        return DaskExecutor(check_dask_address(dask), jobs)
    return InlineExecutor() if jobs <= 1 else PoolExecutor(jobs)


def run_unordered(executor, fn: Callable, items: Iterable[tuple[Any, tuple]], *,
                  should_stop: Callable[[], bool] = lambda: False,
                  window: int | None = None) -> Iterator[tuple[Any, Any, BaseException | None]]:
    """Yields ``(key, result, None)`` or ``(key, None, exception)`` for each ``(key, args)``
    of ``items`` as ``fn(*args)`` finishes, at most ``window`` (default: the executor's) in
    flight. ``items`` is consumed lazily (args are made only when submitted). Once
    ``should_stop()`` is true no more are submitted, unstarted jobs are dropped (not
    yielded) and the running ones are waited for."""
    window = window or executor.window
    pending: dict[Any, Any] = {}
    source = iter(items)
    exhausted = False
    while True:
        stopping = should_stop()
        while not stopping and not exhausted and len(pending) < window:
            try:
                key, args = next(source)
            except StopIteration:
                exhausted = True
                break
            pending[executor.submit(fn, *args)] = key
            stopping = should_stop()
        if stopping:
            for future in [f for f in pending if executor.cancel(f)]:
                del pending[future]
        if not pending:
            return
        for future in executor.wait_any(pending, timeout=0.25):
            key = pending.pop(future)
            try:
                yield key, executor.result(future), None
            except Exception as exc:  # noqa: BLE001 - reported by the caller, the run goes on
                yield key, None, exc

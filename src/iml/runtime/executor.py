"""Where fits run: worker processes that use every core and can be stopped at their time limit.

Every fit of the training loop (a timing probe, a tuning trial, a fold, a refit) is one job. A job
runs in a forked worker, so it reads the parent's feature frames without copying them, uses one
thread (the workers together use the cores), and is killed when it overruns its hard deadline: a
learner that ignores its time limit (a linear solver, a slow network) cannot take the run with it.
Only the job's result (a fitted model and its predictions) travels back, pickled.

``InProcess`` runs jobs one after the other in this process (no kill, nothing pickled): what tests
that inspect a fit, and a machine that cannot fork, use. ``executor_ray.RayWorkers`` runs the same
jobs as Ray tasks, on a local Ray or a cluster. All answer the same calls (submit, wait, free,
cancel, shutdown).
"""

from __future__ import annotations

import os
import pickle
import signal
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

GRACE_S = 2.0  # past a job's deadline before it is killed: a fit stopping at its own limit needs a moment
_IN_WORKER = False


def in_worker() -> bool:
    """Whether this process is a worker (whose results travel back pickled)."""
    return _IN_WORKER


class Pickled:
    """A fitted model as its pickle, as a worker sends it back.

    The parent never unpickles it: loading a LightGBM booster starts OpenMP's thread pool, and a
    process forked after that hangs the first time its own LightGBM uses OpenMP. ``dump`` writes it
    into a file as the model itself, and it still predicts (unpickled on first use) where a caller
    asks it to.
    """

    def __init__(self, model: Any):
        self.blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self) -> Any:
        if "_model" not in self.__dict__:
            self.__dict__["_model"] = pickle.loads(self.blob)
        return self.__dict__["_model"]

    def __getstate__(self) -> dict:
        return {"blob": self.blob}

    def predict(self, X):
        return self.load().predict(X)

    def predict_proba(self, X):
        return self.load().predict_proba(X)


class _ModelPickler(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, Pickled):  # the model's own pickle, inline: the file loads as the model
            return pickle.loads, (obj.blob,)
        return NotImplemented


def dump(obj: Any, fh) -> None:
    """``pickle.dump`` that writes each Pickled model as the model itself."""
    _ModelPickler(fh, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)


class JobTimeout(TimeoutError):
    """A job ran past its hard deadline and was killed."""


class WorkerDied(MemoryError):
    """A worker ended without a result: killed by a signal, most often for memory."""


class RemoteTraceback(Exception):
    """The worker's own traceback, chained as the cause of the exception it raised, so the parent's
    traceback shows the frames where the job failed (the ones diagnosis blames)."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f'\n"""\n{self.text}"""'


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass
class Job:
    """One submitted job; ``outcome`` is set once it has finished (its value, or the exception it raised)."""

    fn: Callable[[], Any]
    deadline: float  # wall-clock time after which the job is killed (plus GRACE_S)
    tag: Any = None
    started: float = field(default_factory=time.time)
    done: bool = False
    ok: bool = False
    value: Any = None
    error: BaseException | None = None
    seconds: float = 0.0
    process: Any = None
    conn: Any = None

    def result(self) -> Any:
        if not self.done:
            raise RuntimeError("job not finished")
        if not self.ok:
            raise self.error
        return self.value


class InProcess:
    """Jobs run at submit time, in this process, one at a time."""

    workers = 1

    def submit(self, fn: Callable[[], Any], deadline: float, tag: Any = None) -> Job:
        job = Job(fn, deadline, tag)
        try:
            job.value, job.ok = fn(), True
        except Exception as exc:
            job.error = exc
        job.done, job.seconds = True, time.time() - job.started
        return job

    def wait(self, jobs: Sequence[Job]) -> list[Job]:
        return [j for j in jobs if j.done]

    def free(self, jobs: Sequence[Job] = ()) -> int:
        """One, once the caller has collected the jobs it holds (each finished when it was submitted)."""
        return 0 if jobs else 1

    def cancel(self, jobs: Sequence[Job]) -> None:
        pass

    def shutdown(self) -> None:
        pass


class Pool:
    """Up to ``workers`` jobs at a time, each in a worker of its own; ``wait`` kills jobs past their deadline.

    A subclass says how a job starts (``_start``: a handle in ``job.conn``), how to wait for handles
    (``_ready``), how to read a finished one (``_collect``) and how to stop one (``_stop``).
    """

    workers = 1

    def __init__(self) -> None:
        self._running: list[Job] = []

    def free(self, jobs: Sequence[Job] = ()) -> int:
        """How many more jobs can start now."""
        return self.workers - len(self._running)

    def submit(self, fn: Callable[[], Any], deadline: float, tag: Any = None) -> Job:
        if self.free() <= 0:
            raise RuntimeError("no free worker: wait for a job first")
        job = Job(fn, deadline, tag)
        self._start(job)
        self._running.append(job)
        return job

    def wait(self, jobs: Sequence[Job]) -> list[Job]:
        """Block until at least one of ``jobs`` has finished (or been killed); return the finished ones."""
        while True:
            finished = [j for j in jobs if j.done]
            if finished:
                return finished
            running = [j for j in jobs if j.conn is not None]
            if not running:
                return []
            timeout = max(0.0, min(j.deadline + GRACE_S for j in running) - time.time())
            ready = self._ready([j.conn for j in running], timeout)
            for job in running:
                if job.conn in ready:
                    self._collect(job)
                elif time.time() > job.deadline + GRACE_S:
                    self._kill(job, JobTimeout(f"killed after {time.time() - job.started:.0f}s: past its time "
                                               f"limit ({job.deadline - job.started:.0f}s)"))

    def _kill(self, job: Job, error: BaseException) -> None:
        self._stop(job)
        self._finish(job, False, error)

    def _finish(self, job: Job, ok: bool, payload: Any) -> None:
        job.conn = None
        job.done, job.ok, job.seconds = True, ok, time.time() - job.started
        if ok:
            job.value = payload
        else:
            job.error = payload
        self._running = [j for j in self._running if j is not job]

    def cancel(self, jobs: Sequence[Job]) -> None:
        """Kill those of ``jobs`` still running (their results would not be used)."""
        for job in jobs:
            if not job.done:
                self._kill(job, JobTimeout("cancelled"))

    def shutdown(self) -> None:
        self.cancel(list(self._running))

    def _start(self, job: Job) -> None:
        raise NotImplementedError

    def _ready(self, handles: list, timeout: float) -> list:
        raise NotImplementedError

    def _collect(self, job: Job) -> None:
        raise NotImplementedError

    def _stop(self, job: Job) -> None:
        raise NotImplementedError


class Workers(Pool):
    """Forked worker processes on this machine, one job each (they read the parent's frames uncopied)."""

    def __init__(self, workers: int | None = None):
        super().__init__()
        self.workers = max(1, workers or cpu_count())

    def _start(self, job: Job) -> None:
        import multiprocessing as mp

        parent_conn, child_conn = mp.Pipe(duplex=False)
        process = mp.get_context("fork").Process(target=_work, args=(job.fn, child_conn), daemon=True)
        process.start()
        child_conn.close()
        job.process, job.conn = process, parent_conn

    def _ready(self, handles: list, timeout: float) -> list:
        from multiprocessing.connection import wait as wait_ready

        return wait_ready(handles, timeout=timeout)

    def _collect(self, job: Job) -> None:
        try:
            data = job.conn.recv_bytes()
        except (EOFError, OSError):
            job.process.join(1.0)
            code = job.process.exitcode
            self._finish(job, False, WorkerDied(f"the worker process ended without a result (exit code {code}"
                                                f"{', killed by ' + signal.Signals(-code).name if code and code < 0 else ''}"
                                                "); most often it ran out of memory"))
            return
        job.process.join(5.0)
        self._finish(job, *_unpack(data))

    def _stop(self, job: Job) -> None:
        if job.process.is_alive():
            job.process.kill()
        job.process.join(5.0)

    def _finish(self, job: Job, ok: bool, payload: Any) -> None:
        job.conn.close()
        super()._finish(job, ok, payload)


def _work(fn: Callable[[], Any], conn) -> None:
    """The forked worker: run the job, send its payload, exit."""
    conn.send_bytes(_payload(fn))
    conn.close()
    os._exit(0)  # skip atexit handlers and library finalizers inherited from the parent


def _payload(fn: Callable[[], Any]) -> bytes:
    """Run a job as a worker does: (True, value) or (False, (exception, traceback text)), pickled."""
    global _IN_WORKER
    _IN_WORKER = True
    _single_thread()
    try:
        payload = (True, fn())
    except BaseException as exc:  # everything goes back to the parent, which decides
        text = traceback.format_exc()
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        payload = (False, (exc, text))
    try:
        return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an unpicklable model is the job's failure, not a dead worker
        return pickle.dumps((False, (TypeError(f"the job's result cannot be pickled: {exc}"), traceback.format_exc())))


def _unpack(data: bytes) -> tuple[bool, Any]:
    """A payload as the parent reads it: the worker's exception gets its traceback as its cause."""
    ok, payload = pickle.loads(data)
    if ok:
        return True, payload
    exc, text = payload
    exc.__cause__ = RemoteTraceback(text)
    return False, exc


def _single_thread() -> None:
    """Each worker keeps to one core: the other workers have the rest."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    import sys

    try:  # the thread pools the parent already started (BLAS's, OpenMP's) ignore the variables above
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:
        pass

    if "torch" in sys.modules:
        try:
            sys.modules["torch"].set_num_threads(1)
        except Exception:
            pass


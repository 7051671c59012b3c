"""The executor's jobs as Ray tasks: a local Ray started by the pipeline, or a cluster at an address.

The same calls as ``executor.Workers`` and the same payload (a worker pickles its result; models
travel as ``Pickled``), so the training loop cannot tell them apart. A job past its hard deadline is
cancelled with ``force=True``, which kills the Ray worker process running it: a fit that ignores its
time limit is stopped here as it is locally.

Ray workers import the task's modules (``code/``: the generated preprocessing and models, and
``iml_runtime``) from the job's ``working_dir``, which Ray uploads to a cluster, so a cluster needs
only Python and the learners' packages.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from .executor import Job, Pool, WorkerDied, _payload, _unpack


def _ray():
    try:
        import ray
    except ImportError as exc:
        raise RuntimeError("--executor ray needs Ray: pip install 'iml-automl[ray]'") from exc
    return ray


class RayWorkers(Pool):
    """Jobs as Ray tasks of one CPU each, ``workers`` at a time (default: the cluster's CPUs)."""

    def __init__(self, workers: int | None = None, address: str | None = None,
                 code_dir: str | Path | None = None):
        super().__init__()
        ray = _ray()
        began = time.time()
        self._started_ray = not ray.is_initialized()
        if self._started_ray:
            os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a private, short-lived local instance
            ray.init(address=address or None, num_cpus=None if address else (workers or None),
                     include_dashboard=False, log_to_driver=False, configure_logging=False,
                     runtime_env={"working_dir": str(code_dir)} if code_dir else None)
        self.address = address or "local"
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = max(1, min(workers, cpus) if workers else cpus)
        self.start_seconds = round(time.time() - began, 2)
        self._task = ray.remote(num_cpus=1, max_retries=0)(_payload)

    def _start(self, job: Job) -> None:
        job.conn = self._task.remote(job.fn)  # the task's ObjectRef

    def _ready(self, handles: list, timeout: float) -> list:
        ready, _ = _ray().wait(handles, num_returns=1, timeout=timeout)
        return ready

    def _collect(self, job: Job) -> None:
        ray = _ray()
        try:
            data = ray.get(job.conn)
        except ray.exceptions.RayError as exc:  # the worker died (most often memory) or Ray lost the task
            first = str(exc).splitlines()[0] if str(exc) else ""
            self._finish(job, False, WorkerDied(f"the Ray worker ended without a result ({type(exc).__name__}: "
                                                f"{first}); most often it ran out of memory"))
            return
        self._finish(job, *_unpack(data))

    def _stop(self, job: Job) -> None:
        try:
            _ray().cancel(job.conn, force=True)
        except Exception:  # already finished or gone: nothing left to stop
            pass

    def shutdown(self) -> None:
        super().shutdown()
        if self._started_ray:
            _ray().shutdown()

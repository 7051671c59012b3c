"""Run one system's command and measure it from outside: wall time and peak memory.

The harness does not trust a system's own account of its time or memory: it polls
the resident memory of the whole process tree (a system may fork workers) and
kills the tree when the command overruns its allowance.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import psutil
from pydantic import BaseModel

_POLL_S = 0.25


class Measured(BaseModel):
    returncode: int | None
    wall_s: float
    peak_memory_mb: float
    timed_out: bool
    first_file_s: float | None = None  # when the watched file (the submission) first appeared


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass  # a worker that ended between listing and reading
    return total


def run_measured(args: list[str], log_path: Path, timeout_s: float, watch: Path | None = None) -> Measured:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    first_file = None
    with open(log_path, "w") as log:
        started = time.monotonic()
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        watched = psutil.Process(proc.pid)
        stop = threading.Event()

        def poll() -> None:
            nonlocal peak, first_file
            while not stop.is_set():
                peak = max(peak, _tree_rss(watched))
                if first_file is None and watch is not None and watch.exists():
                    first_file = time.monotonic() - started
                stop.wait(_POLL_S)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        wall = time.monotonic() - started
        stop.set()
        poller.join()
    return Measured(returncode=proc.returncode, wall_s=round(wall, 1), peak_memory_mb=round(peak / 2**20, 1),
                    timed_out=timed_out, first_file_s=None if first_file is None else round(first_file, 1))

"""The executor: forked workers that run fits side by side, send results back, and are killed at their deadline."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from iml.runtime.executor import GRACE_S, InProcess, JobTimeout, RemoteTraceback, WorkerDied, Workers


def finish(executor, jobs):
    jobs = list(jobs)
    while any(not j.done for j in jobs):
        executor.wait([j for j in jobs if not j.done])
    return jobs


def test_a_job_runs_in_another_process_and_its_value_comes_back():
    executor = Workers(2)
    data = np.arange(10.0)  # read by the worker without being sent to it
    job = executor.submit(lambda: (os.getpid(), data.sum()), time.time() + 30)
    finish(executor, [job])
    pid, total = job.result()
    assert pid != os.getpid() and total == 45.0 and job.ok and job.seconds >= 0


def test_two_workers_run_two_jobs_at_once():
    executor = Workers(2)

    def span():
        began = time.time()
        time.sleep(0.5)
        return began, time.time()

    jobs = [executor.submit(span, time.time() + 30), executor.submit(span, time.time() + 30)]
    assert executor.free() == 0
    (a0, a1), (b0, b1) = (j.result() for j in finish(executor, jobs))
    assert a0 < b1 and b0 < a1  # the two intervals overlap
    assert executor.free() == 2
    with pytest.raises(RuntimeError, match="no free worker"):
        one = Workers(1)
        one.submit(lambda: time.sleep(0.2), time.time() + 30)
        one.submit(lambda: 1, time.time() + 30)


def test_a_job_past_its_deadline_is_killed():
    executor = Workers(1)
    began = time.time()
    job = executor.submit(lambda: time.sleep(60), time.time() + 0.5)
    finish(executor, [job])
    assert not job.ok and isinstance(job.error, JobTimeout) and isinstance(job.error, TimeoutError)
    assert time.time() - began < 0.5 + GRACE_S + 3
    with pytest.raises(JobTimeout, match="past its time limit"):
        job.result()
    assert executor.free() == 1


def test_an_exception_comes_back_with_the_workers_traceback():
    def broken():
        raise KeyError("planted defect")

    executor = Workers(1)
    job = finish(executor, [executor.submit(broken, time.time() + 30)])[0]
    assert isinstance(job.error, KeyError)
    assert isinstance(job.error.__cause__, RemoteTraceback)
    assert "in broken" in job.error.__cause__.text and "planted defect" in job.error.__cause__.text


def test_a_worker_killed_by_a_signal_is_reported_as_died():
    executor = Workers(1)
    job = finish(executor, [executor.submit(lambda: os.kill(os.getpid(), signal.SIGKILL), time.time() + 30)])[0]
    assert isinstance(job.error, WorkerDied) and "SIGKILL" in str(job.error)


def test_an_unpicklable_result_is_the_jobs_failure():
    executor = Workers(1)
    job = finish(executor, [executor.submit(lambda: (lambda: 1), time.time() + 30)])[0]
    assert isinstance(job.error, TypeError) and "cannot be pickled" in str(job.error)


def test_cancel_kills_running_jobs():
    executor = Workers(2)
    jobs = [executor.submit(lambda: time.sleep(60), time.time() + 60) for _ in range(2)]
    executor.cancel(jobs)
    assert all(j.done and isinstance(j.error, JobTimeout) for j in jobs) and executor.free() == 2


def test_in_process_runs_at_submit_and_keeps_exceptions():
    executor = InProcess()
    ok = executor.submit(lambda: os.getpid(), time.time() + 1)
    bad = executor.submit(lambda: 1 / 0, time.time() + 1)
    assert ok.result() == os.getpid() and isinstance(bad.error, ZeroDivisionError)
    assert executor.free([ok]) == 0 and executor.free() == 1 and executor.wait([ok, bad]) == [ok, bad]

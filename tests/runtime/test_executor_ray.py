"""The Ray executor: the training loop's jobs as Ray tasks on a real local Ray, with the local workers' results."""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from iml.runtime.executor import GRACE_S, JobTimeout, RemoteTraceback, Workers
from iml.runtime.folds import make_folds
from iml.runtime.objective import Objective
from iml.runtime.validation import fit_folds

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'iml-automl[ray]')")

# A task module as the generated code has one (code/model_*.py), importable by name in Ray's workers
# through the executor's working_dir, as a run's code/ folder is.
TASK_MODULE = '''
from iml.runtime.learners import make_learner


class Model:
    def __init__(self, learner, params=None, seed=0, n_jobs=None, time_limit=None):
        self.learner, self.params, self.seed, self.n_jobs, self.time_limit = learner, params, seed, n_jobs, time_limit

    def fit(self, X, y, X_valid=None, y_valid=None):
        self.estimator_ = make_learner(self.learner, task="binary", n_classes=2, params=dict(self.params or {}),
                                       seed=self.seed, n_jobs=self.n_jobs, time_limit=self.time_limit)
        self.estimator_.fit(X, y, X_valid, y_valid)
        return self

    def predict_proba(self, X):
        return self.estimator_.predict_proba(X)
'''


@pytest.fixture(scope="module")
def code_dir(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("code")
    (folder / "ray_task_model.py").write_text(TASK_MODULE)
    return str(folder)


@pytest.fixture(scope="module")
def executor(code_dir: str):
    from iml.runtime.executor_ray import RayWorkers

    import sys
    sys.path.insert(0, code_dir)
    pool = RayWorkers(2, code_dir=code_dir)  # starts a local Ray with two CPUs
    yield pool
    pool.shutdown()
    sys.path.remove(code_dir)
    assert not ray.is_initialized()  # the Ray it started is gone with it


def finish(executor, jobs):
    while any(not j.done for j in jobs):
        executor.wait([j for j in jobs if not j.done])
    return jobs


def test_jobs_run_as_ray_tasks_in_other_processes_two_at_a_time(executor):
    assert executor.workers == 2 and executor.address == "local" and executor.start_seconds > 0

    def span():
        began = time.time()
        time.sleep(0.5)
        return os.getpid(), began, time.time()

    jobs = [executor.submit(span, time.time() + 60), executor.submit(span, time.time() + 60)]
    assert executor.free() == 0
    (pa, a0, a1), (pb, b0, b1) = (j.result() for j in finish(executor, jobs))
    assert os.getpid() not in (pa, pb) and pa != pb
    assert a0 < b1 and b0 < a1  # the two intervals overlap
    assert executor.free() == 2


def test_a_job_past_its_deadline_is_cancelled_and_its_worker_killed(executor):
    began = time.time()
    job = executor.submit(lambda: time.sleep(60), time.time() + 0.5)
    finish(executor, [job])
    assert isinstance(job.error, JobTimeout) and time.time() - began < 0.5 + GRACE_S + 5
    assert executor.free() == 2
    # The pool is still usable after a kill.
    again = finish(executor, [executor.submit(lambda: 7, time.time() + 60)])[0]
    assert again.result() == 7


def test_a_failing_job_brings_its_exception_and_the_workers_traceback(executor):
    def fails():
        raise ValueError("bad column 'x'")

    job = finish(executor, [executor.submit(fails, time.time() + 60)])[0]
    assert isinstance(job.error, ValueError) and "bad column" in str(job.error)
    assert isinstance(job.error.__cause__, RemoteTraceback) and "in fails" in job.error.__cause__.text


def test_folds_on_ray_give_the_local_workers_results_for_the_same_seed(executor):
    import ray_task_model

    data = load_breast_cancer(as_frame=True)
    X, y = data.data, data.target.to_numpy()
    folds = make_folds(y, 3, seed=0, stratified=True)
    test = X.head(50)
    objective = Objective("auc", True, classes=[0, 1], positive_label=1)
    params = {"n_estimators": 60, "learning_rate": 0.1}

    def fits(pool):
        deadline = time.time() + 120
        return fit_folds(ray_task_model, "lightgbm", params, X, y, folds, range(3), [test], objective,
                         deadline, deadline, seed=3, executor=pool)

    local, remote = fits(Workers(2)), fits(executor)
    assert sorted(local) == sorted(remote) == [0, 1, 2]
    for k in range(3):
        np.testing.assert_array_equal(local[k].valid, remote[k].valid)
        np.testing.assert_array_equal(local[k].others[0], remote[k].others[0])
        assert local[k].best_iterations == remote[k].best_iterations
    scores = [objective.evaluate(y[folds[k][1]], remote[k].valid) for k in range(3)]
    assert min(scores) > 0.95  # real models, not empty predictions

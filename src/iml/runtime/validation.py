"""Cross-validation of one candidate: a model per fold, out-of-fold predictions, fold-averaged predictions,
and the refit on every row.

Honest by construction: a fold's model stops early on rows split off its own training rows
(``folds.inner_split``), never on the rows that score it. Folds run as jobs of an executor
(``executor.py``), as many at a time as it has workers, each stopped at its time limit.
"""

from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Sequence

import numpy as np

from .executor import GRACE_S, InProcess, Job, Pickled, in_worker
from .folds import inner_split
from .objective import Objective

EARLY_STOP_FRACTION = 0.15  # of a fold's training rows, held back for early stopping
REFIT_ROUNDS_SCALE = 1.15  # more rows support a few more rounds than early stopping found on fewer
KILL_FACTOR = 1.5  # a fit is killed past this multiple of its time limit (plus the executor's grace)
KILL_FLOOR_S = 6.0  # and never sooner: starting a worker, importing a package and a tiny fit take seconds


def predict_checked(model: Any, X, objective: Objective) -> np.ndarray:
    """A model's output, checked against the contract's shape before anything scores it."""
    classification = objective.classification
    pred = model.predict_proba(X) if classification else np.asarray(model.predict(X), dtype=float)
    pred = np.asarray(pred, dtype=float)
    expected = (len(X), objective.n_classes) if classification else (len(X),)
    if pred.shape != expected:
        method = "predict_proba" if classification else "predict"
        raise ValueError(f"contract: {type(model).__module__}.{type(model).__name__}.{method} returned shape "
                         f"{pred.shape}, expected {expected}")
    return pred


def estimator_of(model: Any) -> Any:
    """The runtime learner inside a track module's Model (the Model itself when it has none)."""
    return getattr(model, "estimator_", model)


def rounds_param(model: Any) -> str | None:
    """The parameter fixing a model's rounds or epochs; "unknown" for a module of another make."""
    return getattr(estimator_of(model), "rounds_param", "unknown")


def make_model(module: ModuleType, learner: str, params: dict, seed: int, time_limit: float | None,
               n_jobs: int | None = None) -> Any:
    """``module.Model(learner, params, ...)``, told its thread count when its constructor takes one."""
    kwargs: dict[str, Any] = {"seed": seed, "time_limit": time_limit}
    if n_jobs is not None and "n_jobs" in inspect.signature(module.Model).parameters:
        kwargs["n_jobs"] = n_jobs
    return module.Model(learner, params, **kwargs)


@dataclass
class Fit:
    """What one fitting job gives back: the model, its predictions, the rounds early stopping chose."""

    model: Any
    valid: np.ndarray | None  # predictions on the scored rows
    others: list[np.ndarray]  # predictions on each frame of X_others
    best_iterations: int | None
    seconds: float
    rounds_param: str | None = "unknown"  # see rounds_param(); None: it never stops early

    @property
    def early_stops(self) -> bool:
        """Whether the model uses its validation rows (a module of unknown make is assumed to)."""
        return self.rounds_param is not None


def fit_predict(module: ModuleType, learner: str, params: dict, X, y: np.ndarray, fit_rows, stop_rows, score_rows,
                X_others: Sequence, objective: Objective, seed: int, time_limit: float | None,
                n_jobs: int | None = None) -> Fit:
    """Fit on ``fit_rows`` (stopping early on ``stop_rows`` when given), predict ``score_rows`` and ``X_others``."""
    began = time.time()
    model = make_model(module, learner, params, seed, time_limit, n_jobs)
    X_fit = X if fit_rows is None else X.iloc[fit_rows]
    y_fit = y if fit_rows is None else y[fit_rows]
    if stop_rows is not None and len(stop_rows):
        model.fit(X_fit, y_fit, X.iloc[stop_rows], y[stop_rows])
    else:
        model.fit(X_fit, y_fit)
    seconds = time.time() - began
    valid = None if score_rows is None else predict_checked(model, X.iloc[score_rows], objective)
    others = [predict_checked(model, frame, objective) for frame in X_others]
    best = getattr(estimator_of(model), "best_iterations_", None)
    param = rounds_param(model)
    if in_worker():
        model = Pickled(model)
    return Fit(model, valid, others, best, seconds, param)


def fold_rows(train_idx: np.ndarray, y: np.ndarray, seed: int, classification: bool,
              early_stopping: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """(rows to fit, rows to stop early on) of one fold; all training rows when nothing stops early."""
    if not early_stopping:
        return train_idx, None
    return inner_split(train_idx, y, EARLY_STOP_FRACTION, seed, classification)


def kill_deadline(limit: float, hard_deadline: float) -> float:
    """When a job with a time limit of ``limit`` seconds, starting now, is killed."""
    # The executor's grace comes on top of the deadline: keep it inside the run's hard deadline.
    return min(hard_deadline - GRACE_S, time.time() + max(KILL_FACTOR * limit + 1.0, KILL_FLOOR_S))


@dataclass
class CVResult:
    """What the folds of one candidate produced. ``oof`` is None when not every fold ran."""

    oof: np.ndarray | None
    others: list[np.ndarray]  # fold-averaged predictions on each frame of ``X_others`` (test, holdout)
    models: list[Any]
    fold_scores: list[float] = field(default_factory=list)
    best_iterations: list[int] = field(default_factory=list)
    fit_seconds: list[float] = field(default_factory=list)
    rounds_param: str | None = "unknown"

    @property
    def complete(self) -> bool:
        return self.oof is not None


def fit_folds(module: ModuleType, learner: str, params: dict, X, y: np.ndarray,
              folds: Sequence[tuple[np.ndarray, np.ndarray]], which: Sequence[int], X_others: Sequence,
              objective: Objective, deadline: float, hard_deadline: float, seed: int, executor=None,
              done: dict[int, Fit] | None = None, early_stopping: bool = True, n_jobs: int | None = None,
              allow_partial: bool = False) -> dict[int, Fit]:
    """Fold index -> Fit for the folds ``which``, ``executor.workers`` at a time (see cross_validate)."""
    executor = executor or InProcess()
    fits: dict[int, Fit] = dict(done or {})
    pending = [k for k in which if k not in fits]
    running: list[Job] = []
    stopped: BaseException | None = None

    def start(k: int) -> Job:
        train_idx, valid_idx = folds[k]
        waves = math.ceil((len(pending) + len(running) + 1) / executor.workers)
        limit = max(1.0, (deadline - time.time()) / max(1, waves))
        fit_rows, stop_rows = fold_rows(train_idx, y, seed + k, objective.classification, early_stopping)
        return executor.submit(
            lambda: fit_predict(module, learner, params, X, y, fit_rows, stop_rows, valid_idx, X_others, objective,
                                seed + k, limit, n_jobs),
            kill_deadline(limit, hard_deadline), tag=k)

    try:
        while pending or running:
            while pending and executor.free(running) > 0:
                if fits and hard_deadline - time.time() < 0.3 * len(pending):
                    stopped = TimeoutError(f"time ran out after fold {len(fits)} of {len(folds)}")
                    pending = []
                    break
                running.append(start(pending.pop(0)))
            for job in executor.wait(running) if running else []:
                running.remove(job)
                if job.ok:
                    fits[job.tag] = job.value
                elif isinstance(job.error, TimeoutError) and (fits or running):
                    stopped = stopped or TimeoutError(f"fold {job.tag + 1} of {len(folds)} ran out of time: "
                                                      f"{job.error}")
                    pending = []
                else:
                    raise job.error
    finally:
        executor.cancel(running)  # a fold failed: the others' results would not be used
    if stopped is not None and (not allow_partial or not fits):
        raise stopped
    return fits


def cross_validate(module: ModuleType, learner: str, params: dict, X, y: np.ndarray,
                   folds: Sequence[tuple[np.ndarray, np.ndarray]], X_others: Sequence, objective: Objective,
                   deadline: float, hard_deadline: float, seed: int, allow_partial: bool = False,
                   done: dict[int, Fit] | None = None, executor=None, early_stopping: bool = True,
                   n_jobs: int | None = None) -> CVResult:
    """Fit one model per fold of ``module.Model(learner, params)``, ``executor.workers`` folds at a time.

    Each fit's time limit is its part of ``deadline`` (the candidate's); only ``hard_deadline`` (the
    run's) stops the folds early, with a TimeoutError, or, with ``allow_partial`` (nothing submitted
    yet), keeping the folds done. ``done`` holds folds already fitted with these params (the timing
    probe), used instead of fitting them again.
    """
    fits = fit_folds(module, learner, params, X, y, folds, range(len(folds)), X_others, objective, deadline,
                     hard_deadline, seed, executor, done, early_stopping, n_jobs, allow_partial)
    order = sorted(fits)
    oof = None
    if len(order) == len(folds):
        first = fits[order[0]].valid
        oof = np.zeros((len(X),) + first.shape[1:])
        for k in order:
            oof[folds[k][1]] = fits[k].valid
    others = [np.mean([fits[k].others[j] for k in order], axis=0) for j in range(len(X_others))]
    return CVResult(oof, others, [fits[k].model for k in order],
                    [objective.evaluate(y[folds[k][1]], fits[k].valid) for k in order],
                    [fits[k].best_iterations for k in order if fits[k].best_iterations],
                    [fits[k].seconds for k in order], fits[order[0]].rounds_param)


def refit_params(params: dict, param: str | None, best_iterations: Sequence[int]) -> dict:
    """The params of a refit on all rows: as many rounds as early stopping chose on the folds, a few more.
    ``param``: the learner's rounds parameter (see rounds_param)."""
    if not param or param == "unknown" or not best_iterations:
        return dict(params)
    return {**params, param: max(1, int(round(np.mean(best_iterations) * REFIT_ROUNDS_SCALE)))}

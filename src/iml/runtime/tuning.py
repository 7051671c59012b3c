"""Hyper-parameter search for one candidate: Optuna TPE on the first fold, the defaults as the first trial,
then the learner's portfolio of known-good configurations (spaces.PORTFOLIO), then TPE's own.

Trials run as executor jobs, as many at a time as it has workers (Optuna's ask-and-tell), each fit
stopping early on rows split off the fold's training rows and scored on the fold's validation rows.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Sequence

import numpy as np

from . import spaces
from .executor import InProcess
from .objective import Objective
from .validation import fit_predict, fold_rows, kill_deadline


def tune(module: ModuleType, learner: str, X, y: np.ndarray, folds: Sequence[tuple[np.ndarray, np.ndarray]],
         objective: Objective, seconds: float, max_trials: int, seed: int, fit_budget: float,
         executor=None, fixed: dict | None = None, early_stopping: bool = True,
         n_jobs: int | None = None) -> tuple[dict, int]:
    """(best params, trials run), searching ``module.search_space(learner, trial)`` within ``seconds``.

    ``fixed`` params are set on every trial and returned with the best. Only trials whose fit took at
    most ``fit_budget`` seconds can win, so the chosen params leave room for the full cross-validation;
    a trial running past it is stopped. With no affordable trial the defaults stand.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    executor = executor or InProcess()
    fixed = dict(fixed or {})
    train_idx, valid_idx = folds[0]
    fit_rows, stop_rows = fold_rows(train_idx, y, seed, objective.classification, early_stopping)
    study = optuna.create_study(direction=objective.direction, sampler=optuna.samplers.TPESampler(seed=seed))
    defaults = dict(module.DEFAULTS[learner])
    study.enqueue_trial(defaults)
    # The portfolio next, up to half the trials: the rest stay TPE's, to refine the best of them.
    for config in spaces.portfolio(learner, defaults, limit=(max_trials - 1) // 2):
        study.enqueue_trial(config)

    ends = time.time() + max(1.0, seconds)
    hard = ends + fit_budget
    running, asked, scored = [], 0, []  # scored: (value, params) of affordable trials
    while running or (asked < max_trials and time.time() < ends):
        while asked < max_trials and time.time() < ends and executor.free(running) > 0:
            trial = study.ask()
            asked += 1
            try:
                params = {**module.search_space(learner, trial), **fixed}
            except Exception:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                continue
            job = executor.submit(
                lambda p=params: fit_predict(module, learner, p, X, y, fit_rows, stop_rows, valid_idx, [],
                                             objective, seed, fit_budget, n_jobs),
                kill_deadline(fit_budget, hard), tag=(trial, params))
            running.append(job)
        for job in executor.wait(running) if running else []:
            running.remove(job)
            trial, params = job.tag
            if not job.ok:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                continue
            value = objective.evaluate(y[valid_idx], job.value.valid)
            if not np.isfinite(value):
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                continue
            study.tell(trial, value)
            if job.value.seconds <= fit_budget:
                scored.append((value, params))
    if not scored:
        return {**defaults, **fixed}, asked
    return dict(objective.best(scored, lambda item: item[0])[1]), asked

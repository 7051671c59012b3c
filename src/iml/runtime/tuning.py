"""Hyper-parameter search for one candidate: Optuna TPE on the first fold, the defaults as the first trial,
then the learner's portfolio of known-good configurations (spaces.PORTFOLIO), then TPE's own."""

from __future__ import annotations

from types import ModuleType
from typing import Sequence

import numpy as np

from . import spaces
from .objective import Objective
from .validation import predict_checked


def tune(module: ModuleType, learner: str, X, y: np.ndarray, folds: Sequence[tuple[np.ndarray, np.ndarray]],
         objective: Objective, seconds: float, max_trials: int, seed: int, fit_budget: float) -> tuple[dict, int]:
    """(best params, trials run), searching ``module.search_space(learner, trial)`` within ``seconds``.

    Only trials whose fit took at most ``fit_budget`` seconds can win, so the chosen params leave
    room for the full cross-validation; with none affordable the defaults stand.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    train_idx, valid_idx = folds[0]
    study = optuna.create_study(direction=objective.direction, sampler=optuna.samplers.TPESampler(seed=seed))
    defaults = dict(module.DEFAULTS[learner])
    study.enqueue_trial(defaults)
    # The portfolio next, up to half the trials: the rest stay TPE's, to refine the best of them.
    for config in spaces.portfolio(learner, defaults, limit=(max_trials - 1) // 2):
        study.enqueue_trial(config)

    def trial_score(trial) -> float:
        params = module.search_space(learner, trial)
        model = module.Model(learner, params, seed=seed, time_limit=fit_budget).fit(
            X.iloc[train_idx], y[train_idx], X.iloc[valid_idx], y[valid_idx])
        return objective.evaluate(y[valid_idx], predict_checked(model, X.iloc[valid_idx], objective))

    study.optimize(trial_score, n_trials=max_trials, timeout=max(1.0, seconds), catch=(Exception,))
    affordable = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE
                  and t.duration.total_seconds() <= fit_budget]
    if not affordable:
        return defaults, len(study.trials)
    return dict(objective.best(affordable, lambda t: t.value).params), len(study.trials)

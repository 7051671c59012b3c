"""Hyper-parameter search: trial and time limits, defaults first, best by direction, affordability."""

from __future__ import annotations

import time
import types

import numpy as np
import pandas as pd
import pytest

from iml.runtime.objective import Objective
from iml.runtime.tuning import tune

DEFAULTS = {"shift": {"shift": 2.5}}


class ShiftModel:
    """Predicts y's training mean plus ``shift``: on a constant target its MAE is |shift|."""

    fits: list = []
    sleep = 0.0

    def __init__(self, learner, params=None, seed=0, time_limit=None):
        self.params, self.time_limit = dict(params or {}), time_limit

    def fit(self, X, y, X_valid=None, y_valid=None):
        ShiftModel.fits.append(dict(self.params))
        if self.params["shift"] > 4.5:
            raise RuntimeError("diverged")  # a failing trial must not stop the search
        time.sleep(ShiftModel.sleep)
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_ + self.params["shift"])


def search_space(learner, trial):
    return {"shift": trial.suggest_float("shift", -5.0, 5.0)}


MODULE = types.SimpleNamespace(Model=ShiftModel, DEFAULTS=DEFAULTS, search_space=search_space)


@pytest.fixture(autouse=True)
def _fresh():
    ShiftModel.fits = []
    ShiftModel.sleep = 0.0


def task(n=20):
    X = pd.DataFrame({"a": np.arange(n, dtype=float)})
    y = np.zeros(n)
    idx = np.arange(n)
    return X, y, [(idx[: n // 2], idx[n // 2:])]


def completed(fits):
    return [f for f in fits if f["shift"] <= 4.5]


def test_trial_limit_and_defaults_first():
    X, y, folds = task()
    params, trials = tune(MODULE, "shift", X, y, folds, Objective("mae", False), seconds=120, max_trials=6,
                          seed=0, fit_budget=60)
    assert trials == 6 and len(ShiftModel.fits) == 6
    assert ShiftModel.fits[0] == {"shift": 2.5}
    assert set(params) == {"shift"}


@pytest.mark.parametrize("greater", [False, True])
def test_best_trial_by_the_objectives_direction(greater):
    X, y, folds = task()
    params, trials = tune(MODULE, "shift", X, y, folds, Objective("mae", greater), seconds=120, max_trials=12,
                          seed=1, fit_budget=60)
    shifts = [f["shift"] for f in completed(ShiftModel.fits)]
    assert len(ShiftModel.fits) == trials == 12 and len(shifts) >= 2
    # MAE is |shift| here: the lowest wins when lower is better, the highest when higher is
    expected = min(shifts, key=abs) if not greater else max(shifts, key=abs)
    assert params["shift"] == pytest.approx(expected)


def test_time_limit_stops_the_search():
    X, y, folds = task()
    ShiftModel.sleep = 0.05
    params, trials = tune(MODULE, "shift", X, y, folds, Objective("mae", False), seconds=0.5, max_trials=100_000,
                          seed=0, fit_budget=60)
    # the timeout is at least one second: at 0.05 s a fit, far fewer than the trial limit can run
    assert 1 <= trials < 1000 and trials == len(ShiftModel.fits)
    assert "shift" in params


def test_defaults_stand_when_no_trial_is_affordable():
    X, y, folds = task()
    ShiftModel.sleep = 0.01
    params, trials = tune(MODULE, "shift", X, y, folds, Objective("mae", False), seconds=120, max_trials=4,
                          seed=0, fit_budget=0.0)
    assert trials == 4
    assert params == {"shift": 2.5}
    params["shift"] = 0.0
    assert DEFAULTS["shift"] == {"shift": 2.5}  # a copy, not the module's own dict


def test_defaults_stand_when_every_trial_fails():
    X, y, folds = task()
    module = types.SimpleNamespace(Model=ShiftModel, DEFAULTS={"shift": {"shift": 5.0}},
                                   search_space=lambda learner, trial: {"shift": trial.suggest_float("shift", 4.6, 5.0)})
    params, trials = tune(module, "shift", X, y, folds, Objective("mae", False), seconds=120, max_trials=3,
                          seed=0, fit_budget=60)
    assert trials == 3 and params == {"shift": 5.0}


def test_the_search_fits_on_the_first_fold_only():
    X, y, folds = task(20)
    seen = []

    class Recording(ShiftModel):
        def fit(self, X, y, X_valid=None, y_valid=None):
            seen.append((X.index.tolist(), X_valid.index.tolist(), self.time_limit))
            return super().fit(X, y, X_valid, y_valid)

    module = types.SimpleNamespace(Model=Recording, DEFAULTS=DEFAULTS, search_space=search_space)
    tune(module, "shift", X, y, folds + [(folds[0][1], folds[0][0])], Objective("mae", False), seconds=120,
         max_trials=2, seed=0, fit_budget=7.0)
    # every trial fits on fold 0's training rows and stops early on rows split off them, never on the
    # validation rows that score it
    assert len(seen) == 2 and seen[0] == seen[1]
    fit_rows, stop_rows, limit = seen[0]
    assert sorted(fit_rows + stop_rows) == list(range(10)) and not set(fit_rows) & set(stop_rows)
    assert stop_rows and limit == 7.0


# -- the portfolio ------------------------------------------------------------------------------------------
class Recorder:
    """Any learner: records its params and predicts the training mean."""

    fits: list = []

    def __init__(self, learner, params=None, seed=0, time_limit=None):
        self.params = dict(params or {})

    def fit(self, X, y, X_valid=None, y_valid=None):
        Recorder.fits.append(dict(self.params))
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


def portfolio_module(learner: str, **overrides):
    from iml.runtime import spaces

    return types.SimpleNamespace(Model=Recorder, DEFAULTS={learner: {**spaces.DEFAULTS[learner], **overrides}},
                                 search_space=lambda name, trial: spaces.suggest(name, trial, skip=overrides))


@pytest.mark.parametrize("learner", ["knn", "lightgbm"])
def test_the_portfolio_comes_after_the_defaults_and_before_tpe(learner):
    from iml.runtime import spaces

    Recorder.fits = []
    X, y, folds = task()
    tune(portfolio_module(learner), learner, X, y, folds, Objective("mae", False), seconds=120, max_trials=12,
         seed=0, fit_budget=60)
    configs = spaces.portfolio(learner)
    assert len(Recorder.fits) == 12 and 3 <= len(configs) <= 5
    assert Recorder.fits[0] == spaces.DEFAULTS[learner]
    assert Recorder.fits[1:1 + len(configs)] == configs  # in the portfolio's order, every parameter set
    tpe = Recorder.fits[1 + len(configs):]
    assert tpe and all(params not in configs for params in tpe)


def test_a_short_study_keeps_half_its_trials_for_tpe():
    from iml.runtime import spaces

    Recorder.fits = []
    X, y, folds = task()
    tune(portfolio_module("lightgbm"), "lightgbm", X, y, folds, Objective("mae", False), seconds=120,
         max_trials=5, seed=0, fit_budget=60)
    assert Recorder.fits[1:3] == spaces.portfolio("lightgbm")[:2]
    assert Recorder.fits[3] not in spaces.portfolio("lightgbm")


def test_the_portfolio_leaves_a_persons_overrides_alone():
    from iml.runtime import spaces

    Recorder.fits = []
    X, y, folds = task()
    tune(portfolio_module("catboost", depth=5), "catboost", X, y, folds, Objective("mae", False), seconds=120,
         max_trials=7, seed=0, fit_budget=60)
    # search_space skips the fixed depth; the module's Model would set it back in any case
    expected = [{k: v for k, v in c.items() if k != "depth"} for c in spaces.portfolio("catboost", limit=3)]
    assert Recorder.fits[1:4] == expected

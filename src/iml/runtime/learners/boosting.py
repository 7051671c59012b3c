"""The gradient-boosting learners: LightGBM, XGBoost, CatBoost.

Each one boosts up to a fixed number of rounds without a validation set, and with one up to
5000 rounds, stopping ``early_stopping_rounds`` after the validation loss last improved. A time
limit stops adding trees once it is spent (the trees so far are the model). The packages are
imported inside the fits, so this module imports without them.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .base import Learner, as_matrix, threads_for

MAX_ROUNDS = 5000  # with a validation set; early stopping decides the rest


class _LightGBMDeadline:
    """Stops lgb.train once the deadline passes (a class, not a closure, so nothing local is kept)."""

    def __init__(self, deadline: float | None):
        self.deadline = deadline

    def __call__(self, env) -> None:
        import lightgbm as lgb

        if self.deadline and time.time() > self.deadline:
            raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list)


class _CatBoostDeadline:
    """Stops CatBoost's fit once the deadline passes (returning False ends the training)."""

    def __init__(self, deadline: float | None):
        self.deadline = deadline

    def after_iteration(self, info) -> bool:
        return not (self.deadline and time.time() > self.deadline)


def _xgboost_deadline(deadline: float | None):
    """An XGBoost callback stopping at the deadline; XGBoost wants a TrainingCallback subclass,
    which needs the package, so the class is made here and removed from the model after the fit."""
    import xgboost as xgb

    class OutOfTime(xgb.callback.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log) -> bool:
            return bool(deadline and time.time() > deadline)

    return OutOfTime()


class LightGBMLearner(Learner):
    """LightGBM's native booster; ``params`` go to it as they are (``num_boost_round``: rounds without validation)."""

    name = "lightgbm"
    rounds_param = "num_boost_round"

    def _fit(self, params: dict[str, Any], X, y: np.ndarray, valid: tuple | None) -> None:
        import lightgbm as lgb

        X = as_matrix(X)
        self.n_jobs_ = self.n_jobs or threads_for(X)
        objective = {"binary": "binary", "multiclass": "multiclass", "regression": "regression"}[self.task]
        extra = {"num_class": self.n_classes} if self.task == "multiclass" else {}
        booster_params = {"objective": objective, "verbosity": -1, "seed": self.seed, "num_threads": self.n_jobs_,
                          "bagging_freq": 1, **extra, **params}
        train_set = lgb.Dataset(X, y, weight=self._sample_weight(y))
        out_of_time = _LightGBMDeadline(self.deadline_)
        if valid is None:
            model = lgb.train(booster_params, train_set, num_boost_round=params.get("num_boost_round", 400),
                              callbacks=[out_of_time])
        else:
            valid_set = lgb.Dataset(as_matrix(valid[0]), valid[1], reference=train_set)
            model = lgb.train(booster_params, train_set, num_boost_round=MAX_ROUNDS, valid_sets=[valid_set],
                              callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False), out_of_time])
        self.model_ = model
        self.n_iterations_ = model.current_iteration()
        if valid is not None:
            self.best_iterations_ = int(model.best_iteration or model.current_iteration())

    def _raw(self, X) -> np.ndarray:
        return self.model_.predict(as_matrix(X), num_iteration=self.model_.best_iteration or None)

    def _proba(self, X):
        return self._raw(X), None  # multiclass: num_class columns whatever the fit saw

    def _values(self, X):
        return self._raw(X)


class XGBoostLearner(Learner):
    """XGBoost's sklearn estimator with the hist tree method; ``params`` are its keyword arguments
    (over the settings here, ``n_estimators`` included)."""

    name = "xgboost"
    rounds_param = "n_estimators"

    def _fit(self, params: dict[str, Any], X, y: np.ndarray, valid: tuple | None) -> None:
        import xgboost as xgb

        X = as_matrix(X)
        self.n_jobs_ = self.n_jobs or threads_for(X)
        weight = self._sample_weight(y)
        if valid is not None:
            valid = (as_matrix(valid[0]), valid[1])
        if self.task == "regression":
            cls = xgb.XGBRegressor
        else:
            # XGBoost wants the labels 0..k-1: a class absent from this fit would break that, so the
            # labels seen are renumbered (and validation rows of unseen classes cannot be scored).
            cls = xgb.XGBClassifier
            self.classes_seen_ = np.unique(y)
            y = np.searchsorted(self.classes_seen_, y)
            if valid is not None:
                known = np.isin(valid[1], self.classes_seen_)
                valid = (valid[0][known], np.searchsorted(self.classes_seen_, valid[1][known])) if known.any() else None
        settings = dict(n_estimators=MAX_ROUNDS if valid is not None else 400, tree_method="hist",
                        n_jobs=self.n_jobs_, random_state=self.seed,
                        early_stopping_rounds=self.early_stopping_rounds if valid is not None else None)
        model = cls(**{**settings, **params}, callbacks=[_xgboost_deadline(self.deadline_)])
        model.fit(X, y, sample_weight=weight, eval_set=[valid] if valid is not None else None, verbose=False)
        self.model_ = model.set_params(callbacks=None)  # the fitted model must pickle without the local callback
        self.n_iterations_ = model.get_booster().num_boosted_rounds()
        if valid is not None:
            best = getattr(model, "best_iteration", None)
            self.best_iterations_ = int(best) + 1 if best is not None else self.n_iterations_

    def _proba(self, X):
        return self.model_.predict_proba(as_matrix(X)), self.classes_seen_

    def _values(self, X):
        return self.model_.predict(as_matrix(X))


class CatBoostLearner(Learner):
    """CatBoost; ``params`` are its keyword arguments (over the settings here, ``iterations`` included).

    With a validation set it keeps the best iteration (CatBoost's use_best_model).
    """

    name = "catboost"
    rounds_param = "iterations"

    def _fit(self, params: dict[str, Any], X, y: np.ndarray, valid: tuple | None) -> None:
        import catboost as cb

        X = as_matrix(X)
        self.n_jobs_ = self.n_jobs or threads_for(X)
        if valid is not None:
            valid = (as_matrix(valid[0]), valid[1])
        common = {"iterations": MAX_ROUNDS if valid is not None else 500, "random_seed": self.seed,
                  "thread_count": self.n_jobs_, "verbose": False, "allow_writing_files": False, **params}
        if self.task == "regression":
            model = cb.CatBoostRegressor(**common)
        else:
            # All the task's classes named up front: a validation row of a class absent from this fit
            # would otherwise stop CatBoost ("not present in the learn dataset").
            model = cb.CatBoostClassifier(loss_function="MultiClass" if self.task == "multiclass" else "Logloss",
                                          class_names=list(range(self.n_classes)), **common)
        model.fit(X, y, sample_weight=self._sample_weight(y), eval_set=valid,
                  callbacks=[_CatBoostDeadline(self.deadline_)],
                  early_stopping_rounds=self.early_stopping_rounds if valid is not None else None)
        self.model_ = model
        self.n_iterations_ = int(model.tree_count_)
        if valid is not None:  # use_best_model has already cut the trees after the best iteration
            self.best_iterations_ = self.n_iterations_

    def _proba(self, X):
        return self.model_.predict_proba(as_matrix(X)), self.model_.classes_

    def _values(self, X):
        return self.model_.predict(as_matrix(X))

"""The gradient-boosting learners: LightGBM, XGBoost, CatBoost.

Each one boosts up to a fixed number of rounds without a validation set, and with one up to
5000 rounds, stopping ``early_stopping_rounds`` after the validation loss last improved. A time
limit stops adding trees once it is spent (the trees so far are the model). The packages are
imported inside the fits, so this module imports without them.

Category columns of the frame (the Preprocessor's native categories) reach each one as categorical
features: LightGBM's ``categorical_feature``, CatBoost's ``cat_features`` (integer codes), XGBoost's
categorical feature type. Each codes a frame by the categories it was fitted on (``categories_``),
so a level it never saw is missing there, not another level's code.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .base import Learner, as_matrix, category_levels, threads_for

MAX_ROUNDS = 5000  # with a validation set; early stopping decides the rest
# LightGBM's categorical splits when the frame has category columns (params win over these). Measured
# (5-fold CV on four tables, 16 to 167 levels): 100 rows per category group beat 20 on three of them, so
# these are LightGBM's own values, written out so a person tuning them finds them here.
LIGHTGBM_CATEGORICAL = {"min_data_per_group": 100, "cat_smooth": 10.0, "cat_l2": 10.0, "max_cat_threshold": 32}


class _Categorical:
    """The fitted categories of the category columns, and the matrix coded by them."""

    def _remember_categories(self, X) -> None:
        self.categories_ = category_levels(X)

    def _matrix(self, X) -> np.ndarray:
        return as_matrix(X, getattr(self, "categories_", None))

    def _cat_positions(self) -> list[int]:
        return sorted(getattr(self, "categories_", None) or {})


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


class LightGBMLearner(_Categorical, Learner):
    """LightGBM's native booster; ``params`` go to it as they are (``num_boost_round``: rounds without validation)."""

    name = "lightgbm"
    rounds_param = "num_boost_round"

    def _fit(self, params: dict[str, Any], X, y: np.ndarray, valid: tuple | None) -> None:
        import lightgbm as lgb

        self._remember_categories(X)
        X = self._matrix(X)
        cat = self._cat_positions()
        self.n_jobs_ = self.n_jobs or threads_for(X)
        objective = {"binary": "binary", "multiclass": "multiclass", "regression": "regression"}[self.task]
        extra = {"num_class": self.n_classes} if self.task == "multiclass" else {}
        booster_params = {"objective": objective, "verbosity": -1, "seed": self.seed, "num_threads": self.n_jobs_,
                          "bagging_freq": 1, **(LIGHTGBM_CATEGORICAL if cat else {}), **extra, **params}
        train_set = lgb.Dataset(X, y, weight=self._sample_weight(y), categorical_feature=cat or "auto")
        out_of_time = _LightGBMDeadline(self.deadline_)
        if valid is None:
            model = lgb.train(booster_params, train_set, num_boost_round=params.get("num_boost_round", 400),
                              callbacks=[out_of_time])
        else:
            valid_set = lgb.Dataset(self._matrix(valid[0]), valid[1], reference=train_set,
                                    categorical_feature=cat or "auto")
            model = lgb.train(booster_params, train_set, num_boost_round=MAX_ROUNDS, valid_sets=[valid_set],
                              callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False), out_of_time])
        self.model_ = model
        self.n_iterations_ = model.current_iteration()
        if valid is not None:
            self.best_iterations_ = int(model.best_iteration or model.current_iteration())

    def _raw(self, X) -> np.ndarray:
        return self.model_.predict(self._matrix(X), num_iteration=self.model_.best_iteration or None)

    def _proba(self, X):
        return self._raw(X), None  # multiclass: num_class columns whatever the fit saw

    def _values(self, X):
        return self._raw(X)


class XGBoostLearner(_Categorical, Learner):
    """XGBoost's sklearn estimator with the hist tree method; ``params`` are its keyword arguments
    (over the settings here, ``n_estimators`` included)."""

    name = "xgboost"
    rounds_param = "n_estimators"

    def _fit(self, params: dict[str, Any], X, y: np.ndarray, valid: tuple | None) -> None:
        import xgboost as xgb

        self._remember_categories(X)
        X = self._matrix(X)
        self.n_jobs_ = self.n_jobs or threads_for(X)
        weight = self._sample_weight(y)
        if valid is not None:
            valid = (self._matrix(valid[0]), valid[1])
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
        cat = self._cat_positions()
        if cat:
            settings.update(enable_categorical=True,
                            feature_types=["c" if i in cat else "q" for i in range(X.shape[1])])
        model = cls(**{**settings, **params}, callbacks=[_xgboost_deadline(self.deadline_)])
        model.fit(X, y, sample_weight=weight, eval_set=[valid] if valid is not None else None, verbose=False)
        self.model_ = model.set_params(callbacks=None)  # the fitted model must pickle without the local callback
        self.n_iterations_ = model.get_booster().num_boosted_rounds()
        if valid is not None:
            best = getattr(model, "best_iteration", None)
            self.best_iterations_ = int(best) + 1 if best is not None else self.n_iterations_

    def _matrix(self, X) -> np.ndarray:
        values = super()._matrix(X)
        cat = self._cat_positions()
        if cat:  # a missing category is NaN to XGBoost (a negative code is an error); never the caller's array
            values = values.copy()
            block = values[:, cat]
            values[:, cat] = np.where(block < 0, np.nan, block)
        return values

    def _proba(self, X):
        return self.model_.predict_proba(self._matrix(X)), self.classes_seen_

    def _values(self, X):
        return self.model_.predict(self._matrix(X))


class CatBoostLearner(_Categorical, Learner):
    """CatBoost; ``params`` are its keyword arguments (over the settings here, ``iterations`` included).

    With a validation set it keeps the best iteration (CatBoost's use_best_model).
    """

    name = "catboost"
    rounds_param = "iterations"

    def _fit(self, params: dict[str, Any], X, y: np.ndarray, valid: tuple | None) -> None:
        import catboost as cb

        self._remember_categories(X)
        X = self._matrix(X)
        self.n_jobs_ = self.n_jobs or threads_for(X)
        if valid is not None:
            valid = (self._matrix(valid[0]), valid[1])
        common = {"iterations": MAX_ROUNDS if valid is not None else 500, "random_seed": self.seed,
                  "thread_count": self.n_jobs_, "verbose": False, "allow_writing_files": False, **params}
        if self.task == "regression":
            model = cb.CatBoostRegressor(**common)
        else:
            # All the task's classes named up front: a validation row of a class absent from this fit
            # would otherwise stop CatBoost ("not present in the learn dataset").
            model = cb.CatBoostClassifier(loss_function="MultiClass" if self.task == "multiclass" else "Logloss",
                                          class_names=list(range(self.n_classes)), **common)
        model.fit(X, y, cat_features=self._cat_positions() or None, sample_weight=self._sample_weight(y),
                  eval_set=valid, callbacks=[_CatBoostDeadline(self.deadline_)],
                  early_stopping_rounds=self.early_stopping_rounds if valid is not None else None)
        self.model_ = model
        self.n_iterations_ = int(model.tree_count_)
        if valid is not None:  # use_best_model has already cut the trees after the best iteration
            self.best_iterations_ = self.n_iterations_

    def _matrix(self, X):
        """Floats, and with category columns a frame whose category columns are integer codes
        (CatBoost takes categories as integers or strings, never as floats)."""
        values = super()._matrix(X)
        cat = self._cat_positions()
        if not cat:
            return values
        import pandas as pd

        frame = pd.DataFrame(values)
        for i in cat:
            frame[i] = values[:, i].astype(np.int64)
        return frame

    def _proba(self, X):
        return self.model_.predict_proba(self._matrix(X)), self.model_.classes_

    def _values(self, X):
        return self.model_.predict(self._matrix(X))

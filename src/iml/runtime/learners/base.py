"""What every learner shares: the task facts it is built with and the prediction contract it keeps.

Each learner is one sklearn estimator serving all three task types (``task`` says which), so a
track module can swap learners by name. A subclass fits in ``_fit`` and answers raw outputs in
``_proba`` / ``_values``; this base turns them into the contract: ``predict_proba`` gives one
column per class of the task (also for a class absent from the fit), clipped and renormalised so
rows sum to one, ``predict`` gives class indices or floats.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .. import spaces

TASKS = ("binary", "multiclass", "regression")


def threads_for(X: np.ndarray) -> int:
    """One thread on small data: OpenMP spin-waits cost more than they gain there,
    and on a busy machine they can slow a fit down a hundredfold."""
    return 1 if X.size < 2_000_000 else (os.cpu_count() or 1)


def category_levels(X) -> dict[int, list]:
    """Position -> categories of each pandas ``category`` column of a frame (native categories); none for an array."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or getattr(X, "ndim", 2) != 2:
        return {}
    return {i: list(d.categories) for i, d in enumerate(dtypes) if str(d) == "category"}


def as_matrix(X, levels: dict[int, list] | None = None) -> np.ndarray:
    """The float32 matrix every learner trains on (a frame's column order is kept).

    A category column becomes its integer codes (-1: missing): the learners with categorical splits
    are told which columns those are, the others read them as numbers (a frequency rank for the
    Preprocessor's native categories). ``levels`` (``category_levels`` of the training frame) codes
    a frame by the training categories, whatever categories its own columns carry.
    """
    found = category_levels(X)
    if not found:
        return np.asarray(X, dtype=np.float32)
    out = np.empty(X.shape, dtype=np.float32)
    plain = [i for i in range(X.shape[1]) if i not in found]
    out[:, plain] = X.iloc[:, plain].to_numpy(dtype=np.float32)
    for i in found:
        column = X.iloc[:, i]
        if levels is not None and i in levels and found[i] != levels[i]:
            column = column.cat.set_categories(levels[i])  # a level the fit never saw: missing
        out[:, i] = column.cat.codes
    return out


class Learner(BaseEstimator):
    """The shared constructor and prediction contract.

    A subclass sets ``name``, and its ``_fit`` stores the fitted model in ``model_`` and the number
    of boosting rounds or epochs it ran in ``n_iterations_`` (what a time limit cut short shows there).
    """

    name = ""  # the learner's name in names.LEARNERS and spaces.DEFAULTS
    # A learner that stops early on a validation set names the parameter fixing its number of rounds
    # (or epochs), so a refit on all rows without validation rows can run as many as early stopping chose.
    rounds_param: str | None = None

    def __init__(self, task: str = "binary", n_classes: int = 2, params: dict[str, Any] | None = None,
                 class_weight: str | None = None, early_stopping_rounds: int = 50, seed: int = 0,
                 n_jobs: int | None = None, time_limit: float | None = None):
        self.task = task
        self.n_classes = n_classes
        self.params = params  # hyper-parameters over spaces.DEFAULTS[name]
        self.class_weight = class_weight  # "balanced" or None
        self.early_stopping_rounds = early_stopping_rounds  # used when a validation set is given
        self.seed = seed
        self.n_jobs = n_jobs  # None: threads_for the data
        self.time_limit = time_limit  # seconds; boosting stops adding trees, the net stops its epochs

    # -- sklearn's view ----------------------------------------------------------------
    def __sklearn_tags__(self):
        """A classifier or a regressor by ``task``, as ClassifierMixin / RegressorMixin would say."""
        from sklearn.utils import ClassifierTags, RegressorTags

        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        if self.task == "regression":
            tags.estimator_type, tags.regressor_tags = "regressor", RegressorTags()
        else:
            tags.estimator_type, tags.classifier_tags = "classifier", ClassifierTags()
        return tags

    # -- fitting -----------------------------------------------------------------------
    def fit(self, X, y, X_valid=None, y_valid=None) -> "Learner":
        """Fit on (X, y); with a validation set, boosting stops early on it and the net keeps its best epoch."""
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; expected one of {TASKS}")
        started = time.time()
        params = {**spaces.DEFAULTS.get(self.name, {}), **(self.params or {})}
        y = np.asarray(y, dtype=float if self.task == "regression" else np.int64)
        valid = None
        if X_valid is not None and y_valid is not None:
            valid = (X_valid, np.asarray(y_valid, dtype=y.dtype))
        self.deadline_ = started + self.time_limit if self.time_limit else None
        self.best_iterations_ = None  # set by an early-stopping learner fitted with a validation set
        self._fit(params, X, y, valid)
        self.fit_seconds_ = time.time() - started
        return self

    def _fit(self, params: dict[str, Any], X, y: np.ndarray, valid: tuple | None) -> None:
        raise NotImplementedError

    def _sample_weight(self, y: np.ndarray) -> np.ndarray | None:
        """Balanced per-row weights when the task asks for them (classification only)."""
        if self.class_weight != "balanced" or self.task == "regression":
            return None
        from sklearn.utils.class_weight import compute_sample_weight

        return compute_sample_weight("balanced", y)

    def _out_of_time(self) -> bool:
        return bool(self.deadline_ and time.time() > self.deadline_)

    # -- predicting --------------------------------------------------------------------
    def predict_proba(self, X) -> np.ndarray:
        """(n, n_classes) probabilities; a class the fit never saw gets probability zero."""
        check_is_fitted(self, "model_")
        if self.task == "regression":
            raise AttributeError("predict_proba is only defined for classification")
        proba, seen = self._proba(X)
        proba = np.asarray(proba, dtype=float)
        if proba.ndim == 1:
            proba = np.column_stack([1 - proba, proba])
        if proba.shape[1] != self.n_classes:
            full = np.zeros((len(proba), self.n_classes))
            full[:, np.asarray(seen, dtype=int)] = proba
            proba = full
        proba = np.clip(proba, 0.0, 1.0)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """Class indices (classification) or float values (regression)."""
        check_is_fitted(self, "model_")
        if self.task != "regression":
            return self.predict_proba(X).argmax(axis=1)
        return np.asarray(self._values(X), dtype=float).ravel()

    def _proba(self, X) -> tuple[np.ndarray, np.ndarray | None]:
        """Raw class probabilities and the class indices their columns stand for (None: all)."""
        raise NotImplementedError

    def _values(self, X) -> np.ndarray:
        raise NotImplementedError

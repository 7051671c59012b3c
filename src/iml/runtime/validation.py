"""Cross-validation of one candidate: a model per fold, out-of-fold predictions, fold-averaged predictions."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Sequence

import numpy as np

from .objective import Objective


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


@dataclass
class CVResult:
    """What the folds of one candidate produced. ``oof`` is None when not every fold ran."""

    oof: np.ndarray | None
    others: list[np.ndarray]  # fold-averaged predictions on each frame of ``X_others`` (test, holdout)
    models: list[Any]
    fold_scores: list[float] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.oof is not None


def cross_validate(module: ModuleType, learner: str, params: dict, X, y: np.ndarray,
                   folds: Sequence[tuple[np.ndarray, np.ndarray]], X_others: Sequence, objective: Objective,
                   deadline: float, hard_deadline: float, seed: int, allow_partial: bool = False,
                   fitted: Sequence[Any] = ()) -> CVResult:
    """Fit one model per fold of ``module.Model(learner, params)``.

    Each fit's time limit is its part of ``deadline`` (the candidate's); only ``hard_deadline``
    (the run's) stops the folds early, with a TimeoutError, or, with ``allow_partial`` (nothing
    submitted yet), keeping the folds done. ``fitted`` holds models already fitted on the first
    folds with these params (the timing probe), used instead of fitting them again.
    """
    oof = None
    others: list = [None] * len(X_others)
    models, scores = [], []
    for k, (train_idx, valid_idx) in enumerate(folds):
        started = time.time()
        limit = max(1.0, (deadline - started) / (len(folds) - k))
        if k < len(fitted):
            model = fitted[k]
        else:
            model = module.Model(learner, params, seed=seed + k, time_limit=limit).fit(
                X.iloc[train_idx], y[train_idx], X.iloc[valid_idx], y[valid_idx])
        pred = predict_checked(model, X.iloc[valid_idx], objective)
        if oof is None:
            oof = np.zeros((len(X),) + pred.shape[1:])
        oof[valid_idx] = pred
        scores.append(objective.evaluate(y[valid_idx], pred))
        for j, frame in enumerate(X_others):
            p = predict_checked(model, frame, objective) / len(folds)
            others[j] = p if others[j] is None else others[j] + p
        models.append(model)
        if k + 1 < len(folds) and hard_deadline - time.time() < 0.3 * (len(folds) - k - 1):
            if allow_partial:  # the folds done are better than no submission at all
                others = [o * len(folds) / len(models) for o in others]
                return CVResult(None, others, models, scores)
            raise TimeoutError(f"time ran out after fold {k + 1} of {len(folds)}")
    return CVResult(oof, others, models, scores)

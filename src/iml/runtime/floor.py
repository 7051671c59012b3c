"""The floor: class priors or the mean target, the submission a run has before any model fits.

A run writes it within seconds of reading the data, so a run that loses every model (a defect, a
kill, a budget spent on featurizing) still leaves a valid submission, and every model saved later
must score better than it to replace it.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .objective import Objective
from .selection import CandidateResult

TRACK, LEARNER = "floor", "prior"


class Prior:
    """A model of the contract's shape that predicts the training rows' class shares (or their mean)."""

    def __init__(self, objective: Objective):
        self.objective = objective

    def fit(self, X, y: np.ndarray, X_valid=None, y_valid=None) -> "Prior":
        y = np.asarray(y)
        if self.objective.classification:
            counts = np.bincount(y.astype(int), minlength=self.objective.n_classes).astype(float)
            self.value_ = counts / max(1.0, counts.sum())
        else:
            self.value_ = float(np.mean(y)) if len(y) else 0.0
        return self

    def predict_proba(self, X) -> np.ndarray:
        return np.tile(self.value_, (len(X), 1))

    def predict(self, X) -> np.ndarray:
        if self.objective.classification:
            return np.full(len(X), int(np.argmax(self.value_)))
        return np.full(len(X), self.value_, dtype=float)


def floor_result(y: np.ndarray, folds: Sequence[tuple[np.ndarray, np.ndarray]], n_test: int, n_hold: int,
                 objective: Objective, y_hold: np.ndarray | None = None) -> CandidateResult:
    """The floor as a validated candidate: fold priors give its out-of-fold score, all rows its predictions."""
    predict = (lambda m, n: m.predict_proba(np.zeros((n, 0)))) if objective.classification \
        else (lambda m, n: m.predict(np.zeros((n, 0))))
    oof = None
    scores = []
    for train_idx, valid_idx in folds:
        part = predict(Prior(objective).fit(None, y[train_idx]), len(valid_idx))
        if oof is None:
            oof = np.zeros((len(y),) + part.shape[1:])
        oof[valid_idx] = part
        scores.append(objective.evaluate(y[valid_idx], part))
    everything = y if y_hold is None or not len(y_hold) else np.concatenate([y, y_hold])
    model = Prior(objective).fit(None, everything)
    return CandidateResult(track=TRACK, learner=LEARNER, models=[model], oof=oof, test=predict(model, n_test),
                           holdout=predict(Prior(objective).fit(None, y), n_hold) if n_hold else None,
                           cv_mean=float(np.mean(scores)), oof_score=objective.evaluate(y, oof),
                           fold_scores=scores, refit=True)

"""Selection: the best single candidate, an average of the best, or a stacker, by out-of-fold scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .folds import make_folds
from .objective import Objective


@dataclass
class CandidateResult:
    """One validated candidate: its fold models and predictions on the same rows as every other."""

    track: str
    learner: str
    models: list[Any]
    oof: np.ndarray | None  # out-of-fold predictions on the development rows; None when not every fold ran
    test: np.ndarray
    holdout: np.ndarray | None
    cv_mean: float
    oof_score: float
    params: dict = field(default_factory=dict)
    fold_scores: list[float] = field(default_factory=list)
    best_iterations: list[int] = field(default_factory=list)  # the rounds early stopping chose per fold
    refit: bool = False  # models is one model fitted on every row (else the fold models)

    @property
    def name(self) -> str:
        return f"{self.track}/{self.learner}"


@dataclass
class Selection:
    members: list[CandidateResult]
    stacker: Any | None
    score: float
    how: str  # best | average of k | stacking of k


def stack_features(parts: Sequence[np.ndarray], classification: bool) -> np.ndarray:
    """The stacker's inputs: members' predictions side by side (log-odds of probabilities for classes)."""
    if not classification:
        return np.column_stack(parts)
    clipped = [np.clip(p, 1e-6, 1 - 1e-6) for p in parts]
    return np.column_stack([np.log(p / (1 - p)) for p in clipped])


def combine(parts: Sequence[np.ndarray], stacker: Any | None, classification: bool) -> np.ndarray:
    """Members' predictions as one: their mean, or the stacker's output on them."""
    if stacker is None:
        return np.mean(parts, axis=0)
    features = stack_features(parts, classification)
    return stacker.predict_proba(features) if classification else stacker.predict(features)


def fit_stacker(parts: Sequence[np.ndarray], y: np.ndarray, objective: Objective, seed: int) -> tuple[Any, float]:
    """A regularised linear model on out-of-fold predictions, and its score by its own cross-validation."""
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.model_selection import cross_val_predict

    classification = objective.classification
    features = stack_features(parts, classification)
    stacker = LogisticRegression(C=1.0, max_iter=2000) if classification else RidgeCV(alphas=(0.1, 1.0, 10.0))
    folds = make_folds(y, 5, seed + 1, stratified=classification)
    method = "predict_proba" if classification else "predict"
    honest = cross_val_predict(stacker, features, y, cv=folds, method=method)
    return stacker.fit(features, y), objective.evaluate(y, honest)


def choose_ensemble(results: Sequence[CandidateResult], y: np.ndarray, objective: Objective, mode: str,
                    seed: int) -> Selection:
    """``mode``: best | average | stacking | auto (the average of the top k when it beats the best single).

    Candidates are ranked by their mean fold score; an average or a stacker needs every member's
    out-of-fold predictions, so it is considered only when every candidate ran all its folds.
    """
    if not results:
        raise ValueError("no validated candidate to select from")
    ranked = objective.ranked(results, lambda r: r.cv_mean)
    best = Selection([ranked[0]], None, ranked[0].oof_score, "best")
    full = [r for r in ranked if r.oof is not None]
    if mode in ("auto", "average") and len(full) == len(ranked):
        for k in range(2, len(ranked) + 1):
            score = objective.evaluate(y, np.mean([r.oof for r in ranked[:k]], axis=0))
            if mode == "average" or objective.better(score, best.score):
                best = Selection(ranked[:k], None, score, f"average of {k}")
    if mode == "stacking" and len(full) >= 2:
        stacker, score = fit_stacker([r.oof for r in full], y, objective, seed)
        best = Selection(full, stacker, score, f"stacking of {len(full)}")
    return best

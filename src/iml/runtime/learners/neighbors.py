"""The nearest-neighbours learner: distance-weighted k-NN on quantile- or standard-scaled features.

A model unlike any tree: it answers from the closest training rows, so it helps an ensemble most
where the trees' axis-aligned splits fit badly. Fitting only stores the (scaled) rows, so it ignores
the validation set and the time limit; predicting costs a distance per training row, so at most
``MAX_ROWS`` rows (a seeded random subset) are kept. Balanced class weights scale each class's
probability (balance.py: the neighbours themselves take no weights).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .balance import class_scale, rescaled
from .base import Learner, as_matrix, threads_for

MAX_ROWS = 50_000


class KNNLearner(Learner):
    """A scaler + KNeighborsClassifier / KNeighborsRegressor pipeline, weights="distance"."""

    name = "knn"

    def _fit(self, params: dict[str, Any], X, y: np.ndarray, valid: tuple | None) -> None:
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import QuantileTransformer, StandardScaler

        X = as_matrix(X)
        if len(X) > MAX_ROWS:
            keep = np.sort(np.random.default_rng(self.seed).choice(len(X), MAX_ROWS, replace=False))
            X, y = X[keep], y[keep]
        self.n_jobs_ = self.n_jobs or threads_for(X)
        if params["scaling"] == "quantile":
            scaler = QuantileTransformer(n_quantiles=min(200, len(X)), output_distribution="normal",
                                         random_state=self.seed)
        else:
            scaler = StandardScaler()
        k = max(1, min(int(params["n_neighbors"]), len(X)))
        neighbours = (KNeighborsRegressor if self.task == "regression" else KNeighborsClassifier)(
            n_neighbors=k, weights="distance", n_jobs=self.n_jobs_)
        self.model_ = make_pipeline(scaler, neighbours).fit(X, y)
        self.n_iterations_ = 1
        classes = None if self.task == "regression" else self.model_.classes_
        self.class_scale_ = None if classes is None else class_scale(self._sample_weight(y), y, classes)

    def _proba(self, X):
        return rescaled(self.model_.predict_proba(as_matrix(X)), self.class_scale_), self.model_.classes_

    def _values(self, X):
        return self.model_.predict(as_matrix(X))

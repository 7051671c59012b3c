"""The linear learner: logistic regression (classification) or ridge (regression) on quantile-scaled features.

The quantile transform to a normal shape makes a linear model robust to the skewed, heavy-tailed
columns tabular data is full of; it is the strong, cheap baseline beside the boosters. ``C`` is
the inverse regularisation strength for both (ridge's alpha is 1/C). It ignores the validation
set and the time limit: it fits in seconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Learner, as_matrix


class LinearLearner(Learner):
    """A QuantileTransformer + LogisticRegression / Ridge pipeline."""

    name = "linear"

    def _fit(self, params: dict[str, Any], X, y: np.ndarray, valid: tuple | None) -> None:
        from sklearn.linear_model import LogisticRegression, Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import QuantileTransformer

        X = as_matrix(X)
        scaler = QuantileTransformer(n_quantiles=min(200, len(X)), output_distribution="normal",
                                     random_state=self.seed)
        if self.task == "regression":
            self.model_ = make_pipeline(scaler, Ridge(alpha=1.0 / params["C"])).fit(X, y)
            self.n_iterations_ = 1
            return
        model = make_pipeline(scaler, LogisticRegression(C=params["C"], max_iter=2000))
        self.model_ = model.fit(X, y, logisticregression__sample_weight=self._sample_weight(y))
        self.n_iterations_ = int(np.max(model[-1].n_iter_))

    def _proba(self, X):
        return self.model_.predict_proba(as_matrix(X)), self.model_.classes_

    def _values(self, X):
        return self.model_.predict(as_matrix(X))

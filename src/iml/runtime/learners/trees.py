"""The bagged-tree learners: random forest and extremely randomised trees (scikit-learn).

They differ from the boosters in how their errors fall (averaged deep trees, random splits), which
is what an ensemble gains from. Trees are grown in chunks with ``warm_start``: a time limit stops
adding chunks once it is spent (the trees so far are the model), and ``n_iterations_`` counts the
trees grown. They ignore the validation set: a forest does not overfit by growing more trees.
Balanced class weights rescale the probabilities (balance.py): fully grown trees hardly feel row weights.
``params`` beyond the tuned ones: ``n_estimators`` (the tree count) and ``max_leaf_nodes`` (a cap
on each tree's size, which keeps the pickled folds of a large data set within reason).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .balance import class_scale, rescaled
from .base import Learner, as_matrix, threads_for

N_TREES = 300
CHUNK = 25  # trees grown between two looks at the clock
MAX_LEAF_NODES = 8192


class _Forest(Learner):
    """One sklearn forest per task type; subclasses name the two estimator classes."""

    classifier = regressor = ""  # sklearn.ensemble class names

    def _fit(self, params: dict[str, Any], X, y: np.ndarray, valid: tuple | None) -> None:
        from sklearn import ensemble

        X = as_matrix(X)
        self.n_jobs_ = self.n_jobs or threads_for(X)
        n_trees = max(1, int(params.get("n_estimators", N_TREES)))
        regression = self.task == "regression"
        model = getattr(ensemble, self.regressor if regression else self.classifier)(
            n_estimators=0, warm_start=True, max_features=float(params["max_features"]),
            min_samples_leaf=int(params["min_samples_leaf"]),
            max_leaf_nodes=params.get("max_leaf_nodes", MAX_LEAF_NODES), random_state=self.seed,
            n_jobs=self.n_jobs_)
        grown = 0
        while grown < n_trees:
            grown = min(n_trees, grown + CHUNK)
            model.set_params(n_estimators=grown)
            model.fit(X, y)
            if self._out_of_time():
                break
        self.model_ = model
        self.n_iterations_ = grown
        self.class_scale_ = None if regression else class_scale(self._sample_weight(y), y, model.classes_)

    def _proba(self, X):
        return rescaled(self.model_.predict_proba(as_matrix(X)), self.class_scale_), self.model_.classes_

    def _values(self, X):
        return self.model_.predict(as_matrix(X))


class RandomForestLearner(_Forest):
    """Bootstrapped trees on the best of a random share of columns at each split."""

    name = "random_forest"
    classifier, regressor = "RandomForestClassifier", "RandomForestRegressor"


class ExtraTreesLearner(_Forest):
    """Extremely randomised trees: random thresholds on all rows, smoother and less correlated than a forest."""

    name = "extra_trees"
    classifier, regressor = "ExtraTreesClassifier", "ExtraTreesRegressor"

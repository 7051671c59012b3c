"""The loss each learner optimises for a metric its default loss misses (spaces.METRIC_PARAMS): for mae the
boosting learners fitted with their L1 loss beat their default L2 loss on data with heavy outliers."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from iml.runtime import spaces
from iml.runtime.learners import make_learner

BOOSTING = ["lightgbm", "xgboost", "catboost"]
FAST = {"lightgbm": {"num_boost_round": 150, "num_leaves": 15}, "xgboost": {"n_estimators": 150, "max_depth": 4},
        "catboost": {"iterations": 150, "depth": 4}}


def test_metric_params_are_data_and_copies():
    assert spaces.metric_params("mae", "lightgbm") == {"objective": "l1"}
    assert spaces.metric_params("mae", "xgboost") == {"objective": "reg:absoluteerror"}
    assert spaces.metric_params("mae", "catboost") == {"loss_function": "MAE"}
    assert spaces.metric_params("mae", "linear") == {} and spaces.metric_params("rmse", "lightgbm") == {}
    spaces.metric_params("mae", "lightgbm")["objective"] = "changed"
    assert spaces.METRIC_PARAMS["mae"]["lightgbm"] == {"objective": "l1"}
    assert set(spaces.METRIC_PARAMS["mae"]) <= set(spaces.SPACES)


def outliers(n, seed):
    """A smooth signal with small noise, and 20% of rows pushed far up: the mean and the median part ways."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 4))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] + rng.normal(scale=0.1, size=n)
    hit = rng.random(n) < 0.2
    y[hit] += rng.exponential(20.0, size=hit.sum())
    return X, y


@pytest.mark.parametrize("learner", BOOSTING)
def test_the_mae_loss_lowers_mae_under_heavy_outliers(learner):
    if importlib.util.find_spec(learner) is None:
        pytest.skip(f"{learner} not installed")
    X, y = outliers(3000, seed=0)
    X_new, y_new = outliers(3000, seed=1)  # the same contaminated distribution: MAE is judged on it

    def mae(params):
        model = make_learner(learner, task="regression", n_classes=0, params={**FAST[learner], **params},
                             seed=0, n_jobs=1).fit(X, y)
        return float(np.mean(np.abs(model.predict(X_new) - y_new)))

    default, l1 = mae({}), mae(spaces.metric_params("mae", learner))
    assert l1 < 0.8 * default, (learner, default, l1)

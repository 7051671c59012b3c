"""Every learner's default hyper-parameters, portfolio and Optuna search space, as data, in one place.

The defaults are enqueued as a study's first trial, so tuning can only improve on them; the
portfolio's configurations come next, then TPE. Both must therefore lie inside the ranges (a test
checks it). Ranges follow common practice for tabular data. A range is a tuple:

- ``("float", low, high, log)`` and ``("int", low, high, log)``: a numeric range, log-scaled
  when ``log`` is true;
- ``("categorical", (choice, ...))``: a fixed set of choices.
"""

from __future__ import annotations

from typing import Any, Iterable

Range = tuple  # ("float" | "int", low, high, log) or ("categorical", choices)

DEFAULTS: dict[str, dict[str, Any]] = {
    "lightgbm": {"learning_rate": 0.05, "num_leaves": 31, "min_child_samples": 20, "feature_fraction": 0.8,
                 "bagging_fraction": 0.8, "lambda_l2": 1.0, "extra_trees": False},
    "xgboost": {"learning_rate": 0.05, "max_depth": 6, "min_child_weight": 1.0, "subsample": 0.8,
                "colsample_bytree": 0.8, "reg_lambda": 1.0},
    "catboost": {"learning_rate": 0.08, "depth": 6, "l2_leaf_reg": 3.0},
    "linear": {"C": 1.0},
    "mlp": {"lr": 2e-3, "hidden": 256, "dropout": 0.2, "weight_decay": 1e-4},
    "random_forest": {"max_features": 0.5, "min_samples_leaf": 1},
    "extra_trees": {"max_features": 0.75, "min_samples_leaf": 1},
    "knn": {"n_neighbors": 10, "scaling": "quantile"},
    "tabm": {"lr": 2e-3, "weight_decay": 3e-4, "n_blocks": 2, "dropout": 0.1},  # d_block by device
}

SPACES: dict[str, dict[str, Range]] = {
    "lightgbm": {
        "learning_rate": ("float", 0.01, 0.2, True),
        "num_leaves": ("int", 7, 255, True),
        "min_child_samples": ("int", 5, 100, True),
        "feature_fraction": ("float", 0.4, 1.0, False),
        "bagging_fraction": ("float", 0.5, 1.0, False),
        "lambda_l2": ("float", 1e-3, 10.0, True),
        "extra_trees": ("categorical", (False, True)),  # random split thresholds: a less correlated model
    },
    "xgboost": {
        "learning_rate": ("float", 0.01, 0.2, True),
        "max_depth": ("int", 3, 10, False),
        "min_child_weight": ("float", 0.5, 20.0, True),
        "subsample": ("float", 0.5, 1.0, False),
        "colsample_bytree": ("float", 0.4, 1.0, False),
        "reg_lambda": ("float", 1e-3, 10.0, True),
    },
    "catboost": {
        "learning_rate": ("float", 0.02, 0.2, True),
        "depth": ("int", 4, 8, False),
        "l2_leaf_reg": ("float", 0.5, 20.0, True),
    },
    "linear": {"C": ("float", 1e-3, 100.0, True)},
    "mlp": {
        "lr": ("float", 3e-4, 1e-2, True),
        "hidden": ("categorical", (128, 256, 512)),
        "dropout": ("float", 0.0, 0.5, False),
        "weight_decay": ("float", 1e-6, 1e-2, True),
    },
    "random_forest": {
        "max_features": ("float", 0.1, 1.0, False),  # the share of columns each split may choose from
        "min_samples_leaf": ("int", 1, 40, True),
    },
    "extra_trees": {
        "max_features": ("float", 0.1, 1.0, False),
        "min_samples_leaf": ("int", 1, 40, True),
    },
    "knn": {
        "n_neighbors": ("int", 3, 100, True),
        "scaling": ("categorical", ("quantile", "standard")),
    },
    "tabm": {
        "lr": ("float", 1e-4, 5e-3, True),
        "weight_decay": ("float", 1e-5, 1e-1, True),
        "n_blocks": ("int", 1, 4, False),
        "dropout": ("float", 0.0, 0.5, False),
    },
}

# Known-good configurations per learner, tried in this order after the defaults and before TPE,
# in the spirit of AutoGluon's zero-shot portfolio: each entry names only what it changes from
# DEFAULTS, and together they cover different corners of the space (large and small trees, slow
# and fast learning, random splits) so that a short search still meets a strong, diverse model.
# The first entries matter most: a study with few trials reaches only them (see portfolio()).
PORTFOLIO: dict[str, list[dict[str, Any]]] = {
    "lightgbm": [
        {"extra_trees": True},
        {"learning_rate": 0.03, "num_leaves": 128, "min_child_samples": 5, "feature_fraction": 0.9,
         "bagging_fraction": 0.9},
        {"learning_rate": 0.02, "num_leaves": 15, "min_child_samples": 50, "feature_fraction": 0.55,
         "bagging_fraction": 0.7, "lambda_l2": 5.0, "extra_trees": True},
        {"learning_rate": 0.015, "num_leaves": 63, "min_child_samples": 12, "feature_fraction": 0.7,
         "bagging_fraction": 0.85, "lambda_l2": 0.1},
        {"learning_rate": 0.1, "num_leaves": 24, "min_child_samples": 30, "feature_fraction": 0.6,
         "bagging_fraction": 0.75, "lambda_l2": 3.0},
    ],
    "xgboost": [
        {"learning_rate": 0.02, "max_depth": 10, "min_child_weight": 0.6, "colsample_bytree": 0.7},
        {"learning_rate": 0.09, "max_depth": 5, "min_child_weight": 0.6, "colsample_bytree": 0.65},
        {"learning_rate": 0.04, "max_depth": 7, "min_child_weight": 0.6, "subsample": 0.9,
         "colsample_bytree": 0.75},
        {"learning_rate": 0.01, "max_depth": 4, "subsample": 0.7, "colsample_bytree": 0.75, "reg_lambda": 5.0},
        {"learning_rate": 0.03, "max_depth": 8, "min_child_weight": 3.0, "subsample": 0.7,
         "colsample_bytree": 0.5, "reg_lambda": 0.1},
    ],
    "catboost": [
        {"learning_rate": 0.07, "depth": 6, "l2_leaf_reg": 2.0},
        {"learning_rate": 0.03, "depth": 8, "l2_leaf_reg": 3.0},
        {"learning_rate": 0.05, "depth": 4, "l2_leaf_reg": 5.0},
        {"learning_rate": 0.04, "depth": 7, "l2_leaf_reg": 1.5},
        {"learning_rate": 0.1, "depth": 5, "l2_leaf_reg": 8.0},
    ],
    "linear": [{"C": 0.1}, {"C": 10.0}, {"C": 0.01}],
    "mlp": [
        {"lr": 1e-3, "hidden": 512, "dropout": 0.1, "weight_decay": 1e-5},
        {"lr": 5e-3, "hidden": 128, "dropout": 0.3, "weight_decay": 1e-3},
        {"lr": 7e-4, "hidden": 256, "dropout": 0.4, "weight_decay": 3e-3},
    ],
    "random_forest": [
        {"max_features": 0.75},
        {"max_features": 1.0, "min_samples_leaf": 5},
        {"max_features": 0.3, "min_samples_leaf": 2},
        {"max_features": 0.75, "min_samples_leaf": 20},
    ],
    "extra_trees": [
        {"max_features": 1.0, "min_samples_leaf": 4},
        {"max_features": 0.3},
        {"max_features": 0.5, "min_samples_leaf": 2},
        {"max_features": 1.0, "min_samples_leaf": 15},
    ],
    "tabm": [
        {"lr": 1e-3, "weight_decay": 1e-4, "n_blocks": 3},
        {"lr": 3e-3, "weight_decay": 1e-3, "dropout": 0.2},
        {"lr": 5e-4, "weight_decay": 1e-2, "n_blocks": 1, "dropout": 0.0},
    ],
    "knn": [
        {"n_neighbors": 5, "scaling": "standard"},
        {"n_neighbors": 30},
        {"n_neighbors": 3},
        {"n_neighbors": 60, "scaling": "standard"},
    ],
}


def space(learner: str) -> dict[str, Range]:
    """A learner's ranges; an unknown name is an error that says which names exist."""
    if learner not in SPACES:
        raise ValueError(f"unknown learner {learner!r}; expected one of {tuple(SPACES)}")
    return SPACES[learner]


def portfolio(learner: str, defaults: dict[str, Any] | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The learner's portfolio as complete configurations, each entry over ``defaults`` (DEFAULTS when
    None: a track module passes its own, a person's OVERRIDES in them), at most ``limit`` of them.

    An entry equal to the defaults is left out (the defaults are a study's first trial already);
    a learner without a portfolio (an LLM-written one, say) has none.
    """
    defaults = DEFAULTS.get(learner, {}) if defaults is None else defaults
    configs: list[dict[str, Any]] = []
    for entry in PORTFOLIO.get(learner, ()):
        config = {**defaults, **entry}
        if config != defaults and config not in configs:
            configs.append(config)
    return configs if limit is None else configs[:max(0, limit)]


def suggest(learner: str, trial, skip: Iterable[str] = ()) -> dict[str, Any]:
    """One Optuna trial's parameters for ``learner``.

    ``skip`` names parameters a person fixed (a track module's OVERRIDES): they are not tuned,
    so no trial is spent on values that would be overwritten anyway.
    """
    skipped = set(skip)
    params: dict[str, Any] = {}
    for name, spec in space(learner).items():
        if name in skipped:
            continue
        kind = spec[0]
        if kind == "float":
            params[name] = trial.suggest_float(name, spec[1], spec[2], log=spec[3])
        elif kind == "int":
            params[name] = trial.suggest_int(name, spec[1], spec[2], log=spec[3])
        elif kind == "categorical":
            params[name] = trial.suggest_categorical(name, list(spec[1]))
        else:
            raise ValueError(f"{learner}.{name}: unknown range kind {kind!r}")
    return params


def contains(learner: str, name: str, value: Any) -> bool:
    """Whether ``value`` lies in the range of ``learner``'s parameter ``name``."""
    spec = space(learner)[name]
    if spec[0] == "categorical":
        return value in spec[1]
    if spec[0] == "int" and int(value) != value:
        return False
    return spec[1] <= value <= spec[2]


# The loss a learner should optimise when the task's metric is not what its default loss targets: the
# loop merges these into a candidate's fixed parameters (so tuning never overwrites them). For mae the
# L1 loss estimates the conditional median, which a log1p target transform keeps (the median of a
# monotone transform is the transform of the median), so it serves either target scale.
METRIC_PARAMS: dict[str, dict[str, dict[str, Any]]] = {
    "mae": {
        "lightgbm": {"objective": "l1"},
        "xgboost": {"objective": "reg:absoluteerror"},
        "catboost": {"loss_function": "MAE"},
    },
}


def metric_params(metric: str, learner: str) -> dict[str, Any]:
    """The parameters ``learner`` needs to optimise ``metric`` (a copy; empty when its default loss serves)."""
    if metric.startswith("pinball"):  # a quantile: the learners' own quantile losses
        from .metrics import quantile

        alpha = quantile(metric)
        return dict({"lightgbm": {"objective": "quantile", "alpha": alpha},
                     "xgboost": {"objective": "reg:quantileerror", "quantile_alpha": alpha},
                     "catboost": {"loss_function": f"Quantile:alpha={alpha}"}}.get(learner, {}))
    return dict(METRIC_PARAMS.get(metric, {}).get(learner, {}))


# A sample (verification) run's settings: ONE fit per candidate on one split, a handful of boosting
# rounds or epochs, no tuning. It checks that the code runs and keeps its contracts, not how well it learns,
# so these win over the defaults, a track's params and its OVERRIDES (each learner honours them, with or
# without a validation set).
SMOKE: dict[str, dict[str, Any]] = {
    "lightgbm": {"num_boost_round": 5},
    "xgboost": {"n_estimators": 5},
    "catboost": {"iterations": 5},
    "linear": {},
    "mlp": {"max_epochs": 2, "patience": 1},
    "tabm": {"max_epochs": 2, "patience": 1},
    "random_forest": {"n_estimators": 10},
    "extra_trees": {"n_estimators": 10},
    "knn": {},
}

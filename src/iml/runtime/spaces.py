"""Every learner's default hyper-parameters and Optuna search space, as data, in one place.

The defaults are enqueued as a study's first trial, so tuning can only improve on them; they
must therefore lie inside the ranges (a test checks it). Ranges follow common practice for
tabular data. A range is a tuple:

- ``("float", low, high, log)`` and ``("int", low, high, log)``: a numeric range, log-scaled
  when ``log`` is true;
- ``("categorical", (choice, ...))``: a fixed set of choices.
"""

from __future__ import annotations

from typing import Any, Iterable

Range = tuple  # ("float" | "int", low, high, log) or ("categorical", choices)

DEFAULTS: dict[str, dict[str, Any]] = {
    "lightgbm": {"learning_rate": 0.05, "num_leaves": 31, "min_child_samples": 20, "feature_fraction": 0.8,
                 "bagging_fraction": 0.8, "lambda_l2": 1.0},
    "xgboost": {"learning_rate": 0.05, "max_depth": 6, "min_child_weight": 1.0, "subsample": 0.8,
                "colsample_bytree": 0.8, "reg_lambda": 1.0},
    "catboost": {"learning_rate": 0.08, "depth": 6, "l2_leaf_reg": 3.0},
    "linear": {"C": 1.0},
    "mlp": {"lr": 2e-3, "hidden": 256, "dropout": 0.2, "weight_decay": 1e-4},
}

SPACES: dict[str, dict[str, Range]] = {
    "lightgbm": {
        "learning_rate": ("float", 0.01, 0.2, True),
        "num_leaves": ("int", 7, 255, True),
        "min_child_samples": ("int", 5, 100, True),
        "feature_fraction": ("float", 0.4, 1.0, False),
        "bagging_fraction": ("float", 0.5, 1.0, False),
        "lambda_l2": ("float", 1e-3, 10.0, True),
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
}


def space(learner: str) -> dict[str, Range]:
    """A learner's ranges; an unknown name is an error that says which names exist."""
    if learner not in SPACES:
        raise ValueError(f"unknown learner {learner!r}; expected one of {tuple(SPACES)}")
    return SPACES[learner]


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
}

"""The learners, one sklearn estimator each, found by name.

The registry names each learner's module and class rather than importing them, so importing
this package needs neither torch nor the boosting packages: a learner's module is imported when
it is asked for, and its package when it fits.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .base import Learner

# learner name (names.LEARNERS) -> (module in this package, estimator class)
REGISTRY: dict[str, tuple[str, str]] = {
    "lightgbm": ("boosting", "LightGBMLearner"),
    "xgboost": ("boosting", "XGBoostLearner"),
    "catboost": ("boosting", "CatBoostLearner"),
    "linear": ("linear", "LinearLearner"),
    "mlp": ("mlp", "MLPLearner"),
    "random_forest": ("trees", "RandomForestLearner"),
    "extra_trees": ("trees", "ExtraTreesLearner"),
    "knn": ("neighbors", "KNNLearner"),
    "tabm": ("tabm", "TabMLearner"),
}


def learner_class(name: str) -> type[Learner]:
    """The estimator class of a learner; an unknown name is an error that lists the known ones."""
    if name not in REGISTRY:
        raise ValueError(f"unknown learner {name!r}; expected one of {tuple(REGISTRY)}")
    module, cls = REGISTRY[name]
    return getattr(import_module(f".{module}", __name__), cls)


# What a learner's fit imports: preloaded once in the parent, so forked workers start with it.
PRELOAD: dict[str, tuple[str, ...]] = {
    "lightgbm": ("lightgbm",), "xgboost": ("xgboost",), "catboost": ("catboost",),
    "linear": ("sklearn.linear_model", "sklearn.preprocessing", "sklearn.pipeline"),
    "random_forest": ("sklearn.ensemble",), "extra_trees": ("sklearn.ensemble",),
    "knn": ("sklearn.neighbors", "sklearn.preprocessing"),
    # PyTorch imports its compiler on the first optimizer step: seconds in every process otherwise.
    "mlp": ("torch", "torch._dynamo"), "tabm": ("torch", "tabm", "rtdl_num_embeddings", "torch._dynamo"),
}


def preload(name: str) -> None:
    """Import a learner's module and the packages its fit needs here, once, so the forked workers that
    fit it start with them (importing LightGBM or PyTorch in every worker costs each fit a second or more)."""
    if name not in REGISTRY:
        return
    learner_class(name)
    for module in PRELOAD.get(name, ()):
        try:
            import_module(module)
        except Exception:  # a missing package fails the fit itself, with its own message
            pass


def make_learner(name: str, **kwargs: Any) -> Learner:
    """An unfitted estimator of the named learner; ``kwargs`` are its constructor's (see base.Learner)."""
    return learner_class(name)(**kwargs)


__all__ = ["PRELOAD", "REGISTRY", "Learner", "learner_class", "make_learner", "preload"]

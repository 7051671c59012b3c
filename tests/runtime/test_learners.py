"""The runtime learners keep the sklearn contract and the prediction contract on every task type."""

from __future__ import annotations

import importlib.util
import os
import pickle
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import NotFittedError

from iml.runtime import names
from iml.runtime.learners import REGISTRY, learner_class, make_learner
from iml.runtime.learners.base import threads_for

HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_TABM = HAS_TORCH and importlib.util.find_spec("tabm") is not None
NEEDS = {"mlp": (HAS_TORCH, "PyTorch not installed"), "tabm": (HAS_TABM, "tabm not installed")}
LEARNERS = [pytest.param(name, marks=pytest.mark.skipif(not NEEDS[name][0], reason=NEEDS[name][1]))
            if name in NEEDS else name for name in names.LEARNERS]
TASKS = ("binary", "multiclass", "regression")
N_CLASSES = {"binary": 2, "multiclass": 3, "regression": 0}
# Small models keep the whole file fast; they change sizes, never the code paths.
FAST = {"lightgbm": {"num_boost_round": 40, "num_leaves": 7}, "xgboost": {"n_estimators": 40, "max_depth": 3},
        "catboost": {"iterations": 40, "depth": 4}, "linear": {}, "mlp": {"hidden": 32, "max_epochs": 8},
        "random_forest": {"n_estimators": 40}, "extra_trees": {"n_estimators": 40}, "knn": {},
        "tabm": {"d_block": 32, "k": 4, "max_epochs": 8}}
# Learners that fit in one go and so have no time limit to honour.
ONE_SHOT = ("linear", "knn")


@lru_cache(maxsize=None)
def data(task: str, n: int = 240) -> tuple[pd.DataFrame, np.ndarray]:
    if task == "regression":
        X, y = make_regression(n, 6, n_informative=4, noise=5.0, random_state=0)
    else:
        X, y = make_classification(n, 6, n_informative=4, n_redundant=0, n_classes=N_CLASSES[task],
                                   random_state=0)
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])]), y


def learner(name: str, task: str, **kwargs):
    """An estimator with the FAST sizes; early stopping after 5 rounds keeps validation fits short,
    and one thread keeps torch from spin-waiting on a shared test machine."""
    params = {**FAST[name], **kwargs.pop("params", {})}
    kwargs.setdefault("n_jobs", 1)
    return make_learner(name, task=task, n_classes=N_CLASSES[task], params=params, early_stopping_rounds=5,
                        **kwargs)


def output(model, X) -> np.ndarray:
    return model.predict(X) if model.task == "regression" else model.predict_proba(X)


def assert_proba(proba: np.ndarray, rows: int, n_classes: int) -> None:
    assert proba.shape == (rows, n_classes) and proba.dtype == np.float64
    assert not np.isnan(proba).any() and (proba >= 0).all() and (proba <= 1).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


# -- the registry ---------------------------------------------------------------------------------------
def test_the_registry_names_every_learner_and_only_those() -> None:
    assert set(REGISTRY) == set(names.LEARNERS)
    with pytest.raises(ValueError, match="unknown learner 'forest'"):
        learner_class("forest")


def test_importing_the_learners_imports_no_learner_package() -> None:
    code = ("import sys, iml.runtime.learners; "
            "print(sorted(m for m in ('torch', 'lightgbm', 'xgboost', 'catboost', 'optuna') if m in sys.modules))")
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"


# -- the contract on every learner x task ---------------------------------------------------------------
@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("name", LEARNERS)
def test_fit_predict_and_pickle(name: str, task: str) -> None:
    X, y = data(task)
    model = learner(name, task)
    assert model.fit(X[:180], y[:180], X[180:], y[180:]) is model
    assert model.n_iterations_ >= 1
    pred = model.predict(X)
    if task == "regression":
        assert pred.shape == (len(X),) and pred.dtype == np.float64 and np.isfinite(pred).all()
        assert np.corrcoef(pred, y)[0, 1] > 0.5  # it learned the signal
        assert is_regressor(model) and not is_classifier(model)
        with pytest.raises(AttributeError):
            model.predict_proba(X)
    else:
        proba = model.predict_proba(X)
        assert_proba(proba, len(X), N_CLASSES[task])
        assert np.issubdtype(pred.dtype, np.integer) and set(pred) <= set(range(N_CLASSES[task]))
        np.testing.assert_array_equal(pred, proba.argmax(axis=1))
        assert (pred == y).mean() > 1.5 / N_CLASSES[task]  # well above chance
        assert is_classifier(model) and not is_regressor(model)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(output(again, X), output(model, X))


@pytest.mark.parametrize("name", LEARNERS)
def test_unfitted_learners_refuse_to_predict(name: str) -> None:
    X, _y = data("multiclass")
    model = learner(name, "multiclass")
    with pytest.raises(NotFittedError):
        model.predict(X)
    with pytest.raises(NotFittedError):
        model.predict_proba(X)


@pytest.mark.parametrize("name", LEARNERS)
def test_params_and_clone_follow_sklearn(name: str) -> None:
    model = learner(name, "binary", seed=3, time_limit=9.0, class_weight="balanced")
    params = model.get_params()
    assert params["seed"] == 3 and params["time_limit"] == 9.0 and params["class_weight"] == "balanced"
    assert params["params"] == FAST[name] and params["task"] == "binary" and params["n_classes"] == 2
    copy = clone(model)
    assert copy.get_params() == params and copy is not model
    assert copy.set_params(seed=4).seed == 4
    X, y = data("binary")
    model.fit(X, y)
    assert not hasattr(clone(model), "model_")  # a clone is unfitted


@pytest.mark.parametrize("name", LEARNERS)
def test_a_class_absent_from_the_fit_still_gets_its_column(name: str) -> None:
    X, y = data("multiclass")
    train = np.flatnonzero(y[:180] != 1)  # class 1 only in the validation rows
    model = learner(name, "multiclass").fit(X.iloc[train], y[train], X[180:], y[180:])
    proba = model.predict_proba(X)
    assert_proba(proba, len(X), 3)
    if name not in names.NN_LEARNERS:  # a net has an output for every class; the others give an unseen class nothing
        assert proba[:, 1].max() < 1e-6
    assert set(model.predict(X)) <= {0, 1, 2}


def test_xgboost_with_a_middle_class_missing_renumbers_and_maps_back() -> None:
    X, y = data("multiclass")
    keep = np.flatnonzero(y != 1)
    model = learner("xgboost", "multiclass").fit(X.iloc[keep], y[keep])
    assert (model.predict(X.iloc[keep]) == y[keep]).mean() > 0.7  # classes 0 and 2 land in their own columns


# -- the time limit and early stopping -------------------------------------------------------------------
@pytest.mark.parametrize("name", [n for n in LEARNERS if n not in ONE_SHOT])
def test_the_time_limit_stops_the_fit_after_the_first_round(name: str) -> None:
    from iml.runtime.learners import trees

    X, y = data("binary")
    longer = {"max_epochs": 6, "patience": 100} if name in names.NN_LEARNERS else {}  # no early stop: only time can cut it
    full = learner(name, "binary", params=longer).fit(X, y)
    cut = learner(name, "binary", params=longer, time_limit=1e-9).fit(X, y)
    assert full.n_iterations_ == (6 if name in names.NN_LEARNERS else 40)
    # A forest's round is a chunk of trees grown between two looks at the clock.
    assert cut.n_iterations_ == (trees.CHUNK if name in ("random_forest", "extra_trees") else 1)
    assert_proba(cut.predict_proba(X), len(X), 2)


@pytest.mark.parametrize("name", ["lightgbm", "xgboost", "catboost"])
def test_boosting_stops_early_on_the_validation_set(name: str) -> None:
    X, y = data("binary")
    # A validation set allows thousands of rounds; an overfitting learning rate stops far sooner.
    model = make_learner(name, task="binary", n_classes=2, params={"learning_rate": 0.5}, early_stopping_rounds=5,
                         n_jobs=1)
    model.fit(X[:180], y[:180], X[180:], y[180:])
    assert model.n_iterations_ < 200


# -- task options ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", LEARNERS)
def test_balanced_class_weights_raise_the_minority_class(name: str) -> None:
    X, y = make_classification(300, 6, n_informative=3, weights=[0.9], flip_y=0.05, random_state=1)
    # On rows the fit did not see: extra trees and k-NN give their training rows back exactly.
    fit, new = slice(0, 220), slice(220, None)
    plain = learner(name, "binary").fit(X[fit], y[fit]).predict_proba(X[new])[:, 1].mean()
    balanced = learner(name, "binary", class_weight="balanced").fit(X[fit], y[fit]).predict_proba(X[new])[:, 1].mean()
    assert balanced > plain + 0.02


def test_threads_one_on_small_data_all_on_large() -> None:
    assert threads_for(np.zeros((100, 10), dtype=np.float32)) == 1
    assert threads_for(np.broadcast_to(np.float32(0), (2000, 1000))) == (os.cpu_count() or 1)
    X, y = data("binary")
    for name in [n for n in ("lightgbm", "xgboost", "catboost", "mlp", "tabm", *names.DIVERSE_LEARNERS)
                 if NEEDS.get(n, (True,))[0]]:
        assert learner(name, "binary", n_jobs=None).fit(X, y).n_jobs_ == 1, name
        assert learner(name, "binary", n_jobs=2).fit(X, y).n_jobs_ == 2, name


# -- the net's column conventions -----------------------------------------------------------------------
@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch not installed")
def test_the_mlp_reads_a_pixel_grid_and_category_codes() -> None:
    rng = np.random.default_rng(0)
    n = 200
    label = rng.integers(0, 2, n)
    pixels = rng.random((n, 8, 8)).astype(np.float32)
    pixels[label == 1, :, :4] += 1.0  # bright on the left
    pixels[label == 0, :, 4:] += 1.0  # bright on the right
    frame = pd.DataFrame(pixels.reshape(n, 64), columns=[f"img__px{i}" for i in range(64)])
    frame["size"] = rng.normal(size=n)
    frame["plan__code"] = rng.integers(0, 4, n).astype(float)
    model = learner("mlp", "binary", params={"max_epochs": 15}).fit(frame[:150], label[:150], frame[150:],
                                                                     label[150:])
    assert model.grid_shape_ == (8, 8) and len(model.grid_idx_) == 64
    assert model.code_idx_ == [65] and model.dense_idx_ == [64]
    assert model.categories_ == [3 + 3] and hasattr(model.model_, "cnn")
    assert (model.predict(frame[150:]) == label[150:]).mean() > 0.8
    assert_proba(model.predict_proba(frame.to_numpy()), n, 2)  # after the fit, positions are what count


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch not installed")
def test_a_log_mel_grid_is_mels_high_and_frames_wide() -> None:
    from iml.runtime.learners.mlp import grid_layout

    columns = ["x", *[f"clip__mel{m}_{t}" for m in range(5) for t in range(7)], "kind__code"]
    idx, shape = grid_layout(columns)
    assert shape == (5, 7) and idx == list(range(1, 36))
    assert grid_layout(["a", "b__code"]) is None


# ---------------------------------------------------------------- native categories

def category_data(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A category column whose levels carry the signal, beside a float, as the Preprocessor gives them."""
    rng = np.random.default_rng(seed)
    levels = [f"L{i}" for i in range(20)]
    shop = rng.choice(levels, n)
    effect = dict(zip(levels, rng.normal(size=20) * 2))
    x = rng.normal(size=n)
    y = (np.array([effect[s] for s in shop]) + 0.5 * x + rng.normal(size=n) > 0).astype(int)
    frame = pd.DataFrame({"x": x, "shop__cat": pd.Categorical(shop, categories=[*levels, "__other__"]),
                          "shop__freq": 0.05})
    return frame, y


@pytest.mark.parametrize("name", LEARNERS)
def test_category_columns_fit_predict_unseen_levels_and_pickle(name: str) -> None:
    X, y = category_data()
    model = learner(name, "binary").fit(X.iloc[:240], y[:240], X.iloc[240:], y[240:])
    new = X.iloc[:3].copy()
    # A frame whose categories differ (a level the fit never saw, another order). The boosting learners
    # code it by the fit's categories, so a row keeping its level is predicted as before; the others
    # read the codes as they come (the Preprocessor fixes the categories at fit for every frame).
    kept = X["shop__cat"].iloc[0]
    new["shop__cat"] = pd.Categorical([kept, "brand new", kept], categories=["brand new", "L19", kept])
    proba = model.predict_proba(new)
    assert_proba(proba, 3, 2)
    if name in ("lightgbm", "xgboost", "catboost"):
        np.testing.assert_allclose(proba[0], model.predict_proba(X.iloc[:1])[0], rtol=1e-5)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(model)).predict_proba(new), proba)


def test_lightgbm_splits_the_category_column_as_categorical() -> None:
    X, y = category_data()
    model = learner("lightgbm", "binary").fit(X, y)
    assert model.categories_ == {1: [f"L{i}" for i in range(20)] + ["__other__"]}
    dump = model.model_.dump_model()
    assert dump["feature_infos"]["Column_1"]["values"]  # categorical: its levels, not a numeric range
    splits = []
    stack = [t["tree_structure"] for t in dump["tree_info"]]
    while stack:
        node = stack.pop()
        if "split_feature" in node:
            splits.append((node["split_feature"], node["decision_type"]))
            stack += [node["left_child"], node["right_child"]]
    assert (1, "==") in splits and all(kind == "==" for feature, kind in splits if feature == 1)


def test_catboost_and_xgboost_are_told_the_categorical_column() -> None:
    X, y = category_data()
    catboost = learner("catboost", "binary").fit(X, y)
    assert catboost.model_.get_cat_feature_indices() == [1]
    xgboost = learner("xgboost", "binary").fit(X, y)
    assert xgboost.model_.get_booster().feature_types == ["q", "c", "q"]


def test_as_matrix_gives_category_codes_as_floats() -> None:
    from iml.runtime.learners.base import as_matrix, category_levels

    X, _ = category_data(5)
    values = as_matrix(X)
    assert values.dtype == np.float32 and values[:, 1].tolist() == X["shop__cat"].cat.codes.tolist()
    other = X.assign(shop__cat=pd.Categorical(["L1", "zz", "L1", "L1", "L1"], categories=["zz", "L1"]))
    assert as_matrix(other, category_levels(X))[:, 1].tolist() == [1, -1, 1, 1, 1]
    assert category_levels(X.to_numpy()) == {}

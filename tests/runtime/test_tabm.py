"""The TabM learner: it learns a real table, reads the 'nn' columns, unpickles without iml, and the
guideline gives it the custom-NN track on tables."""

from __future__ import annotations

import importlib.util
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iml.runtime.learners import make_learner

pytestmark = pytest.mark.skipif(importlib.util.find_spec("tabm") is None, reason="tabm not installed")
SMALL = {"k": 8, "d_block": 64, "max_epochs": 30}


def test_tabm_learns_breast_cancer_well_beyond_the_prior() -> None:
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import log_loss, roc_auc_score

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    y = y.to_numpy()
    order = np.random.default_rng(0).permutation(len(y))
    train, valid = order[:400], order[400:]
    params = {"k": 4, "d_block": 32, "max_epochs": 10, "embeddings": "none"}  # small: a few seconds
    model = make_learner("tabm", task="binary", n_classes=2, params=params, n_jobs=1)
    model.fit(X.iloc[train], y[train], X.iloc[valid], y[valid])
    proba = model.predict_proba(X.iloc[valid])[:, 1]
    prior = np.full(len(valid), y[train].mean())
    assert roc_auc_score(y[valid], proba) > 0.97
    assert log_loss(y[valid], proba) < 0.5 * log_loss(y[valid], prior)


def test_codes_and_two_valued_columns_are_categories_the_rest_numbers() -> None:
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({"size": rng.normal(size=n), "city__code": rng.integers(-1, 5, n).astype(float),
                          "colour=red": rng.integers(0, 2, n).astype(float), "flat": np.ones(n)})
    y = ((frame["city__code"] == 2) | (frame["size"] > 1)).astype(int).to_numpy()
    model = make_learner("tabm", task="binary", n_classes=2, params=SMALL, n_jobs=1).fit(frame[:240], y[:240],
                                                                                        frame[240:], y[240:])
    assert model.num_idx_ == [0] and model.code_idx_ == [1] and model.binary_idx_ == [2]  # "flat" is dropped
    assert model.categories_ == [4 + 2]  # codes -1..4 shifted by one
    assert (model.predict(frame[240:]) == y[240:]).mean() > 0.8
    unseen = frame[240:].assign(**{"city__code": 99.0})  # an unseen code lands in a level the net knows
    assert np.isfinite(model.predict_proba(unseen)).all()


def test_without_a_validation_set_a_holdout_picks_the_epoch_and_regression_works() -> None:
    from sklearn.datasets import make_regression

    X, y = make_regression(400, 5, noise=5.0, random_state=0)
    model = make_learner("tabm", task="regression", n_classes=0, params=SMALL, n_jobs=1).fit(X, y)
    assert np.corrcoef(model.predict(X), y)[0, 1] > 0.9 and np.isfinite(model.best_loss_)


UNPICKLE = """
import pickle, sys
import numpy as np
model = pickle.load(open(sys.argv[1], "rb"))
X = np.load(sys.argv[2])
np.save(sys.argv[3], model.predict_proba(X))
print(sorted(m for m in sys.modules if m == "iml" or m.startswith("iml.")))
"""


def test_a_fitted_tabm_unpickles_in_a_fresh_process_without_iml(tmp_path: Path) -> None:
    """As in a run folder: the runtime copied as code/iml_runtime, fit and pickle here, predict there."""
    code = tmp_path / "code"
    shutil.copytree(Path(__file__).resolve().parents[2] / "src" / "iml" / "runtime", code / "iml_runtime")
    sys.path.insert(0, str(code))
    try:
        from iml_runtime.learners import make_learner as runtime_learner
    finally:
        sys.path.remove(str(code))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    model = runtime_learner("tabm", task="binary", n_classes=2, params={**SMALL, "max_epochs": 3}, n_jobs=1)
    model.fit(X, y)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(model))
    np.save(tmp_path / "X.npy", X)
    poison = tmp_path / "poison" / "iml"
    poison.mkdir(parents=True)
    (poison / "__init__.py").write_text("raise ImportError('the fitted learner imported iml')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join([str(poison.parent), str(code)])
    proc = subprocess.run([sys.executable, "-c", UNPICKLE, str(tmp_path / "model.pkl"), str(tmp_path / "X.npy"),
                           str(tmp_path / "out.npy")], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "[]"
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), model.predict_proba(X))


def test_the_guideline_gives_tables_to_tabm(binary_task: Path) -> None:
    from iml.perception.description import analyze_task
    from iml.perception.profiling import profile_task
    from iml.planning import guideline

    summary = analyze_task(binary_task)
    bp = guideline.plan(summary, profile_task(summary), 60, tracks=("traditional", "custom_nn"))
    networks = [c for c in bp.model.candidates if c.track == "custom_nn"]
    assert [c.learner for c in networks] == ["tabm"]
    assert any("TabM" in line for line in bp.rationale)

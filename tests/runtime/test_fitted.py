"""The fitted pipeline: predicts through its preprocessors and members, pickles, records versions."""

from __future__ import annotations

import pickle
import platform

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression, Ridge

from iml.runtime.fitted import FittedPipeline, Member, library_versions
from iml.runtime.objective import Objective
from iml.runtime.selection import fit_stacker
from iml.runtime.submission import SubmissionFormat


class Columns:
    """A preprocessor keeping some columns, centred (module level, so it pickles)."""

    def __init__(self, columns, scale=1.0):
        self.columns, self.scale = columns, scale

    def fit(self, frame, y=None):
        self.mean_ = frame[self.columns].mean()
        return self

    def transform(self, frame):
        return (frame[self.columns] - self.mean_) * self.scale


def frame(n=50, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(100, 100 + n), "a": rng.normal(size=n), "b": rng.normal(size=n),
                         "c": rng.normal(size=n)})


def target(f):
    return ((f["a"] + f["b"] - f["c"]) > 0).astype(int).to_numpy()


OBJ = Objective("auc", True, classes=["no", "yes"], positive_label="yes")
FMT = SubmissionFormat("probability", ["id", "yes_prob"], ["yes_prob"], id_column="id")


def build(stacked=False):
    train = frame()
    y = target(train)
    pre = {"ab": Columns(["a", "b"]).fit(train), "bc": Columns(["b", "c"], scale=2.0).fit(train)}
    halves = [np.arange(25), np.arange(25, 50)]
    members = [Member("traditional", "linear", "ab",
                      [LogisticRegression().fit(pre["ab"].transform(train.iloc[h]), y[h]) for h in halves]),
               Member("pretrained", "linear", "bc",
                      [LogisticRegression(C=0.1).fit(pre["bc"].transform(train.iloc[h]), y[h]) for h in halves])]
    stacker = None
    if stacked:
        parts = [np.mean([m.predict_proba(pre[mem.feature_set].transform(train)) for m in mem.models], axis=0)
                 for mem in members]
        stacker, _ = fit_stacker(parts, y, OBJ, seed=0)
    return FittedPipeline(OBJ, FMT, pre, members, stacker), pre, members


def expected_average(pre, members, new):
    parts = [np.mean([m.predict_proba(pre[mem.feature_set].transform(new)) for m in mem.models], axis=0)
             for mem in members]
    return np.mean(parts, axis=0)


def test_predicts_through_preprocessors_and_members():
    fitted, pre, members = build()
    new = frame(12, seed=5)
    pred = fitted.predict_matrix(new)
    assert pred.shape == (12, 2)
    np.testing.assert_allclose(pred, expected_average(pre, members, new))
    sub = fitted.predict_submission(new)
    assert list(sub.columns) == ["id", "yes_prob"]
    assert sub["id"].tolist() == list(range(100, 112))
    np.testing.assert_allclose(sub["yes_prob"], pred[:, 1])


def test_predict_submission_without_the_id_column():
    fitted, _, _ = build()
    sub = fitted.predict_submission(frame(4, seed=6).drop(columns="id"))
    assert list(sub.columns) == ["yes_prob"] and len(sub) == 4


def test_a_stacked_pipeline_uses_its_stacker():
    fitted, pre, members = build(stacked=True)
    new = frame(20, seed=7)
    pred = fitted.predict_matrix(new)
    assert pred.shape == (20, 2) and np.allclose(pred.sum(axis=1), 1.0)
    assert not np.allclose(pred, expected_average(pre, members, new))


@pytest.mark.parametrize("stacked", [False, True])
def test_pickles_with_the_same_predictions(stacked):
    fitted, _, _ = build(stacked)
    new = frame(15, seed=8)
    back = pickle.loads(pickle.dumps(fitted))
    assert type(back) is FittedPipeline and back.objective == fitted.objective
    np.testing.assert_array_equal(back.predict_matrix(new), fitted.predict_matrix(new))
    pd.testing.assert_frame_equal(back.predict_submission(new), fitted.predict_submission(new))
    assert back.versions == fitted.versions


def test_regression_pipeline_decodes_values():
    train = frame()
    y = np.log1p(np.exp(train["a"].to_numpy()))
    obj = Objective("rmse", False, target_transform="log1p", min_value=0.0)
    pre = {"standard": Columns(["a", "b"]).fit(train)}
    model = Ridge().fit(pre["standard"].transform(train), y)
    fitted = FittedPipeline(obj, SubmissionFormat("value", ["id", "y"], ["y"], "id"), pre,
                            [Member("traditional", "linear", "standard", [model])])
    new = frame(6, seed=9)
    sub = fitted.predict_submission(new)
    np.testing.assert_allclose(sub["y"], np.clip(np.expm1(model.predict(pre["standard"].transform(new))), 0, None))


def test_records_versions_including_python():
    versions = library_versions()
    assert versions["python"] == platform.python_version()
    assert versions["numpy"] == np.__version__ and versions["sklearn"] == sklearn.__version__
    assert versions["pandas"] == pd.__version__
    fitted, _, _ = build()
    assert fitted.versions["python"] == platform.python_version()
    assert fitted.version_differences() == {}


def test_version_differences_reports_what_changed():
    fitted, _, _ = build()
    fitted.versions = {**fitted.versions, "sklearn": "0.0.1", "python": "2.7.18", "no_such_package_xyz": "1.0"}
    diff = fitted.version_differences()
    assert diff == {"sklearn": ("0.0.1", sklearn.__version__), "python": ("2.7.18", platform.python_version()),
                    "no_such_package_xyz": ("1.0", None)}

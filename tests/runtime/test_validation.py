"""Cross-validation of one candidate: shapes checked, out-of-fold predictions, fold averages, deadlines."""

from __future__ import annotations

import time
import types

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression, Ridge

from iml.runtime.folds import make_folds
from iml.runtime.objective import Objective
from iml.runtime.validation import CVResult, cross_validate, fit_folds, predict_checked, refit_params

BINARY = Objective("logloss", False, classes=["no", "yes"])
REGRESSION = Objective("rmse", False)


class Model:
    """A task model in the contract's shape, recording every fit."""

    fits: list = []

    def __init__(self, learner, params=None, seed=0, time_limit=None):
        self.learner, self.params, self.seed, self.time_limit = learner, dict(params or {}), seed, time_limit

    def fit(self, X, y, X_valid=None, y_valid=None):
        Model.fits.append(self)
        self.n_train_, self.n_valid_ = len(X), 0 if X_valid is None else len(X_valid)
        if self.learner == "logistic":
            self.est_ = LogisticRegression(C=self.params.get("C", 1.0)).fit(X, y)
        else:
            self.est_ = Ridge(alpha=self.params.get("alpha", 1.0)).fit(X, y)
        return self

    def predict_proba(self, X):
        return self.est_.predict_proba(X)

    def predict(self, X):
        return self.est_.predict(X)


MODULE = types.SimpleNamespace(Model=Model)


@pytest.fixture(autouse=True)
def _fresh_fits():
    Model.fits = []


def data(n=60, seed=0, classification=True):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    signal = X["a"] - 0.5 * X["b"] + rng.normal(scale=0.5, size=n)
    y = (signal > 0).astype(int).to_numpy() if classification else signal.to_numpy()
    return X, y


class Fixed:
    def __init__(self, out):
        self.out = out

    def predict_proba(self, X):
        return self.out

    def predict(self, X):
        return self.out


# ---------------------------------------------------------------- predict_checked
def test_predict_checked_accepts_the_contract_shape():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    out = predict_checked(Fixed([[0.2, 0.8]] * 3), X, BINARY)
    assert out.shape == (3, 2) and out.dtype == float
    assert predict_checked(Fixed([1, 2, 3]), X, REGRESSION).tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("objective,out,shape", [
    (BINARY, np.full((3, 3), 1 / 3), (3, 3)),          # a column too many
    (BINARY, np.full((2, 2), 0.5), (2, 2)),             # rows missing
    (BINARY, np.full(3, 0.5), (3,)),                    # a vector, not a matrix
    (REGRESSION, np.zeros((3, 1)), (3, 1)),             # a column, not a vector
])
def test_predict_checked_refuses_other_shapes(objective, out, shape):
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"contract: .*Fixed\.predict.*" + str(shape).replace("(", r"\(").replace(")", r"\)")):
        predict_checked(Fixed(out), X, objective)


# ---------------------------------------------------------------- cross_validate
def run_cv(objective, learner, X, y, folds, others, **kw):
    now = time.time()
    kw.setdefault("deadline", now + 600)
    kw.setdefault("hard_deadline", now + 600)
    return cross_validate(MODULE, learner, {"C": 0.5, "alpha": 2.0}, X, y, folds, others, objective,
                          seed=10, **kw)


@pytest.mark.parametrize("classification", [True, False])
def test_cross_validate_fills_oof_scores_folds_and_averages_others(classification):
    objective = BINARY if classification else REGRESSION
    learner = "logistic" if classification else "ridge"
    X, y = data(60, classification=classification)
    X_test, _ = data(11, seed=1)
    X_hold, _ = data(7, seed=2)
    folds = make_folds(y, 3, 0, stratified=classification)
    cv = run_cv(objective, learner, X, y, folds, [X_test, X_hold])

    assert isinstance(cv, CVResult) and cv.complete and len(cv.models) == 3
    assert [m.seed for m in cv.models] == [10, 11, 12]
    assert all(m.params == {"C": 0.5, "alpha": 2.0} and m.time_limit >= 1.0 for m in cv.models)
    # each fold fits on most of its training rows and stops early on the rest, never on its scoring rows
    assert [m.n_train_ + m.n_valid_ for m in cv.models] == [len(t) for t, _ in folds]
    assert all(m.n_valid_ == round(0.15 * len(t)) for m, (t, _) in zip(cv.models, folds))
    out = (lambda m, F: m.predict_proba(F)) if classification else (lambda m, F: m.predict(F))
    assert cv.oof.shape == ((60, 2) if classification else (60,))
    filled = np.zeros(60, dtype=int)
    for k, (_, valid) in enumerate(folds):
        np.testing.assert_allclose(cv.oof[valid], out(cv.models[k], X.iloc[valid]))
        assert cv.fold_scores[k] == pytest.approx(objective.evaluate(y[valid], cv.oof[valid]))
        filled[valid] += 1
    assert filled.tolist() == [1] * 60  # every row predicted once, by the model that did not see it
    if classification:
        np.testing.assert_allclose(cv.oof.sum(axis=1), 1.0)
    for frame, averaged in zip([X_test, X_hold], cv.others):
        np.testing.assert_allclose(averaged, np.mean([out(m, frame) for m in cv.models], axis=0))
    assert cv.others[0].shape[0] == 11 and cv.others[1].shape[0] == 7


def test_early_stopping_never_sees_the_scoring_fold():
    seen = []

    class Recording(Model):
        def fit(self, X, y, X_valid=None, y_valid=None):
            seen.append((set(X.index), set(X_valid.index)))
            return super().fit(X, y, X_valid, y_valid)

    X, y = data(80)
    folds = make_folds(y, 4, 0, stratified=True)
    cross_validate(types.SimpleNamespace(Model=Recording), "logistic", {}, X, y, folds, [], BINARY,
                   time.time() + 600, time.time() + 600, 0)
    assert len(seen) == 4
    for (fit_rows, stop_rows), (train_idx, valid_idx) in zip(seen, folds):
        assert stop_rows and not stop_rows & set(valid_idx) and not fit_rows & set(valid_idx)
        assert fit_rows | stop_rows == set(train_idx) and not fit_rows & stop_rows


def test_a_learner_without_early_stopping_fits_every_training_row():
    X, y = data(60)
    folds = make_folds(y, 3, 0, stratified=True)
    cv = run_cv(BINARY, "logistic", X, y, folds, [], early_stopping=False)
    assert [m.n_train_ for m in cv.models] == [len(t) for t, _ in folds]


def test_fitted_models_are_reused_for_the_first_folds():
    X, y = data(60)
    folds = make_folds(y, 3, 0, stratified=True)
    probe = fit_folds(MODULE, "logistic", {"C": 0.5}, X, y, folds, [0], [], BINARY, time.time() + 60,
                      time.time() + 60, 10)
    Model.fits = []
    cv = run_cv(BINARY, "logistic", X, y, folds, [], done=probe)
    assert cv.models[0] is probe[0].model
    assert len(Model.fits) == 2 and [m.seed for m in Model.fits] == [11, 12]
    np.testing.assert_allclose(cv.oof[folds[0][1]], probe[0].model.predict_proba(X.iloc[folds[0][1]]))
    assert cv.others == []


def test_hard_deadline_near_raises_timeout_after_the_first_fold():
    X, y = data(60)
    folds = make_folds(y, 3, 0, stratified=True)
    with pytest.raises(TimeoutError, match="after fold 1 of 3"):
        run_cv(BINARY, "logistic", X, y, folds, [X], hard_deadline=time.time() - 1)
    assert len(Model.fits) == 1


def test_allow_partial_keeps_the_folds_done():
    X, y = data(60)
    X_test, _ = data(9, seed=3)
    folds = make_folds(y, 3, 0, stratified=True)
    cv = run_cv(BINARY, "logistic", X, y, folds, [X_test], hard_deadline=time.time() - 1, allow_partial=True)
    assert not cv.complete and cv.oof is None
    assert len(cv.models) == 1 and len(cv.fold_scores) == 1 and len(Model.fits) == 1
    # the folds done, averaged over themselves: the one model's own prediction, not a third of it
    np.testing.assert_allclose(cv.others[0], cv.models[0].predict_proba(X_test))
    np.testing.assert_allclose(cv.others[0].sum(axis=1), 1.0)


def test_the_candidate_deadline_limits_each_fit_not_the_folds():
    X, y = data(60)
    folds = make_folds(y, 3, 0, stratified=True)
    cv = run_cv(BINARY, "logistic", X, y, folds, [], deadline=time.time() - 100)  # the share is spent
    assert cv.complete and len(cv.models) == 3
    assert all(m.time_limit == 1.0 for m in cv.models)  # the floor of a fit's time limit


def test_a_single_fold_is_complete_without_a_deadline_check():
    X, y = data(40)
    folds = make_folds(y, 3, 0, stratified=True)[:1]
    cv = run_cv(BINARY, "logistic", X, y, folds, [X], hard_deadline=time.time() - 1)
    assert cv.complete and len(cv.models) == 1
    assert np.count_nonzero(cv.oof.sum(axis=1)) == len(folds[0][1])


def test_a_model_breaking_the_contract_fails_the_cv():
    class Wide(Model):
        def predict_proba(self, X):
            return np.full((len(X), 3), 1 / 3)

    X, y = data(30)
    with pytest.raises(ValueError, match="contract"):
        cross_validate(types.SimpleNamespace(Model=Wide), "logistic", {}, X, y, make_folds(y, 2, 0, True), [],
                       BINARY, time.time() + 600, time.time() + 600, 0)

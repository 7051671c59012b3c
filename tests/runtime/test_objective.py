"""Objective and Score: target coding, scoring, and which score is better in either direction."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from iml.runtime.objective import Objective, Score, TargetError

NAN = float("nan")


def binary(metric: str = "auc", greater: bool = True) -> Objective:
    return Objective(metric=metric, greater_is_better=greater, classes=["no", "yes"], positive_label="yes")


# ---------------------------------------------------------------- Score
def test_score_orders_by_direction():
    assert Score(0.9, True) > Score(0.8, True)
    assert Score(0.1, False) > Score(0.2, False)  # lower loss is the better score
    assert max([Score(0.3, False), Score(0.1, False), Score(0.2, False)]).value == 0.1
    assert max([Score(0.3, True), Score(0.1, True), Score(0.2, True)]).value == 0.3


@pytest.mark.parametrize("greater", [True, False])
def test_nan_score_is_the_worst(greater):
    nan, low, high = Score(NAN, greater), Score(-1e9, greater), Score(1e9, greater)
    assert nan < low and nan < high
    assert not (low < nan) and not (high < nan)
    assert max([nan, low, nan]) == low
    assert min([low, nan, high]) is nan
    assert not (nan < Score(NAN, greater))


def test_score_equality_and_hash_agree():
    assert Score(NAN) == Score(float("nan"))
    assert hash(Score(NAN)) == hash(Score(float("nan")))
    assert Score(0.5) == Score(0.5) and Score(0.5) != Score(0.6)
    # equal scores must hash alike, or a set/dict of scores loses or duplicates entries
    a, b = Score(0.5, True), Score(0.5, False)
    assert (a == b) <= (hash(a) == hash(b))
    assert len({Score(NAN), Score(float("nan")), Score(0.5), Score(0.5)}) == 2


def test_score_refuses_other_types():
    with pytest.raises(TypeError):
        _ = Score(0.5) < 0.4
    assert Score(0.5) != 0.5


# ---------------------------------------------------------------- targets
def test_encode_classes_in_contract_order():
    obj = Objective("accuracy", True, classes=["b", "a", "c"])
    assert obj.encode_target(pd.Series(["a", "b", "c", "a"])).tolist() == [1, 0, 2, 1]
    assert obj.classification and obj.n_classes == 3 and obj.direction == "maximize"


def test_encode_numeric_labels_as_strings():
    obj = Objective("accuracy", True, classes=["0", "1"])
    assert obj.encode_target(pd.Series([1, 0, 1])).tolist() == [1, 0, 1]


def test_integer_labels_read_as_floats_match_the_contract():
    # a missing target anywhere in the file makes pandas read 0/1 as 0.0/1.0; those rows are dropped later
    obj = Objective("auc", True, classes=["0", "1"], positive_label="1")
    assert obj.encode_target(pd.read_csv(io.StringIO("y,x\n1,a\n,b\n0,c\n1,d\n"))["y"].dropna()).tolist() == [1, 0, 1]
    with pytest.raises(TargetError, match="'0.5'"):
        obj.encode_target(pd.Series([0.0, 0.5]))


def test_unknown_class_raises_target_error():
    obj = Objective("accuracy", True, classes=["a", "b"])
    with pytest.raises(TargetError, match="'z'"):
        obj.encode_target(pd.Series(["a", "z", "b"]))
    assert issubclass(TargetError, ValueError)


def test_encode_regression_plain_and_log1p():
    plain = Objective("rmse", False)
    assert not plain.classification and plain.n_classes == 0 and plain.direction == "minimize"
    np.testing.assert_allclose(plain.encode_target(pd.Series(["1.5", "-2"])), [1.5, -2.0])
    logged = Objective("rmse", False, target_transform="log1p")
    np.testing.assert_allclose(logged.encode_target(pd.Series([0.0, math.e - 1, -3.0])), [0.0, 1.0, 0.0])


def test_decode_values_inverts_log1p_and_clips():
    obj = Objective("rmse", False, target_transform="log1p", min_value=0.5)
    y = np.array([0.0, 3.0, 10.0])
    np.testing.assert_allclose(obj.decode_values(obj.encode_target(pd.Series(y))), [0.5, 3.0, 10.0])
    plain = Objective("rmse", False, min_value=0.0)
    np.testing.assert_allclose(plain.decode_values([-1.0, 2.0]), [0.0, 2.0])


def test_labels_are_the_argmax_class():
    obj = Objective("accuracy", True, classes=["x", "y", "z"])
    pred = np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1], [0.2, 0.5, 0.3]])
    assert obj.labels(pred).tolist() == ["z", "x", "y"]


# ---------------------------------------------------------------- evaluate
def test_auc_uses_the_positive_class_column():
    y = np.array([0, 0, 1, 1])
    # only the positive class's column carries the signal: the other column is constant
    pred = np.array([[0.5, 0.1], [0.5, 0.4], [0.5, 0.7], [0.5, 0.8]])
    assert binary().evaluate(y, pred) == pytest.approx(1.0)
    assert binary().evaluate(1 - y, pred) == pytest.approx(0.0)
    flipped = Objective("auc", True, classes=["yes", "no"], positive_label="yes")  # "yes" is index 0 now
    assert flipped.evaluate(1 - y, pred[:, ::-1]) == pytest.approx(1.0)
    assert flipped.evaluate(1 - y, pred) == pytest.approx(0.5)


def test_logloss_of_probabilities():
    obj = Objective("logloss", False, classes=["a", "b", "c"])
    y = np.array([0, 1, 2])
    pred = np.full((3, 3), 1 / 3)
    assert obj.evaluate(y, pred) == pytest.approx(math.log(3))
    assert obj.evaluate(y, np.eye(3)) < 1e-6


def test_label_metric_scores_the_argmax():
    obj = Objective("accuracy", True, classes=["a", "b", "c"])
    y = np.array([0, 1, 2, 2])
    pred = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.5, 0.4, 0.1], [0.1, 0.1, 0.8]])
    assert obj.evaluate(y, pred) == pytest.approx(0.75)


def test_regression_scores_on_the_target_scale():
    obj = Objective("mae", False, target_transform="log1p")
    y = np.array([0.0, 9.0, 99.0])
    enc = obj.encode_target(pd.Series(y))
    assert obj.evaluate(enc, enc) == pytest.approx(0.0)
    # the error is measured after expm1: 0.1 off on the log scale of 99 is 100 * (e^0.1 - 1) off
    assert obj.evaluate(enc, enc + np.array([0, 0, 0.1])) == pytest.approx(100 * (math.exp(0.1) - 1) / 3, rel=1e-9)
    plain = Objective("rmse", False, min_value=0.0)
    assert plain.evaluate(np.array([0.0, 2.0]), np.array([-5.0, 2.0])) == pytest.approx(0.0)  # clipped to 0


# ---------------------------------------------------------------- better / best / ranked
@pytest.mark.parametrize("greater,best_value,order", [(True, 0.9, [0.9, 0.5, 0.1, NAN]),
                                                       (False, 0.1, [0.1, 0.5, 0.9, NAN])])
def test_best_and_ranked_follow_the_direction(greater, best_value, order):
    obj = Objective("m", greater)
    items = [{"v": 0.5}, {"v": NAN}, {"v": 0.9}, {"v": 0.1}]
    assert obj.best(items, lambda i: i["v"])["v"] == best_value
    ranked = [i["v"] for i in obj.ranked(items, lambda i: i["v"])]
    assert ranked[:3] == order[:3] and math.isnan(ranked[3])
    assert obj.better(best_value, 0.5) and not obj.better(0.5, best_value)
    assert not obj.better(0.5, 0.5)
    assert obj.better(0.5, NAN) and not obj.better(NAN, 0.5)


def test_best_and_ranked_keep_the_first_of_equals():
    obj = Objective("rmse", False)
    items = [("a", 1.0), ("b", 0.5), ("c", 0.5), ("d", 2.0)]
    assert obj.best(items, lambda i: i[1])[0] == "b"
    assert [i[0] for i in obj.ranked(items, lambda i: i[1])] == ["b", "c", "a", "d"]
    with pytest.raises(ValueError):
        obj.best([], lambda i: i)


def test_from_config():
    obj = Objective.from_config({"metric": "rmsle", "greater_is_better": False, "classes": None,
                                 "target_transform": "log1p", "min_value": 0.0})
    assert obj == Objective("rmsle", False, None, None, "log1p", 0.0)
    obj = Objective.from_config({"metric": "auc", "greater_is_better": True, "classes": ["0", "1"],
                                 "positive_label": "1"})
    assert obj.target_transform == "none" and obj.min_value is None and obj.positive_label == "1"

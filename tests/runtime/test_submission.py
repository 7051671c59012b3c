"""The submission table for every prediction kind, with and without an id column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iml.runtime.objective import Objective
from iml.runtime.submission import SubmissionFormat, format_submission

CLASSES = Objective("accuracy", True, classes=["cat", "dog", "eel"], positive_label=None)
PROBS = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]])


def test_label_submission():
    fmt = SubmissionFormat("label", ["id", "species"], ["species"], id_column="id")
    sub = format_submission(pd.Series([10, 11, 12], index=[5, 6, 7]), PROBS, CLASSES, fmt)
    assert list(sub.columns) == ["id", "species"]
    assert sub["id"].tolist() == [10, 11, 12]
    assert sub["species"].tolist() == ["cat", "eel", "dog"]


def test_probability_submission_takes_the_positive_class():
    obj = Objective("auc", True, classes=["yes", "no"], positive_label="yes")
    fmt = SubmissionFormat("probability", ["row_id", "left"], ["left"], id_column="row_id")
    sub = format_submission([1, 2], np.array([[0.9, 0.1], [0.25, 0.75]]), obj, fmt)
    assert list(sub.columns) == ["row_id", "left"]
    assert sub["left"].tolist() == [0.9, 0.25]


def test_class_probabilities_follow_the_format_not_the_class_order():
    # the sample submission orders its columns differently from the contract's classes
    fmt = SubmissionFormat("class_probabilities", ["Predicted_eel", "id", "Predicted_cat", "Predicted_dog"],
                           ["Predicted_eel", "Predicted_cat", "Predicted_dog"], id_column="id",
                           class_columns={"Predicted_cat": "cat", "Predicted_dog": "dog", "Predicted_eel": "eel"})
    sub = format_submission(np.array(["a", "b", "c"]), PROBS, CLASSES, fmt)
    assert list(sub.columns) == ["Predicted_eel", "id", "Predicted_cat", "Predicted_dog"]
    np.testing.assert_allclose(sub["Predicted_eel"], PROBS[:, 2])
    np.testing.assert_allclose(sub["Predicted_cat"], PROBS[:, 0])
    np.testing.assert_allclose(sub["Predicted_dog"], PROBS[:, 1])
    assert sub["id"].tolist() == ["a", "b", "c"]


def test_value_submission_decodes_log1p_and_clips():
    obj = Objective("rmsle", False, target_transform="log1p", min_value=1.0)
    fmt = SubmissionFormat("value", ["Id", "SalePrice"], ["SalePrice"], id_column="Id")
    pred = np.log1p(np.array([0.0, 99.0, 1234.5]))
    sub = format_submission([1, 2, 3], pred, obj, fmt)
    np.testing.assert_allclose(sub["SalePrice"], [1.0, 99.0, 1234.5])


def test_value_submission_without_a_transform():
    obj = Objective("rmse", False, min_value=0.0)
    fmt = SubmissionFormat("value", ["id", "y"], ["y"], id_column="id")
    sub = format_submission([7, 8], np.array([-2.0, 3.5]), obj, fmt)
    assert sub["y"].tolist() == [0.0, 3.5]


@pytest.mark.parametrize("ids", [None, [1, 2, 3]])
def test_id_column_absent(ids):
    """No id column in the format: only the predictions, whether or not ids are known."""
    fmt = SubmissionFormat("label", ["species"], ["species"], id_column=None)
    sub = format_submission(ids, PROBS, CLASSES, fmt)
    assert list(sub.columns) == ["species"] and len(sub) == 3


def test_ids_unknown_leave_the_id_column_out():
    fmt = SubmissionFormat("label", ["id", "species"], ["species"], id_column="id")
    sub = format_submission(None, PROBS, CLASSES, fmt)
    assert list(sub.columns) == ["species"]


def test_from_config():
    fmt = SubmissionFormat.from_config({"prediction": "class_probabilities", "submission_columns": ("id", "a", "b"),
                                        "prediction_columns": ("a", "b"), "id_column": "id",
                                        "class_columns": {"a": "x", "b": "y"}})
    assert fmt == SubmissionFormat("class_probabilities", ["id", "a", "b"], ["a", "b"], "id", {"a": "x", "b": "y"})
    fmt = SubmissionFormat.from_config({"prediction": "value", "submission_columns": ["y"],
                                        "prediction_columns": ["y"], "class_columns": None})
    assert fmt.id_column is None and fmt.class_columns == {}

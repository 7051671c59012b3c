"""The contract object checks real arrays; each violation names the field, what was expected and what came."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from iml.integration.verifier import check_features, check_predictions, check_submission
from iml.planning.blueprint import InterfaceContract, PredictionContract, SubmissionContract, TargetContract


def contract(classes: list[str] | None = ("a", "b", "c")) -> InterfaceContract:
    classes = list(classes) if classes else None
    return InterfaceContract(
        target=TargetContract(task_type="multiclass" if classes else "regression", classes=classes,
                              encoding="class_index" if classes else "float"),
        prediction=PredictionContract(proba_columns=len(classes) if classes else None,
                                      proba_rows_sum_to_one=bool(classes)),
        submission=SubmissionContract(columns=["id", "y"], id_column="id", n_rows=4))


def dump(folder: Path, train: np.ndarray, test: np.ndarray, rows=(5, 4), columns=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "features_standard_train.npy", train, allow_pickle=False)
    np.save(folder / "features_standard_test.npy", test, allow_pickle=False)
    names = columns or [f"f{i}" for i in range(train.shape[1])]
    (folder / "features.json").write_text(json.dumps({"standard": {
        "input_rows": {"train": rows[0], "test": rows[1]}, "columns_train": names, "columns_test": names,
        "container": "DataFrame"}}))
    return folder


def test_clean_features_pass(tmp_path: Path) -> None:
    folder = dump(tmp_path, np.ones((5, 3)), np.zeros((4, 3)))
    assert check_features(contract(), folder) == []


def test_missing_values_name_the_columns(tmp_path: Path) -> None:
    train = np.ones((5, 3))
    train[2, 1] = np.nan
    problems = check_features(contract(), dump(tmp_path, train, np.zeros((4, 3))))
    assert len(problems) == 1
    violation = problems[0]
    assert violation.field == "transform[standard](train).missing"
    assert violation.expected == "no missing values" and "f1" in violation.got
    assert violation.module == "code/preprocess.py"


def test_row_count_dtype_and_width(tmp_path: Path) -> None:
    problems = check_features(contract(), dump(tmp_path, np.ones((3, 3)), np.array([["x", "y"]] * 4)))
    fields = {p.field: p for p in problems}
    assert fields["transform[standard](train).rows"].expected.startswith("5")
    assert fields["transform[standard](train).rows"].got == "3"
    assert "numeric" in fields["transform[standard](test).dtype"].expected


def test_category_columns_pass_as_codes_and_nan_floats_still_fail(tmp_path: Path) -> None:
    """dump_features saves a category column as its codes, its categories in the index, for the checks."""
    from iml.runtime.loop import dump_features

    levels = ["a", "b", "__other__"]
    train = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0],
                          "c__cat": pd.Categorical(["a", "b", "a", "__other__", "b"], categories=levels)})
    test = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0],
                         "c__cat": pd.Categorical(["b", "__other__", None, "a"], categories=levels)})
    dump_features(tmp_path / "ok", "standard", train, test, 5, 4)
    saved = np.load(tmp_path / "ok" / "features_standard_test.npy")
    assert saved.dtype.kind == "f" and saved[:, 1].tolist() == [1, 2, -1, 0]
    index = json.loads((tmp_path / "ok" / "features.json").read_text())["standard"]
    assert index["categories_train"] == index["categories_test"] == {"c__cat": levels}
    assert check_features(contract(), tmp_path / "ok") == []

    gap = train.assign(x=[1.0, np.nan, 3.0, 4.0, 5.0])
    dump_features(tmp_path / "nan", "standard", gap, test, 5, 4)
    assert [p.field for p in check_features(contract(), tmp_path / "nan")] == ["transform[standard](train).missing"]

    shifted = test.assign(c__cat=pd.Categorical(["b", "a", "a", "a"], categories=["b", "a"]))
    dump_features(tmp_path / "shift", "standard", train, shifted, 5, 4)
    problems = check_features(contract(), tmp_path / "shift")
    assert [p.field for p in problems] == ["transform[standard].categories"] and "c__cat" in problems[0].got

    floats_only = contract()
    floats_only.features.allow_category = False
    assert [p.field for p in check_features(floats_only, tmp_path / "ok")] == [
        "transform[standard](train).dtype", "transform[standard](test).dtype"]


def test_probability_shape_and_sums() -> None:
    good = np.full((4, 3), 1 / 3)
    assert check_predictions(contract(), good, 4, "code/model_traditional.py") == []
    narrow = check_predictions(contract(), good[:, :2], 4, "code/model_traditional.py")
    assert narrow[0].field == "predict_proba.shape" and narrow[0].expected == "(rows, 3)"
    skewed = check_predictions(contract(), np.full((4, 3), 0.5), 4, "code/model_traditional.py")
    assert skewed[0].field == "predict_proba.values" and "1.5" not in skewed[0].expected
    short = check_predictions(contract(None), np.zeros(3), 4, "code/model_custom_nn.py")
    assert short[0].field == "predict.rows" and short[0].module == "code/model_custom_nn.py"


def test_submission_columns_rows_and_missing(tmp_path: Path) -> None:
    path = tmp_path / "sub.csv"
    pd.DataFrame({"id": [1, 2, 3], "pred": [0.1, None, 0.3]}).to_csv(path, index=False)
    fields = {p.field for p in check_submission(contract(), path, 4)}
    assert fields == {"submission.columns", "submission.rows", "submission.missing"}
    assert check_submission(contract(), tmp_path / "absent.csv", 4)[0].got == "no file"

"""The Python API on the bundled churn example: iml.fit on DataFrames, the Predictor's methods, iml.load in a
new process, and the training schema refusing bad rows (in Python and in `iml predict`), leaving no file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import iml
from iml.errors import DataError
from iml.predicting import predict as predict_file

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "churn" / "prepared" / "public"


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_csv(EXAMPLE / "train.csv"), pd.read_csv(EXAMPLE / "test.csv")


@pytest.fixture(scope="module")
def predictor(frames, tmp_path_factory: pytest.TempPathFactory) -> iml.Predictor:
    train, test = frames
    run_dir = tmp_path_factory.mktemp("api") / "run"
    return iml.fit(train, label="churned", test=test, time_budget=30, presets="fast", tracks="traditional",
                   run_dir=run_dir, quiet=True)


def test_dir_shows_the_api() -> None:
    assert {"fit", "load", "Predictor"} <= set(dir(iml))


def test_fit_on_dataframes_writes_a_run_and_a_submission(predictor: iml.Predictor, frames) -> None:
    _, test = frames
    run = predictor.run_dir
    for artifact in ("report.html", "pipeline.py", "code/preprocess.py", "model/pipeline.pkl", "data/train.csv"):
        assert (run / artifact).exists(), artifact
    assert predictor.summary.target == "churned" and predictor.summary.metric == "auc"  # the sample-less default
    assert predictor.blueprint.model.candidates
    submission = pd.read_csv(run / "submission.csv")
    assert list(submission["customer_id"]) == list(test["customer_id"])
    proba = predictor.predict_proba(test)
    assert list(proba.columns) == ["no", "yes"] and np.allclose(proba.sum(axis=1), 1.0)
    # in-process predictions are the saved pipeline's, the very numbers the run submitted
    assert np.allclose(proba["yes"].to_numpy(), submission["churned"].to_numpy(), atol=1e-9)
    labels = predictor.predict(test)
    assert labels.name == "churned" and set(labels) <= {"no", "yes"} and labels.index.equals(test.index)


def test_leaderboard_evaluate_and_feature_importance(predictor: iml.Predictor, frames) -> None:
    train, _ = frames
    board = predictor.leaderboard()
    assert {"track", "model", "status", "cv_score", "holdout"} <= set(board.columns)
    assert (board["status"] == "ok").any()
    scores = predictor.evaluate(train.sample(400, random_state=3))
    assert list(scores)[0] == "auc" and {"accuracy", "f1", "precision", "recall", "logloss"} <= set(scores)
    assert 0.5 < scores["auc"] <= 1.0 and 0 <= scores["balanced_accuracy"] <= 1
    importance = predictor.feature_importance()  # the run's holdout (2,000 rows keep one)
    assert list(importance.columns) == ["importance", "stddev", "n_shuffles"]
    assert "customer_id" not in importance.index and "contract" in importance.index
    assert importance["importance"].iloc[0] > 0.01  # some column matters; shuffling it costs AUC
    assert importance["importance"].is_monotonic_decreasing


def test_load_in_a_new_process_predicts_the_same(predictor: iml.Predictor, frames, tmp_path: Path) -> None:
    _, test = frames
    script = f"""
import json, warnings, iml, pandas as pd
warnings.simplefilter("error")  # same libraries: no version warning
p = iml.load({str(predictor.run_dir)!r})
proba = p.predict_proba(pd.read_csv({str(EXAMPLE / 'test.csv')!r}))
print(json.dumps({{"yes": proba["yes"].tolist(), "classes": p.classes}}))
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p.endswith("src"))}
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert loaded["classes"] == ["no", "yes"]
    assert np.allclose(loaded["yes"], predictor.predict_proba(test)["yes"].to_numpy(), atol=1e-12)


def test_a_loaded_predictor_warns_when_versions_differ(predictor: iml.Predictor, tmp_path: Path) -> None:
    import pickle
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(predictor.run_dir, copy, ignore=shutil.ignore_patterns("attempts", "oof", "data"))
    sys.path.insert(0, str(copy / "code"))
    try:
        with open(copy / "model" / "pipeline.pkl", "rb") as fh:
            fitted = pickle.load(fh)
        fitted.versions["lightgbm"] = "0.0.1"  # as if fitted with another lightgbm
        with open(copy / "model" / "pipeline.pkl", "wb") as fh:
            pickle.dump(fitted, fh)
    finally:
        sys.path.remove(str(copy / "code"))
        for name in [n for n in sys.modules if n.split(".")[0] in ("iml_runtime", "preprocess", "model_traditional")]:
            del sys.modules[name]
    with pytest.warns(UserWarning, match=r"lightgbm 0\.0\.1 \(installed: "):
        iml.load(copy)


BAD_INPUTS = {
    "missing_column": (lambda t: t.drop(columns=["contract"]), ["missing column 'contract'"]),
    "text_in_a_number_column": (
        lambda t: t.assign(monthly_charges=t["monthly_charges"].astype(object).where(t.index >= 4, "abc")),
        ["'monthly_charges'", "4 of 500 values are not numbers", "'abc'"]),
    "not_a_date": (lambda t: t.assign(signup_date=t["signup_date"].where(t.index >= 1, "someday")),
                   ["'signup_date'", "1 of 500 values are not dates", "'someday'"]),
    "empty_table": (lambda t: t.head(0), ["no rows"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_predict_refuses_rows_that_do_not_fit(case: str, predictor: iml.Predictor, frames, tmp_path: Path) -> None:
    _, test = frames
    broken, needles = BAD_INPUTS[case]
    bad = broken(test)
    with pytest.raises(DataError) as err:
        predictor.predict(bad)
    assert all(n in err.value.message for n in needles), err.value.message

    # `iml predict` refuses the same file the same way and writes nothing (through the CLI once: it costs a process)
    path, out = tmp_path / "bad.csv", tmp_path / "predictions.csv"
    bad.to_csv(path, index=False)
    if case == "missing_column":
        proc = subprocess.run([sys.executable, "-m", "iml.cli", "predict", str(predictor.run_dir), str(path),
                               "--out", str(out)], capture_output=True, text=True, timeout=120)
        assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
        message = " ".join(proc.stderr.split())
    else:
        with pytest.raises(DataError) as err:
            predict_file(predictor.run_dir, path, out)
        message = err.value.message
    needles = ["no data rows"] if case == "empty_table" else needles  # a header-only file, read as a file
    assert all(n in message for n in needles), message
    assert not out.exists() and list(tmp_path.iterdir()) == [path]


def test_extra_columns_are_ignored_and_said_once(predictor: iml.Predictor, frames) -> None:
    _, test = frames
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        labels = predictor.predict(test.assign(note="x", score=1.0))
    said = [str(w.message) for w in caught if "ignored" in str(w.message)]
    assert len(said) == 1 and "'note'" in said[0] and "'score'" in said[0]
    assert labels.equals(predictor.predict(test))


def test_cli_output_choices_and_no_overwrite(predictor: iml.Predictor, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    predict_file(predictor.run_dir, EXAMPLE / "test.csv", labels, output="labels")
    table = pd.read_csv(labels)
    assert list(table.columns) == ["customer_id", "churned"] and set(table["churned"]) <= {"no", "yes"}
    before = labels.read_bytes()
    again = subprocess.run([sys.executable, "-m", "iml.cli", "predict", str(predictor.run_dir),
                            str(EXAMPLE / "test.csv"), "--out", str(labels), "--output", "probabilities"],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode != 0 and "already exists" in again.stderr and "--force" in again.stderr
    assert labels.read_bytes() == before
    predict_file(predictor.run_dir, EXAMPLE / "test.csv", labels, output="probabilities", force=True)
    proba = pd.read_csv(labels)
    assert list(proba.columns) == ["customer_id", "no", "yes"] and np.allclose(proba[["no", "yes"]].sum(axis=1), 1)

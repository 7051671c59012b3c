"""One table is enough: `iml run train.csv --target y` and `iml.fit(df, label=...)` train, validate and
write the model, report and code, and no submission; facts the user gives are recorded as the user's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import iml
from conftest import make_binary_task  # tests/ is on sys.path; a package named "tests" may shadow it


@pytest.fixture(scope="module")
def task(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_binary_task(tmp_path_factory.mktemp("one") / "public", n_train=500, n_test=100)


@pytest.fixture(scope="module")
def cli_run(task: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    run = tmp_path_factory.mktemp("cli") / "run"
    # the test table beside the file is not used: the file alone is the task
    proc = subprocess.run([sys.executable, "-m", "iml.cli", "run", str(task / "train.csv"), "--target", "left",
                           "--metric", "balanced_accuracy", "--problem-type", "binary", "--id", "row_id",
                           "--time-budget", "20", "--presets", "fast", "--tracks", "traditional",
                           "--run-dir", str(run)], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return run, proc


def test_cli_one_table_run_writes_model_report_code_and_no_submission(cli_run, task: Path) -> None:
    run, proc = cli_run
    for artifact in ("model/pipeline.pkl", "report.html", "pipeline.py", "code/preprocess.py", "leaderboard.csv"):
        assert (run / artifact).exists(), artifact
    assert not (run / "submission.csv").exists()
    assert "no submission" in proc.stdout
    assert sorted(p.name for p in (run / "data").iterdir()) == ["train.csv"]  # only the table it was given
    summary = json.loads((run / "task_summary.json").read_text())
    assert summary["test_file"] is None and summary["metric"] == "balanced_accuracy"
    sources = {e["fact"]: e["source"] for e in summary["evidence"]}
    assert sources["target_columns"] == sources["metric"] == sources["task_type"] == sources["id_column"] == "user"
    assert json.loads((run / "state.json").read_text())["status"] == "succeeded"
    predictor = iml.load(run)
    test = pd.read_csv(task / "test.csv")
    assert predictor.predict(test).isin(["yes", "no"]).all()
    assert set(predictor.evaluate(pd.read_csv(task / "train.csv"))) >= {"balanced_accuracy", "auc", "f1"}


def test_fit_on_a_dataframe_without_a_test_table(task: Path, tmp_path: Path) -> None:
    train = pd.read_csv(task / "train.csv").drop(columns=["row_id"])
    predictor = iml.fit(train, label="left", time_budget=15, presets="fast", tracks="traditional",
                        metric="f1", run_dir=tmp_path / "run", quiet=True)
    assert not (predictor.run_dir / "submission.csv").exists()
    assert predictor.summary.metric == "f1" and predictor.summary.positive_label == "yes"
    with pytest.warns(UserWarning, match="ignored column the training table did not have: 'row_id'"):
        proba = predictor.predict_proba(pd.read_csv(task / "test.csv"))
    assert list(proba.columns) == ["no", "yes"] and len(proba) == 100
    assert predictor.leaderboard()["status"].eq("ok").any()


def test_a_metric_that_does_not_fit_the_task_is_refused(task: Path, tmp_path: Path) -> None:
    with pytest.raises(iml.api.IMLError, match="r2 scores regression"):
        iml.fit(pd.read_csv(task / "train.csv"), label="left", metric="r2", run_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()  # refused before any run folder exists

"""MLflow tracking (`iml run --mlflow URI`): one real run logged to a real local store, searched, its pyfunc
model loaded in a fresh process that has neither iml nor the run folder, and its predictions compared
with the run's own submission."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import make_binary_task

mlflow = pytest.importorskip("mlflow", reason="the mlflow extra is not installed: pip install -e '.[mlflow]'")


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("tracking")
    data = make_binary_task(base / "data")
    # The file store is in maintenance mode in MLflow 3 (it refuses to start): the local store is SQLite.
    uri = f"sqlite:///{base / 'mlflow.db'}"
    proc = subprocess.run([sys.executable, "-m", "iml.cli", "run", str(data), "--run-dir", str(base / "run"),
                           "--time-budget", "20", "--tracks", "traditional", "--presets", "fast", "--mlflow", uri],
                          cwd=base, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return {"base": base, "data": data, "run": base / "run", "uri": uri, "stdout": proc.stdout}


@pytest.fixture(scope="module")
def client(logged: dict):
    return mlflow.MlflowClient(tracking_uri=logged["uri"])


def test_the_run_is_found_with_its_options_task_and_candidate_metrics(logged: dict, client) -> None:
    run_dir = logged["run"]
    mlflow.set_tracking_uri(logged["uri"])
    found = mlflow.search_runs(experiment_names=["iml"], filter_string=f"tags.`iml.run_dir` = '{run_dir}'")
    assert len(found) == 1, found
    row = found.iloc[0]
    assert row["status"] == "FINISHED"
    assert row["params.option.time_budget"] == "20.0"
    assert row["params.option.tracks"] == "traditional"
    assert row["params.task.metric"] == "auc" and row["params.task.target"] == "left"

    report = json.loads((run_dir / "pipeline_report.json").read_text())
    assert row["metrics.cv_score"] == pytest.approx(report["selection"]["cv_score"])
    board = pd.read_csv(run_dir / "leaderboard.csv")
    ok = board[board["status"] == "ok"]
    assert len(ok) >= 1
    for candidate in ok.itertuples():
        assert row[f"metrics.cv.{candidate.track}.{candidate.model}"] == pytest.approx(candidate.cv_score)

    logged_event = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()
                    if '"mlflow_logged"' in line]
    assert [e["run_id"] for e in logged_event] == [row["run_id"]]
    assert f"MLflow run: {row['run_id']}" in logged["stdout"]


def test_the_artifacts_hold_the_report_leaderboard_and_code(logged: dict, client) -> None:
    run_id = _run_id(logged)
    top = {a.path for a in client.list_artifacts(run_id)}
    assert {"leaderboard.csv", "report.html", "task_summary.json", "blueprint.json", "pipeline.py", "code"} <= top
    code = {a.path for a in client.list_artifacts(run_id, "code")}
    assert {"code/preprocess.py", "code/model_traditional.py", "code/iml_runtime"} <= code
    local = Path(client.download_artifacts(run_id, "leaderboard.csv", str(logged["base"] / "downloaded")))
    assert local.read_text() == (logged["run"] / "leaderboard.csv").read_text()


def test_the_pyfunc_model_predicts_what_the_run_submitted_in_a_fresh_process(logged: dict, tmp_path: Path) -> None:
    run_id = _run_id(logged)
    script = (
        "import sys, mlflow, pandas as pd\n"
        f"mlflow.set_tracking_uri({logged['uri']!r})\n"
        f"model = mlflow.pyfunc.load_model('runs:/{run_id}/model')\n"
        f"out = model.predict(pd.read_csv({str(logged['data'] / 'test.csv')!r}))\n"
        "out.to_csv(sys.argv[1], index=False)\n"
        "print('iml loaded:', any(m == 'iml' or m.startswith('iml.') for m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # neither iml's source nor the run's code
    predicted = tmp_path / "predicted.csv"
    proc = subprocess.run([sys.executable, "-c", script, str(predicted)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "iml loaded: False" in proc.stdout
    ours = pd.read_csv(predicted)
    submitted = pd.read_csv(logged["run"] / "submission.csv")
    assert list(ours.columns) == ["left"]
    assert len(ours) == len(submitted) == 200
    np.testing.assert_allclose(ours["left"].to_numpy(), submitted["left"].to_numpy(), rtol=1e-6, atol=1e-9)


def _run_id(logged: dict) -> str:
    return next(json.loads(line)["run_id"] for line in (logged["run"] / "events.jsonl").read_text().splitlines()
                if '"mlflow_logged"' in line)


@pytest.mark.parametrize("argv, expected", [
    (["run", "d", "--mlflow"], ["run", "d", "--mlflow="]),
    (["run", "d", "--mlflow", "--seed", "1"], ["run", "d", "--mlflow=", "--seed", "1"]),
    (["run", "d", "--mlflow", "sqlite:///m.db"], ["run", "d", "--mlflow", "sqlite:///m.db"]),
])
def test_mlflow_without_a_uri_means_mlflows_default(argv: list[str], expected: list[str]) -> None:
    from iml.cli import optional_values

    assert optional_values(argv) == expected

"""`iml run --executor ray`: the full run's fits as Ray tasks on a local Ray the pipeline starts, end to end."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from iml.errors import IMLError
from iml.settings import run_options
from test_runs import iml, make_task, ok

needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                               reason="the ray extra is not installed (pip install 'iml-automl[ray]')")


def pipeline_events(attempt: Path) -> list[dict]:
    return [json.loads(line) for line in (attempt / "pipeline_events.jsonl").read_text().splitlines() if line.strip()]


@pytest.mark.slow
@needs_ray
def test_a_run_on_ray_fits_its_candidates_as_ray_tasks_and_submits(tmp_path: Path) -> None:
    data = make_task(tmp_path / "task")
    run = tmp_path / "run"
    ok(iml("run", data, "--time-budget", 40, "--presets", "fast", "--executor", "ray", "--run-dir", run,
           cwd=tmp_path, timeout=200))
    (full,) = sorted(run.glob("attempts/*-full"))
    (verify,) = sorted(run.glob("attempts/*-verify"))
    started = [e for e in pipeline_events(full) if e["event"] == "executor_started"]
    assert started and started[0]["executor"] == "ray" and started[0]["workers"] >= 1, started
    assert started[0]["address"] == "local" and not started[0]["error"]
    # The sample run stays on the local workers: a Ray start would cost the verification seconds.
    assert not [e for e in pipeline_events(verify) if e["event"] == "executor_started"]
    board = pd.read_csv(run / "leaderboard.csv")
    assert (board["status"] == "ok").any(), board
    sub = pd.read_csv(run / "submission.csv")
    assert len(sub) == 100 and sub["churned"].between(0, 1).all()
    assert json.loads((run / "state.json").read_text())["options"]["executor"] == "ray"


def test_the_ray_executor_without_ray_installed_is_refused_with_the_install_command(monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    with pytest.raises(IMLError, match=r"executor.*needs Ray.*pip install 'iml-automl\[ray\]'"):
        run_options({"data_dir": ".", "executor": "ray"}, hint="see `iml run --help`")
    assert run_options({"data_dir": ".", "executor": "local"}, hint="").executor == "local"

"""Whole runs through the real CLI: artifacts, fresh folders, predict, standalone pipeline, resume, kill."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

RUN_ARTIFACTS = [
    "task_summary.json", "profile.json", "blueprint.json", "blueprint.md", "code/preprocess.py",
    "code/model_traditional.py", "pipeline.py", "model/pipeline.pkl", "submission.csv", "leaderboard.csv",
    "report.html", "events.jsonl", "state.json",
]


def make_task(folder: Path, n_train: int = 300, n_test: int = 100, seed: int = 0) -> Path:
    """Binary churn task: numeric + categorical columns, some missing values, AUC in the description."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    frame = pd.DataFrame({
        "customer_id": np.arange(1000, 1000 + n),
        "age": rng.integers(18, 80, n),
        "income": rng.normal(50, 15, n).round(2),
        "score": rng.random(n).round(4),
        "plan": rng.choice(["basic", "pro", "max"], n),
        "region": rng.choice(["north", "south", "east", "west"], n),
    })
    frame.loc[rng.random(n) < 0.05, "income"] = np.nan
    logit = 0.05 * (frame["age"] - 50) + 3 * (frame["score"] - 0.5) + (frame["plan"] == "max") * 1.0
    frame["churned"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    train, test = frame.iloc[:n_train], frame.iloc[n_train:]
    train.to_csv(folder / "train.csv", index=False)
    test.drop(columns="churned").to_csv(folder / "test.csv", index=False)
    pd.DataFrame({"customer_id": test["customer_id"], "churned": 0.5}).to_csv(
        folder / "sample_submission.csv", index=False)
    (folder / "description.md").write_text(
        "# Customer churn\n\nPredict whether a customer churned (`churned`, yes/no).\n\n"
        "## Evaluation\n\nSubmissions are evaluated on area under the ROC curve (AUC) between the predicted "
        "probability that `churned` is yes and the observed target.\n\n"
        "## Submission\n\nFor each `customer_id` in the test set, predict a probability for `churned`.\n")
    return folder


def iml(*args, cwd: Path, timeout: float = 150) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "iml.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def state(run: Path) -> dict:
    return json.loads((run / "state.json").read_text())


def events(run: Path) -> list[str]:
    return [json.loads(line)["event"] for line in (run / "events.jsonl").read_text().splitlines() if line.strip()]


def assert_finished(run: Path, data: Path) -> None:
    for name in RUN_ARTIFACTS:
        assert (run / name).is_file(), f"{name} missing in {sorted(str(p.relative_to(run)) for p in run.rglob('*'))}"
    st = state(run)
    assert st["status"] == "succeeded" and st["phase_done"] == "done", st
    sample = pd.read_csv(data / "sample_submission.csv")
    sub = pd.read_csv(run / "submission.csv")
    assert list(sub.columns) == list(sample.columns)
    assert len(sub) == len(sample)
    assert sorted(sub["customer_id"]) == sorted(sample["customer_id"])
    assert sub["churned"].notna().all()
    assert sub["churned"].between(0, 1).all()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_task(tmp_path_factory.mktemp("task") / "public")


@pytest.fixture(scope="module")
def finished_run(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("finished")
    proc = ok(iml("run", data, "--time-budget", 20, "--run-dir", base / "run", cwd=base))
    assert "done" in proc.stdout and "validation auc" in proc.stdout
    return base / "run"


# ---------------------------------------------------------------------------- one full run
def test_run_writes_every_artifact(finished_run: Path, data: Path) -> None:
    assert_finished(finished_run, data)
    summary = json.loads((finished_run / "task_summary.json").read_text())
    assert summary["target_columns"] == ["churned"]
    assert summary["metric"] == "auc"
    board = pd.read_csv(finished_run / "leaderboard.csv")
    assert {"track", "model", "status", "cv_score"} <= set(board.columns)
    good = board[board["status"] == "ok"]
    assert len(good) >= 1
    assert good["cv_score"].between(0.55, 1.0).all(), board  # the signal is learnable
    assert (finished_run / "code" / "preprocess.py").read_text().count("class Preprocessor") == 1
    assert "auc" in (finished_run / "report.html").read_text().lower()
    kinds = events(finished_run)
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert kinds.count("phase_done") == 7
    assert any((finished_run / "attempts").iterdir())
    # the host's floor is the first submission, written beside the sample run, before any model's
    records = [json.loads(line) for line in (finished_run / "events.jsonl").read_text().splitlines()]
    floor = next(r for r in records if r["event"] == "floor_saved")
    first = next(r for r in records if r["event"] == "first_submission")
    model = next(r for r in records if r["event"] == "first_model_submission")
    assert floor["source"] == "host" and first["seconds"] == floor["seconds"] < model["seconds"]


def test_generated_code_does_not_import_iml(finished_run: Path) -> None:
    # iml_runtime, the engine copied into code/, is the run's own; iml itself must not be needed.
    imports_iml = re.compile(r"^\s*(import|from)\s+iml\b", re.MULTILINE)
    runtime = sorted((finished_run / "code" / "iml_runtime").rglob("*.py"))
    assert runtime, "the runtime was not copied"
    for path in [finished_run / "pipeline.py", *sorted((finished_run / "code").glob("*.py")), *runtime]:
        assert not imports_iml.search(path.read_text()), path


def test_predict_gives_one_row_per_input_row(finished_run: Path, data: Path, tmp_path: Path) -> None:
    test = pd.read_csv(data / "test.csv")
    proc = ok(iml("predict", finished_run, data / "test.csv", "--out", tmp_path / "p.csv", cwd=tmp_path))
    assert "p.csv" in proc.stdout
    pred = pd.read_csv(tmp_path / "p.csv")
    sub = pd.read_csv(finished_run / "submission.csv")
    assert list(pred.columns) == list(sub.columns)
    assert list(pred["customer_id"]) == list(test["customer_id"])
    # The fitted pipeline reproduces the run's own submission.
    merged = pred.merge(sub, on="customer_id", suffixes=("_p", "_s"))
    np.testing.assert_allclose(merged["churned_p"], merged["churned_s"], atol=1e-9)

    # New rows, in a different order and number: still one prediction each.
    few = test.sample(7, random_state=3)
    few.to_csv(tmp_path / "few.csv", index=False)
    ok(iml("predict", finished_run, tmp_path / "few.csv", "--out", tmp_path / "few_pred.csv", cwd=tmp_path))
    few_pred = pd.read_csv(tmp_path / "few_pred.csv")
    assert list(few_pred["customer_id"]) == list(few["customer_id"])
    assert few_pred["churned"].between(0, 1).all()


def test_pipeline_runs_standalone_without_iml(finished_run: Path, data: Path, tmp_path: Path) -> None:
    # A poisoned `iml` package shadows the installed one: importing it fails loudly.
    poison = tmp_path / "poison" / "iml"
    poison.mkdir(parents=True)
    (poison / "__init__.py").write_text("raise ImportError('the standalone pipeline imported iml')\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(poison.parent)
    before = hashes(finished_run)
    proc = subprocess.run([sys.executable, str(finished_run / "pipeline.py"), "--data", str(data),
                           "--out", "sub.csv", "--time-budget", "8"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "imported iml" not in proc.stderr
    sub = pd.read_csv(elsewhere / "sub.csv")
    sample = pd.read_csv(data / "sample_submission.csv")
    assert list(sub.columns) == list(sample.columns)
    assert sorted(sub["customer_id"]) == sorted(sample["customer_id"])
    assert sub["churned"].between(0, 1).all()
    assert hashes(finished_run) == before  # the standalone run leaves the run folder alone


SMOKE_COUNTS = """
import json, pickle, sys
sys.path.insert(0, sys.argv[1])
with open(sys.argv[2], "rb") as fh:
    fitted = pickle.load(fh)
from iml_runtime.spaces import SMOKE
print(json.dumps({"smoke": SMOKE, "members": {m.learner: [model.estimator_.n_iterations_ for model in m.models]
                                              for m in fitted.members}}))
"""


def test_the_sample_run_fits_each_candidate_once_with_the_smoke_settings(finished_run: Path) -> None:
    attempt = sorted((finished_run / "attempts").glob("*-verify"))[0]
    lines = [json.loads(line) for line in (attempt / "pipeline_events.jsonl").read_text().splitlines()]
    assert lines[0]["mode"] == "sample"
    started = [e["learner"] for e in lines if e["event"] == "candidate_started"]
    finished = [e for e in lines if e["event"] == "candidate_finished"]
    assert len(started) == len(set(started)) >= 3 and {e["learner"] for e in finished} == set(started)
    assert all(e["folds"] == 1 and e["trials"] == 0 for e in finished), [(e["learner"], e["folds"], e["trials"], e["seconds"]) for e in finished]  # one fit, no tuning
    # Each fit had spaces.SMOKE's settings, and the saved pipeline's models ran no more rounds or epochs.
    proc = subprocess.run([sys.executable, "-c", SMOKE_COUNTS, str(finished_run / "code"),
                           str(attempt / "model" / "pipeline.pkl")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    counts = json.loads(proc.stdout)
    for e in finished:
        assert counts["smoke"].get(e["learner"], {}).items() <= e["params"].items(), e
    limits = {"lightgbm": "num_boost_round", "xgboost": "n_estimators", "catboost": "iterations", "mlp": "max_epochs"}
    for learner, iterations in counts["members"].items():
        assert len(iterations) == 1, (learner, iterations)
        if learner in limits:
            assert iterations[0] <= counts["smoke"][learner][limits[learner]], (learner, iterations)


# ---------------------------------------------------------------------------- fresh folders
def test_default_runs_root_never_reuses_a_folder(data: Path, tmp_path: Path) -> None:
    ok(iml("run", data, "--time-budget", 10, "--quiet", cwd=tmp_path))
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 1
    first = runs[0]
    assert state(first)["status"] == "succeeded"
    first_hashes = hashes(first)
    assert "submission.csv" in first_hashes

    ok(iml("run", data, "--time-budget", 10, "--quiet", cwd=tmp_path))
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2
    second = next(r for r in runs if r != first)
    assert state(second)["status"] == "succeeded"
    assert (second / "submission.csv").is_file()
    assert hashes(first) == first_hashes


# ---------------------------------------------------------------------------- resume
def test_resume_restores_a_rolled_back_run(finished_run: Path, data: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    st = state(run)
    st["phase_done"], st["status"] = "code", "running"
    (run / "state.json").write_text(json.dumps(st))
    for name in ("submission.csv", "leaderboard.csv", "report.html"):
        (run / name).unlink()
    shutil.rmtree(run / "model")

    # Without a model there is nothing to predict with; the hint says how to finish.
    proc = iml("predict", run, data / "test.csv", "--out", tmp_path / "p.csv", cwd=tmp_path)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "iml resume" in " ".join(proc.stderr.split())

    ok(iml("resume", run, "--time-budget", 12, cwd=tmp_path))
    assert_finished(run, data)
    kinds = events(run)
    assert "run_resumed" in kinds
    resumed = kinds[kinds.index("run_resumed"):]
    assert resumed.count("phase_done") == 4  # verify, train, select, report: perceive..code were kept


def _pipeline_children(run: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            cmd = " ".join(proc.info["cmdline"] or [])
            if str(run / "pipeline.py") in cmd and proc.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.Error:
            continue
    return found


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_run_can_be_resumed(data: Path, tmp_path: Path, sig: int) -> None:
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "iml.cli", "run", str(data), "--time-budget", "20",
                             "--run-dir", str(run)], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        # Kill once the verification run of the generated code is under way.
        while time.monotonic() < deadline:
            if (run / "state.json").exists() and _pipeline_children(run):
                try:
                    if state(run)["phase_done"] == "code":
                        break
                except (json.JSONDecodeError, KeyError):
                    pass
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("the run never reached verification")
        proc.send_signal(sig)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0

    # No generated code keeps running after iml is gone.
    deadline = time.monotonic() + 5
    while _pipeline_children(run) and time.monotonic() < deadline:
        time.sleep(0.1)
    orphans = _pipeline_children(run)
    for orphan in orphans:
        orphan.kill()
    assert not orphans, "the sandboxed pipeline outlived the killed iml process"

    st = state(run)  # still valid JSON: state.json is replaced atomically
    assert st["phase_done"] == "code"
    assert st["status"] == "running"
    if (run / "submission.csv").exists():  # the host's early floor, written beside the sample run
        floor = pd.read_csv(run / "submission.csv")
        sample = pd.read_csv(data / "sample_submission.csv")
        assert sorted(floor["customer_id"]) == sorted(sample["customer_id"])
        assert floor["churned"].nunique() == 1 and floor["churned"].between(0, 1).all(), "not the class prior"

    ok(iml("resume", run, "--time-budget", 12, cwd=tmp_path))
    assert_finished(run, data)
    assert "run_resumed" in events(run)

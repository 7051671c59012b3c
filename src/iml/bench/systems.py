"""The systems a bench compares: iml itself and the baselines a user would pick instead.

Each system becomes one command the harness runs and measures. iml runs as the
user runs it (`iml run` on a copy of prepared/public). A baseline runs as a small
runner script under the Python that has it installed (its own virtual environment,
since AutoGluon and FLAML pin versions iml does not), and is told what its user
would tell it: the label, the id column, the task type and the metric.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from iml.runtime import metrics as M
from iml.bench.cells import STRIPPED_SENTENCE
from iml.errors import IMLError
from iml.grading import TaskFacts

SYSTEMS = ("iml", "autogluon", "flaml", "floor")
RUNNERS = Path(__file__).parent / "runners"
# What each baseline imports; the floor needs only pandas.
_MODULES = {"autogluon": "autogluon.tabular", "flaml": "flaml.automl", "floor": "pandas"}
_EXTRAS = {"autogluon": "autogluon.tabular", "flaml": "flaml[automl]", "floor": "pandas"}


def parse_systems(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in SYSTEMS]
    if unknown or not names:
        raise IMLError(f"Unknown system(s) {', '.join(unknown) or '(none)'} in --systems.",
                       hint=f"choose from {', '.join(SYSTEMS)}, comma-separated")
    return names


def parse_pythons(pairs: list[str]) -> dict[str, str]:
    """`--system-python autogluon=/venvs/ag/bin/python` (repeatable)."""
    found = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or name not in _MODULES:
            raise IMLError(f"--system-python {pair!r} is not NAME=PYTHON for a baseline.",
                           hint=f"e.g. --system-python autogluon=/path/to/venv/bin/python ({', '.join(_MODULES)})")
        found[name] = path
    return found


def python_for(system: str, overrides: dict[str, str]) -> str:
    return overrides.get(system) or os.environ.get(f"IML_BENCH_PYTHON_{system.upper()}") or sys.executable


def check_installed(system: str, python: str) -> None:
    """Fail before any cell runs, rather than after hours of other cells."""
    if system == "iml":
        return
    probe = subprocess.run([python, "-c", f"import {_MODULES[system]}"], capture_output=True, text=True)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise IMLError(f"{system} is not importable by {python}: {last}",
                       hint=f"install it into a virtual environment of its own (`python -m venv ag && "
                            f"ag/bin/pip install '{_EXTRAS[system]}' pyyaml`) and pass "
                            f"--system-python {system}=ag/bin/python")


def task_type(facts: TaskFacts) -> str:
    if facts.task_type:
        return facts.task_type
    if M.family(facts.metric) in M.REGRESSION_METRICS:
        return "regression"
    return "binary" if facts.classes and len(facts.classes) == 2 else "multiclass"


def unsupported(system: str, facts: TaskFacts) -> str | None:
    """Why a baseline cannot take this task at all (it then scores P_norm 0, as in the paper)."""
    if system == "iml":
        return None
    # The floor predicts from the training labels alone, so media does not stop it.
    if system != "floor" and (facts.media or facts.modality in ("image", "audio")):
        return f"{system} reads tables only: this task's inputs are {facts.modality} files"
    if len(facts.target_columns) > 1 and facts.metric != "logloss":
        return f"{system} fits one target; this task has {len(facts.target_columns)}"
    return None


def baseline_command(system: str, python: str, facts: TaskFacts, public: Path, cell_dir: Path,
                     time_budget: float, seed: int = 0) -> list[str]:
    spec = {
        "train_csv": str(public / "train.csv"), "test_csv": str(public / "test.csv"),
        "sample_submission": str(public / "sample_submission.csv"),
        "submission": str(cell_dir / "submission.csv"), "workdir": str(cell_dir),
        "label": facts.answer_column, "id_column": facts.id_column, "task_type": task_type(facts),
        "metric": facts.metric, "target_columns": facts.target_columns, "positive_label": facts.positive_label,
        "classes": facts.classes, "time_budget": time_budget, "seed": seed, "threads": os.cpu_count() or 1,
    }
    cell_dir.mkdir(parents=True, exist_ok=True)
    (cell_dir / "spec.json").write_text(json.dumps(spec, indent=2))
    return [python, str(RUNNERS / f"run_{system}.py"), str(cell_dir / "spec.json")]


def iml_command(public: Path, run_dir: Path, time_budget: float, stripped: bool, variant: str,
                tracks: str) -> list[str]:
    args = [sys.executable, "-m", "iml.cli", "run", str(public), "--time-budget", str(time_budget),
            "--run-dir", str(run_dir), "--quiet"]
    if tracks:
        args += ["--tracks", tracks]
    if variant != "full":
        args += ["--variant", variant]
    if stripped:
        args += ["--goal", STRIPPED_SENTENCE]
    return args

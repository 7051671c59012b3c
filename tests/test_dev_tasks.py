"""End to end on the tabular development tasks, full and stripped descriptions, graded by the project's grader."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from iml.bench import STRIPPED_SENTENCE
from iml.flow import Run
from iml.grading import grade_submission, load_task_facts
from iml.options import RunOptions
from iml.progress import Progress

TASKS = Path(__file__).resolve().parents[2] / "shared" / "tasks"
TABULAR = ["employee-attrition", "seattle-weather", "diamonds-price", "tweet-source"]

pytestmark = pytest.mark.skipif(not TASKS.is_dir(), reason="development tasks not available")


def floor_submission(task_dir: Path, path: Path) -> Path:
    """Majority class, or the training mean, or a constant probability: what a model must beat."""
    facts = load_task_facts(task_dir)
    public = task_dir / "prepared" / "public"
    train = pd.read_csv(public / "train.csv")
    sample = pd.read_csv(public / "sample_submission.csv")
    target = train[facts.label_column]
    for column in facts.target_columns:
        if facts.task_type == "regression":
            sample[column] = float(target.mean())
        elif facts.metric in ("auc", "logloss", "auc_columnwise"):
            sample[column] = float((target.astype(str) == str(facts.positive_label)).mean()) \
                if facts.positive_label else 1.0 / len(facts.target_columns)
        else:
            sample[column] = target.astype(str).mode()[0]
    sample.to_csv(path, index=False)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("stripped", [False, True], ids=["full", "stripped"])
@pytest.mark.parametrize("task", TABULAR)
def test_dev_task_end_to_end(task: str, stripped: bool, tmp_path: Path) -> None:
    task_dir = TASKS / task
    data = tmp_path / "public"
    shutil.copytree(task_dir / "prepared" / "public", data)
    # Text needs a TF-IDF pass before any model: a little more time for the one text task.
    budget = 40 if task == "tweet-source" else 25
    options = RunOptions(data_dir=str(data), run_dir=str(tmp_path / "run"), time_budget=budget, tracks=["traditional"],
                         description=STRIPPED_SENTENCE if stripped else None)
    outcome = Run.start(options, Progress(quiet=True)).execute()

    assert outcome.status == "succeeded"
    report = grade_submission(task_dir, Path(outcome.submission))
    floor = grade_submission(task_dir, floor_submission(task_dir, tmp_path / "floor.csv"))
    assert report.valid, report.reason
    assert floor.valid, floor.reason
    assert report.p_norm > floor.p_norm + 0.02, (report, floor)
    board = pd.read_csv(tmp_path / "run" / "leaderboard.csv")
    assert (board["status"] == "ok").any()

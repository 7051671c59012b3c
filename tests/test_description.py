"""Description Analyzer (expert brain): dev tasks against task.yaml, and generated edge cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from iml.errors import DataError, TaskInferenceError
from iml.perception.description import analyze_task
from iml.perception.summary import METRIC_DIRECTIONS

TASKS = Path(__file__).resolve().parents[2] / "shared" / "tasks"
TASK_DIRS = sorted(p for p in TASKS.iterdir() if (p / "task.yaml").exists()) if TASKS.is_dir() else []
DEFAULTS = {"binary": {"auc", "accuracy"}, "multiclass": {"accuracy", "logloss"},
            "regression": {"rmse", "rmsle"}, "multilabel": {"auc_columnwise"}}


def _facts(summary, truth):
    assert summary.target_columns == [truth["label_column"]]
    assert summary.id_column == truth["id_column"]
    assert summary.task_type.value == truth["task_type"]
    assert summary.submission.id_column == truth["id_column"]
    sample = pd.read_csv(Path(summary.data_dir) / "sample_submission.csv", nrows=1)
    assert summary.submission.columns == list(sample.columns)
    assert summary.submission.prediction_columns == truth["target_columns"]
    if truth["task_type"] == "regression":
        assert summary.classes is None and summary.submission.kind == "value"
    else:
        assert summary.classes == [str(c) for c in truth["classes"]]
    if truth["task_type"] == "binary":
        assert summary.positive_label == str(truth["positive_label"])
    if "media" in truth:
        assert [(m.column, m.folder) for m in summary.media] == [(truth["media"]["column"], truth["media"]["folder"])]
    else:
        assert summary.media == []


@pytest.mark.skipif(not TASK_DIRS, reason="no dev tasks in shared/tasks")
@pytest.mark.parametrize("task", TASK_DIRS, ids=lambda p: p.name)
def test_dev_task_full_description(task):
    truth = yaml.safe_load((task / "task.yaml").read_text())
    summary = analyze_task(task / "prepared" / "public")
    _facts(summary, truth)
    assert summary.name == task.name
    assert summary.metric == truth["metric"]
    assert summary.greater_is_better == METRIC_DIRECTIONS[truth["metric"]]
    assert not summary.stripped
    assert [e.source for e in summary.evidence if e.fact == "metric"] == ["description"]


@pytest.mark.skipif(not TASK_DIRS, reason="no dev tasks in shared/tasks")
@pytest.mark.parametrize("task", TASK_DIRS, ids=lambda p: p.name)
def test_dev_task_stripped_description(task):
    stripped = task / "description_stripped.md"
    if not stripped.exists():
        pytest.skip("no stripped description")
    truth = yaml.safe_load((task / "task.yaml").read_text())
    summary = analyze_task(task / "prepared" / "public", description=stripped.read_text())
    _facts(summary, truth)
    assert summary.stripped
    assert summary.metric in DEFAULTS[truth["task_type"]]
    metric_ev = [e for e in summary.evidence if e.fact == "metric"]
    assert len(metric_ev) == 1 and metric_ev[0].source == "default" and metric_ev[0].detail


# ---------------------------------------------------------------- generated folders

def _write(folder: Path, train: pd.DataFrame, test: pd.DataFrame | None, sample: pd.DataFrame | None = None,
           description: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    train.to_csv(folder / "train.csv", index=False)
    if test is not None:
        test.to_csv(folder / "test.csv", index=False)
    if sample is not None:
        sample.to_csv(folder / "sample_submission.csv", index=False)
    if description is not None:
        (folder / "description.md").write_text(description)
    return folder


def _frames(n=60, seed=0):
    rng = np.random.default_rng(seed)
    train = pd.DataFrame({"row_id": np.arange(n), "x1": rng.normal(size=n), "x2": rng.integers(0, 5, n)})
    test = pd.DataFrame({"row_id": np.arange(n, n + 20), "x1": rng.normal(size=20), "x2": rng.integers(0, 5, 20)})
    return train, test


def test_multiclass_logloss_class_probability_columns(tmp_path):
    train, test = _frames()
    train["species"] = np.array(["setosa", "versicolor", "virginica"])[np.arange(60) % 3]
    sample = pd.DataFrame({"row_id": test.row_id, "setosa": 1 / 3, "versicolor": 1 / 3, "virginica": 1 / 3})
    s = analyze_task(_write(tmp_path / "iris", train, test, sample, "Analyze the data."))
    assert s.target_columns == ["species"] and s.id_column == "row_id"
    assert s.task_type.value == "multiclass" and s.metric == "logloss" and not s.greater_is_better
    assert s.submission.kind == "class_probabilities"
    assert s.submission.class_columns == {"setosa": "setosa", "versicolor": "versicolor", "virginica": "virginica"}
    assert s.classes == ["setosa", "versicolor", "virginica"] and s.name == "iris"
    assert any(e.fact == "metric" and e.source == "default" and "probability column per class" in e.detail
               for e in s.evidence)


def test_prefixed_class_columns_and_named_metric(tmp_path):
    train, test = _frames()
    train["target"] = np.array(["Class_1", "Class_2", "Class_3", "Class_4"])[np.arange(60) % 4]
    sample = pd.DataFrame({"row_id": test.row_id, **{f"Class_{i}": 0.25 for i in range(1, 5)}})
    text = "# T\n\n## Evaluation\n\nSubmissions are scored with multi-class log loss.\n"
    s = analyze_task(_write(tmp_path / "p", train, test, sample, text))
    assert s.target_columns == ["target"] and s.metric == "logloss" and not s.stripped


def test_regression_skewed_target_defaults_to_rmsle(tmp_path):
    train, test = _frames(n=400)
    train["amount"] = np.round(np.exp(np.random.default_rng(1).normal(5, 1.5, 400)), 2)
    s = analyze_task(_write(tmp_path / "money", train, test))
    assert s.task_type.value == "regression" and s.metric == "rmsle" and s.id_column == "row_id"
    ev = [e for e in s.evidence if e.fact == "metric"][0]
    assert ev.source == "default" and ("skew" in ev.detail or "max/median" in ev.detail)
    assert s.submission.columns == ["row_id", "amount"] and s.stripped


def test_regression_symmetric_target_defaults_to_rmse(tmp_path):
    train, test = _frames(n=400)
    train["temp"] = np.random.default_rng(2).normal(20, 5, 400)
    s = analyze_task(_write(tmp_path / "t", train, test))
    assert s.metric == "rmse"


def test_description_names_target_and_positive_class(tmp_path):
    train, test = _frames()
    train["y"] = np.where(np.arange(60) % 4 == 0, "churned", "stayed")
    test["y"] = "?"  # a placeholder column: train and test share every column
    text = ("Predict whether a customer leaves.\n\n## Data\n- `y` - **target**\n\n## Evaluation\n"
            'Graded by ROC AUC with `y` = "stayed" as the positive class.\n')
    s = analyze_task(_write(tmp_path / "c", train, test, description=text))
    assert s.target_columns == ["y"] and s.metric == "auc" and s.positive_label == "stayed"
    assert s.submission.kind == "probability" and s.submission.columns == ["row_id", "y"]


def test_positive_label_yes_like_then_minority(tmp_path):
    train, test = _frames()
    train["flag"] = np.where(np.arange(60) % 5 == 0, 1, 0)
    assert analyze_task(_write(tmp_path / "a", train, test)).positive_label == "1"
    train["flag"] = np.where(np.arange(60) % 5 == 0, "cat", "dog")
    s = analyze_task(_write(tmp_path / "b", train, test))
    assert s.positive_label == "cat"
    assert any(e.fact == "positive_label" and "minority" in e.detail for e in s.evidence)


def test_media_column_and_id_by_name(tmp_path):
    train, test = _frames()
    train = train.rename(columns={"row_id": "image_id"})
    test = test.rename(columns={"row_id": "image_id"})
    train["file"] = [f"clip_{i}.wav" for i in range(60)]
    test["file"] = [f"clip_{i}.wav" for i in range(60, 80)]
    train["label"] = np.arange(60) % 3
    folder = _write(tmp_path / "m", train, test)
    (folder / "sounds").mkdir()
    (folder / "sounds" / "clip_0.wav").write_bytes(b"RIFF")
    s = analyze_task(folder)
    assert s.id_column == "image_id" and s.task_type.value == "multiclass" and s.metric == "accuracy"
    assert [(m.column, m.folder, m.modality) for m in s.media] == [("file", "sounds", "audio")]


def test_multilabel_targets(tmp_path):
    train, test = _frames()
    train["toxic"] = np.arange(60) % 2
    train["insult"] = (np.arange(60) % 3 == 0).astype(int)
    sample = pd.DataFrame({"row_id": test.row_id, "toxic": 0.5, "insult": 0.5})
    s = analyze_task(_write(tmp_path / "ml", train, test, sample))
    assert s.target_columns == ["toxic", "insult"] and s.task_type.value == "multilabel"
    assert s.metric == "auc_columnwise" and s.submission.kind == "multilabel_probabilities"


def test_user_target(tmp_path):
    train, test = _frames()
    train["y"] = np.arange(60) % 2
    s = analyze_task(_write(tmp_path / "u", train, train.drop(columns="y")), target="x2")
    assert s.target_columns == ["x2"]
    assert any(e.fact == "target_columns" and e.source == "user" for e in s.evidence)


def test_unknown_user_target(tmp_path):
    train, test = _frames()
    train["y"] = np.arange(60) % 2
    with pytest.raises(TaskInferenceError) as err:
        analyze_task(_write(tmp_path / "u", train, test), target="price")
    assert "'price'" in err.value.message and "row_id, x1, x2, y" in err.value.message
    assert "--target" in err.value.hint


def test_identical_columns_without_sample(tmp_path):
    train, test = _frames()
    with pytest.raises(TaskInferenceError) as err:
        analyze_task(_write(tmp_path / "same", train, test, description="Some data."))
    assert "cannot tell the target" in err.value.message
    assert "--target" in err.value.hint and "description" in err.value.hint


def test_sample_ids_do_not_match_test(tmp_path):
    train, test = _frames()
    train["y"] = np.arange(60) % 2
    sample = pd.DataFrame({"row_id": np.arange(1000, 1020), "y": 0.5})
    with pytest.raises(DataError) as err:
        analyze_task(_write(tmp_path / "ids", train, test, sample))
    assert "20 sample ids are not in test.csv" in err.value.message and "'1000'" in err.value.message
    assert err.value.hint


def test_one_table_needs_its_target_named(tmp_path):
    train, _ = _frames()
    with pytest.raises(TaskInferenceError) as err:
        analyze_task(_write(tmp_path / "nt", train, None))
    assert "no test table" in err.value.message and "train.csv" in err.value.message
    assert "--target" in err.value.hint
    summary = analyze_task(tmp_path / "nt", target=train.columns[-1])
    assert summary.test_file is None and summary.target == train.columns[-1]


def test_missing_train_file(tmp_path):
    (tmp_path / "test.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="no train table"):
        analyze_task(tmp_path)


def test_empty_train(tmp_path):
    _, test = _frames()
    test.to_csv(tmp_path / "test.csv", index=False)
    (tmp_path / "train.csv").write_bytes(b"")
    with pytest.raises(DataError) as err:
        analyze_task(tmp_path)
    assert "empty" in err.value.message and err.value.hint


def test_header_only_train(tmp_path):
    _, test = _frames()
    test.to_csv(tmp_path / "test.csv", index=False)
    (tmp_path / "train.csv").write_text("row_id,x1,x2,y\n")
    with pytest.raises(DataError) as err:
        analyze_task(tmp_path)
    assert "no data rows" in err.value.message and err.value.hint


def test_garbage_binary_train(tmp_path):
    _, test = _frames()
    test.to_csv(tmp_path / "test.csv", index=False)
    (tmp_path / "train.csv").write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8)))
    with pytest.raises(DataError) as err:
        analyze_task(tmp_path)
    assert "train.csv" in err.value.message and "CSV" in err.value.hint


def test_folder_does_not_exist(tmp_path):
    with pytest.raises(DataError) as err:
        analyze_task(tmp_path / "nope")
    assert "does not exist" in err.value.message and "nope" in err.value.message and err.value.hint


def test_path_is_a_file(tmp_path):
    (tmp_path / "f.csv").write_text("a\n1\n")
    with pytest.raises(DataError, match="not a folder"):
        analyze_task(tmp_path / "f.csv")


def test_odd_file_names_and_layout_name(tmp_path):
    train, test = _frames()
    train["y"] = np.arange(60) % 2
    folder = tmp_path / "my-task" / "prepared" / "public"
    folder.mkdir(parents=True)
    train.to_csv(folder / "train_data.tsv", sep="\t", index=False)
    test.to_csv(folder / "test_data.csv", index=False)
    s = analyze_task(folder)
    assert s.name == "my-task" and s.train_file == "train_data.tsv" and s.test_file == "test_data.csv"
    assert s.target_columns == ["y"] and s.sample_submission_file is None
    assert s.submission.columns == ["row_id", "y"]


def test_logloss_without_sample_gets_one_column_per_class(tmp_path):
    train, test = _frames()
    train["kind"] = np.array(["a", "b", "c"])[np.arange(60) % 3]
    text = "Overview: accuracy matters to us.\n\n## Evaluation\n\nMulti-class log loss.\n"
    s = analyze_task(_write(tmp_path / "ll", train, test, description=text))
    assert s.metric == "logloss" and s.submission.kind == "class_probabilities"
    assert s.submission.columns == ["row_id", "a", "b", "c"]


def test_constant_target_is_refused(tmp_path):
    train, test = _frames()
    train["y"] = 1
    with pytest.raises(DataError) as err:
        analyze_task(_write(tmp_path / "k", train, test))
    assert "'y' has fewer than 2 distinct values" in err.value.message and "--target" in err.value.hint

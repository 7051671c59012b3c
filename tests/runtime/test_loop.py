"""The training loop end to end on a tiny in-memory task with small real task modules."""

from __future__ import annotations

import json
import pickle
import sys
import textwrap
import time
import types

import numpy as np
import pandas as pd
import pytest

from iml.runtime import events as ev
from iml.runtime.config import PipelineConfig
from iml.runtime.loop import Modules, TrainArgs, Trainer

PREPROCESS = '''
from collections import namedtuple
from pathlib import Path

import numpy as np
import pandas as pd

RawData = namedtuple("RawData", "train test test_ids y")
COLUMNS = ["x1", "x2", "x3"]
FAIL_IN_FIT = False


def read_frame(path):
    return pd.read_csv(path)


def load(data_dir):
    train = read_frame(Path(data_dir) / "train.csv")
    test = read_frame(Path(data_dir) / "test.csv")
    return RawData(train.drop(columns=["id", "label"]), test.drop(columns=["id"]), test["id"], train["label"])


class Preprocessor:
    def __init__(self, seed=0, features="standard"):
        self.seed, self.features = seed, features

    def fit(self, frame, y=None):
        if FAIL_IN_FIT:
            raise ValueError("column x9 is not in the frame")
        self.mean_ = frame[COLUMNS].mean()
        self.std_ = frame[COLUMNS].std() + 1e-9
        return self

    def transform(self, frame):
        return ((frame[COLUMNS] - self.mean_) / self.std_).astype(float)
'''

MODEL = '''
import numpy as np
from sklearn.linear_model import LogisticRegression

DEFAULTS = {"logreg": {"C": 1.0}, "broken": {"C": 1.0}, "hang": {"C": 1.0}}


def search_space(learner, trial):
    return {"C": trial.suggest_float("C", 0.01, 10.0, log=True)}


class Model:
    def __init__(self, learner="logreg", params=None, seed=0, time_limit=None):
        self.learner, self.params, self.seed, self.time_limit = learner, params or {}, seed, time_limit

    def fit(self, X, y, X_valid=None, y_valid=None):
        if self.learner == "broken":
            raise RuntimeError("planted defect in fit")
        if self.learner == "hang":  # a fit that ignores its time limit
            import time
            time.sleep(600)
        params = {**DEFAULTS[self.learner], **self.params}
        self.estimator_ = LogisticRegression(C=params["C"], max_iter=500).fit(X, y)
        return self

    def predict_proba(self, X):
        return self.estimator_.predict_proba(X)
'''


def make_module(name: str, source: str, monkeypatch) -> types.ModuleType:
    """A module of the task's code, importable by name (so its fitted objects pickle), as code/ would be."""
    module = types.ModuleType(name)
    exec(compile(textwrap.dedent(source), f"<{name}>", "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, name, module)
    return module


def write_task(folder, n_train=120, n_test=30, seed=0):
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    frame = pd.DataFrame({"id": np.arange(1000, 1000 + n), "x1": rng.normal(size=n), "x2": rng.normal(size=n),
                          "x3": rng.normal(size=n)})
    logit = 2 * frame["x1"] - frame["x2"]
    frame["label"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    folder.mkdir(parents=True)
    frame.iloc[:n_train].to_csv(folder / "train.csv", index=False)
    frame.iloc[n_train:].drop(columns="label").to_csv(folder / "test.csv", index=False)
    return folder


def config(candidates, **overrides) -> PipelineConfig:
    base = {"task_type": "binary", "classes": ["no", "yes"], "metric": "auc", "greater_is_better": True,
            "prediction": "probability", "positive_label": "yes", "id_column": "id",
            "submission_columns": ["id", "label"], "prediction_columns": ["label"], "class_columns": {},
            "target_transform": "none", "min_value": None, "tracks": ["traditional"],
            "track_features": {"traditional": "standard"}, "feature_modules": {}, "feature_seconds": {},
            "candidates": candidates, "cv": "stratified", "n_folds": 3, "holdout_fraction": 0.2, "seed": 0,
            "max_trials": 3, "hpo_share": 0.4, "ensemble": "auto", "time_budget": 120.0}
    base.update(overrides)
    return PipelineConfig.from_dict(base)


CANDIDATES = [
    {"track": "traditional", "learner": "logreg", "params": {}, "search": True, "weight": 1.0},
    {"track": "traditional", "learner": "broken", "params": {}, "search": False, "weight": 1.0},
    {"track": "traditional", "learner": "logreg", "params": {"C": 0.05}, "search": False, "weight": 1.0},
]


@pytest.fixture
def task(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may land outside the run's own folder
    data = write_task(tmp_path / "data")
    modules = Modules(preprocess=make_module("rt_loop_preprocess", PREPROCESS, monkeypatch),
                      tracks={"traditional": make_module("rt_loop_model_traditional", MODEL, monkeypatch)})
    out = tmp_path / "run"
    args = TrainArgs(data=str(data), out=str(out / "submission.csv"), model_dir=str(out / "model"),
                     report=str(out / "pipeline_report.json"), oof_dir=str(out / "oof"), time_budget=120.0,
                     events=str(out / "events.jsonl"))
    return types.SimpleNamespace(data=data, modules=modules, out=out, args=args, monkeypatch=monkeypatch)


def kinds(events):
    return [e.kind for e in events]


def test_trainer_end_to_end(task):
    trainer = Trainer(config(CANDIDATES), task.modules, task.args)
    assert trainer.run() == 0
    out = task.out

    # the submission: every test row, ids in order, the positive class's probability
    test = pd.read_csv(task.data / "test.csv")
    sub = pd.read_csv(out / "submission.csv")
    assert list(sub.columns) == ["id", "label"]
    assert sub["id"].tolist() == test["id"].tolist()
    assert sub["label"].between(0, 1).all() and sub["label"].nunique() > 1

    # the events, typed and in order
    events = ev.read_events(out / "events.jsonl")
    k = kinds(events)
    assert k[0] == "pipeline_started" and k[-1] == "pipeline_finished"
    # the floor (class priors) is saved before anything is featurized
    assert k[:6] == ["pipeline_started", "data_loaded", "submission_saved", "executor_started", "featurize_started", "featurized"]
    assert events[2].how == "floor" and events[2].members == ["floor/prior"]
    assert k.count("featurized") == 1  # the feature set is computed once for all candidates
    assert k.count("candidate_started") == 3 and k.count("candidate_finished") == 2
    assert k.count("candidate_failed") == 1 and k.count("submission_saved") == 4
    assert "featurize_failed" not in k and "pipeline_failed" not in k and "candidate_skipped" not in k
    loaded = events[1]
    assert (loaded.train_rows, loaded.holdout_rows, loaded.test_rows, loaded.folds) == (96, 24, 30, 3)
    featurized = events[5]
    assert (featurized.feature_set, featurized.rows, featurized.columns, featurized.test_rows) == ("standard", 96, 3, 30)
    assert events[0].mode == "train" and events[0].time_budget == 120.0
    assert events[-1].succeeded == 2
    # each candidate's start comes before its outcome, and a save follows each success; the first tuned
    # candidate also saves its defaults' CV before tuning, so a model replaces the floor early
    outcome_kinds = ("candidate_finished", "candidate_failed")
    flow = [(e.kind, getattr(e, "learner", None)) for e in events
            if e.kind in ("candidate_started", "submission_saved") + outcome_kinds]
    assert [f[0] for f in flow] == ["submission_saved", "candidate_started", "submission_saved",
                                    "candidate_finished", "submission_saved",
                                    "candidate_started", "candidate_failed",
                                    "candidate_started", "candidate_finished", "submission_saved"]
    assert [f[1] for f in flow if f[0] == "candidate_started"] == ["logreg", "broken", "logreg"]
    searched, fixed = [e for e in events if e.kind == "candidate_finished"]
    assert searched.trials == 3 and searched.folds == 3 and 0.5 < searched.cv_mean <= 1.0
    assert fixed.trials == 0 and fixed.params == {"C": 0.05} and searched.holdout is not None
    failed = next(e for e in events if e.kind == "candidate_failed")
    assert failed.learner == "broken" and failed.stage == "fit" and failed.exception == "RuntimeError"
    assert "Traceback" in failed.traceback and "planted defect in fit" in failed.traceback
    assert "planted defect in fit" in failed.error
    saved = [e for e in events if e.kind == "submission_saved"][-1]
    assert saved.path == str(out / "submission.csv") and saved.cv_score is not None
    assert saved.holdout_score is not None and 0 <= saved.holdout_score <= 1

    # the report: the leaderboard holds every candidate, the selection what was saved
    report = json.loads((out / "pipeline_report.json").read_text())
    board = report["leaderboard"]
    assert [(r["model"], r["status"]) for r in board] == [("logreg", "ok"), ("broken", "failed"), ("logreg", "ok")]
    assert "planted defect in fit" in board[1]["error"]
    assert report["selection"]["members"] == saved.members and report["selection"]["how"] == saved.how
    assert report["selection"]["cv_score"] == pytest.approx(saved.cv_score)
    assert report["metric"] == "auc" and report["greater_is_better"] is True
    assert not list(out.rglob("*.tmp"))  # every staged file was renamed into place

    # the fitted pipeline predicts what the submission says, from the raw test frame
    with open(out / "model" / "pipeline.pkl", "rb") as fh:
        fitted = pickle.load(fh)
    again = fitted.predict_submission(task.modules.preprocess.read_frame(task.data / "test.csv"))
    assert again["id"].tolist() == sub["id"].tolist()
    np.testing.assert_allclose(again["label"], sub["label"], rtol=1e-9, atol=1e-12)
    assert [m.learner for m in fitted.members] == [n.split("/")[1] for n in saved.members]
    assert all(len(m.models) == 1 for m in fitted.members)  # refit on every row, holdout included
    assert all(r["refit"] for r in board if r["status"] == "ok")
    assert fitted.versions["python"] and not fitted.version_differences()

    # the out-of-fold predictions of every complete candidate
    # each candidate's out-of-fold predictions, and the selection's beside the truth (the report's plots)
    assert sorted(p.name for p in (out / "oof").iterdir()) == ["selection.csv", "traditional_logreg.npy"]
    assert np.load(out / "oof" / "traditional_logreg.npy").shape == (96, 2)


def test_a_failing_first_candidate_does_not_stop_the_others(task):
    candidates = [CANDIDATES[1], CANDIDATES[2]]
    assert Trainer(config(candidates, ensemble="best"), task.modules, task.args).run() == 0
    k = kinds(ev.read_events(task.out / "events.jsonl"))
    last_save = len(k) - 1 - k[::-1].index("submission_saved")
    assert k.index("candidate_failed") < k.index("candidate_finished") < last_save
    assert (task.out / "submission.csv").exists()


def test_a_failing_preprocessor_gives_featurize_failed_and_status_1(task, monkeypatch):
    monkeypatch.setattr(task.modules.preprocess, "FAIL_IN_FIT", True)
    assert Trainer(config(CANDIDATES), task.modules, task.args).run() == 1
    events = ev.read_events(task.out / "events.jsonl")
    k = kinds(events)
    assert k == ["pipeline_started", "data_loaded", "submission_saved", "executor_started", "featurize_started", "featurize_failed",
                 "pipeline_finished"]
    failed = events[5]
    assert failed.feature_set == "standard" and failed.exception == "ValueError"
    assert "column x9" in failed.error and "Traceback" in failed.traceback and "column x9" in failed.traceback
    assert events[-1].succeeded == 0
    # the floor stays: a valid submission of the class priors, and a fitted pipeline that predicts them
    sub = pd.read_csv(task.out / "submission.csv")
    test = pd.read_csv(task.data / "test.csv")
    assert sub["id"].tolist() == test["id"].tolist() and sub["label"].nunique() == 1
    assert sub["label"].iloc[0] == pytest.approx(0.5, abs=0.15)  # the share of "yes" in the training rows
    with open(task.out / "model" / "pipeline.pkl", "rb") as fh:
        again = pickle.load(fh).predict_submission(test)
    np.testing.assert_allclose(again["label"], sub["label"])
    report = json.loads((task.out / "pipeline_report.json").read_text())
    assert report["selection"]["how"] == "floor" and report["floor_cv"] == pytest.approx(0.5)


def test_no_candidate_succeeding_gives_status_1(task):
    assert Trainer(config([CANDIDATES[1]]), task.modules, task.args).run() == 1
    k = kinds(ev.read_events(task.out / "events.jsonl"))
    assert k[-2:] == ["candidate_failed", "pipeline_finished"] and k.count("submission_saved") == 1  # the floor
    assert json.loads((task.out / "pipeline_report.json").read_text())["leaderboard"][0]["status"] == "failed"


def test_a_load_error_is_a_pipeline_failure(task, monkeypatch):
    def load(data_dir):
        raise FileNotFoundError("train.csv")

    monkeypatch.setattr(task.modules.preprocess, "load", load)
    with pytest.raises(FileNotFoundError):
        Trainer(config(CANDIDATES), task.modules, task.args).run()
    events = ev.read_events(task.out / "events.jsonl")
    assert kinds(events) == ["pipeline_started", "pipeline_failed"]
    assert events[1].exception == "FileNotFoundError" and "Traceback" in events[1].traceback


def test_a_sample_run_verifies_every_candidate(task):
    args = task.args
    args.sample_rows, args.verify_dir = 40, str(task.out / "verify")
    assert Trainer(config(CANDIDATES), task.modules, args).run() == 0
    events = ev.read_events(task.out / "events.jsonl")
    assert events[0].mode == "sample"
    loaded = events[1]
    assert (loaded.train_rows, loaded.holdout_rows, loaded.folds, loaded.test_rows) == (40, 0, 2, 30)
    finished = [e for e in events if e.kind == "candidate_finished"]
    assert len(finished) == 2 and all(e.trials == 0 for e in finished)  # no tuning on a sample
    assert all(e.predictions_file and np.load(e.predictions_file).shape == (30, 2) for e in finished)
    verify = task.out / "verify"
    assert np.load(verify / "features_standard_train.npy").shape == (40, 3)
    index = json.loads((verify / "features.json").read_text())
    assert index["standard"]["input_rows"] == {"train": 40, "test": 30}
    assert index["standard"]["columns_train"] == ["x1", "x2", "x3"]


REGRESSION_MODEL = '''
from sklearn.linear_model import Ridge

DEFAULTS = {"ridge": {"alpha": 1.0}, "flat": {"alpha": 1e6}}


def search_space(learner, trial):
    return {"alpha": trial.suggest_float("alpha", 0.01, 100.0, log=True)}


class Model:
    def __init__(self, learner="ridge", params=None, seed=0, time_limit=None):
        self.learner, self.params = learner, params or {}

    def fit(self, X, y, X_valid=None, y_valid=None):
        self.estimator_ = Ridge(**{**DEFAULTS[self.learner], **self.params}).fit(X, y)
        return self

    def predict(self, X):
        return self.estimator_.predict(X)
'''


def test_regression_with_log1p_and_a_stacker(task, monkeypatch):
    train = pd.read_csv(task.data / "train.csv")
    train["label"] = np.round(np.exp(1 + train["x1"]) + 0.1 * train["x3"].abs(), 3)  # positive, skewed
    train.to_csv(task.data / "train.csv", index=False)
    modules = Modules(task.modules.preprocess,
                      {"traditional": make_module("rt_loop_model_regression", REGRESSION_MODEL, monkeypatch)})
    cfg = config([{"track": "traditional", "learner": "ridge", "search": False},
                  {"track": "traditional", "learner": "flat", "search": False}],
                 task_type="regression", classes=None, metric="rmsle", greater_is_better=False, prediction="value",
                 positive_label=None, cv="kfold", target_transform="log1p", min_value=0.0, ensemble="stacking")
    assert Trainer(cfg, modules, task.args).run() == 0
    events = ev.read_events(task.out / "events.jsonl")
    saved = [e for e in events if e.kind == "submission_saved"]
    assert [s.how for s in saved] == ["floor", "best", "best", "stacking of 2"]  # the first also before its refit
    finished = [e for e in events if e.kind == "candidate_finished"]
    assert finished[0].cv_mean < finished[1].cv_mean  # lower is better: the flat model is worse
    sub = pd.read_csv(task.out / "submission.csv")
    assert list(sub.columns) == ["id", "label"] and (sub["label"] >= 0).all()
    test = pd.read_csv(task.data / "test.csv")
    # on the target's own scale, not the log scale: it follows exp(1 + x1)
    assert np.corrcoef(sub["label"], np.exp(1 + test["x1"]))[0, 1] > 0.9
    with open(task.out / "model" / "pipeline.pkl", "rb") as fh:
        fitted = pickle.load(fh)
    assert fitted.stacker is not None
    np.testing.assert_allclose(fitted.predict_submission(test)["label"], sub["label"], rtol=1e-9)


FAILING_FEATURES = '''
class Preprocessor:
    def __init__(self, seed=0, features="llm"):
        self.features = features

    def fit(self, frame, y=None):
        return self

    def transform(self, frame):
        raise KeyError("embedding")
'''


def test_a_failing_second_feature_set_fails_only_its_candidates(task, monkeypatch):
    task.modules.features["llm"] = make_module("rt_loop_preprocess_llm", FAILING_FEATURES, monkeypatch)
    task.modules.tracks["llm"] = task.modules.tracks["traditional"]
    candidates = [{"track": "traditional", "learner": "logreg", "search": False},
                  {"track": "llm", "learner": "logreg", "search": False},
                  {"track": "llm", "learner": "logreg", "params": {"C": 0.1}, "search": False}]
    cfg = config(candidates, tracks=["traditional", "llm"], track_features={"traditional": "standard", "llm": "llm"},
                 feature_modules={"llm": "rt_loop_preprocess_llm"})
    assert Trainer(cfg, task.modules, task.args).run() == 0
    events = ev.read_events(task.out / "events.jsonl")
    k = kinds(events)
    assert k.count("featurize_failed") == 1 and k.count("featurized") == 1  # each set tried once
    bad = next(e for e in events if e.kind == "featurize_failed")
    assert bad.feature_set == "llm" and bad.exception == "KeyError" and "embedding" in bad.traceback
    failed = [e for e in events if e.kind == "candidate_failed"]
    assert [(e.track, e.stage) for e in failed] == [("llm", "featurize"), ("llm", "featurize")]
    assert all("embedding" in e.error for e in failed)
    assert k.count("candidate_finished") == 1 and events[-1].succeeded == 1
    with open(task.out / "model" / "pipeline.pkl", "rb") as fh:
        assert set(pickle.load(fh).preprocessors) == {"standard"}  # only what the members read


def test_a_candidate_past_its_time_share_is_killed_and_the_next_runs(task):
    task.args.time_budget = 24.0
    candidates = [{"track": "traditional", "learner": "hang", "search": False, "weight": 1.0},
                  {"track": "traditional", "learner": "logreg", "search": False, "weight": 1.0}]
    began = time.time()
    assert Trainer(config(candidates), task.modules, task.args).run() == 0
    assert time.time() - began < 24.0
    events = ev.read_events(task.out / "events.jsonl")
    started = next(e for e in events if e.kind == "candidate_started" and e.learner == "hang")
    skipped = next(e for e in events if e.kind == "candidate_skipped")
    assert skipped.learner == "hang" and "killed" in skipped.reason
    assert skipped.t - started.t < started.share_s  # stopped within its share, not at the run's end
    finished = [e for e in events if e.kind == "candidate_finished"]
    assert [e.learner for e in finished] == ["logreg"]
    assert [e.how for e in events if e.kind == "submission_saved"][-1] == "best"


def test_in_process_fits_in_this_process(task):
    import os

    source = MODEL.replace("    def fit(self, X, y, X_valid=None, y_valid=None):",
                           "    def fit(self, X, y, X_valid=None, y_valid=None):\n        PIDS.append(__import__('os').getpid())")
    module = make_module("rt_loop_model_pids", "PIDS = []\n" + source, task.monkeypatch)
    task.args.in_process = True
    assert Trainer(config([CANDIDATES[2]]), Modules(task.modules.preprocess, {"traditional": module}),
                   task.args).run() == 0
    assert len(module.PIDS) >= 4 and set(module.PIDS) == {os.getpid()}  # the folds and the refit, here

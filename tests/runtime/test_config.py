"""PipelineConfig from the CONFIG block pipeline.py holds, as the assembler writes it."""

from __future__ import annotations

import copy
import inspect
import re

import pytest

from iml.runtime.config import CandidateSpec, PipelineConfig
from iml.runtime.objective import Objective
from iml.runtime.submission import SubmissionFormat

# What src/iml/integration/assembler.py::pipeline_config writes for a three-class task with two tracks.
CONFIG = {
    "task_type": "multiclass",
    "classes": ["high", "low", "medium"],
    "metric": "logloss",
    "greater_is_better": False,
    "prediction": "class_probabilities",
    "positive_label": None,
    "id_column": "listing_id",
    "submission_columns": ["listing_id", "high", "medium", "low"],
    "prediction_columns": ["high", "medium", "low"],
    "class_columns": {"high": "high", "medium": "medium", "low": "low"},
    "target_transform": "none",
    "min_value": None,
    "tracks": ["traditional", "pretrained"],
    "track_features": {"traditional": "standard", "pretrained": "pretrained"},
    "feature_modules": {},
    "feature_seconds": {"pretrained": 42.0},
    "candidates": [  # Candidate.model_dump()
        {"track": "traditional", "learner": "lightgbm", "params": {}, "search": True, "weight": 2.0},
        {"track": "traditional", "learner": "linear", "params": {"C": 0.5}, "search": False, "weight": 0.5},
        {"track": "pretrained", "learner": "linear", "params": {}, "search": True, "weight": 1.0},
    ],
    "cv": "stratified",
    "n_folds": 5,
    "holdout_fraction": 0.1,
    "seed": 7,
    "max_trials": 60,
    "hpo_share": 0.4,
    "ensemble": "auto",
    "time_budget": 1234.5,
}


def test_the_config_here_has_the_assemblers_keys():
    from iml.integration.assembler import pipeline_config

    keys = set(re.findall(r'^\s*"(\w+)":', inspect.getsource(pipeline_config), flags=re.M))
    assert keys == set(CONFIG)


def test_from_a_realistic_config():
    cfg = PipelineConfig.from_dict(CONFIG)
    assert cfg.objective == Objective("logloss", False, ["high", "low", "medium"], None, "none", None)
    assert cfg.submission == SubmissionFormat("class_probabilities", ["listing_id", "high", "medium", "low"],
                                              ["high", "medium", "low"], "listing_id",
                                              {"high": "high", "medium": "medium", "low": "low"})
    assert cfg.candidates == [CandidateSpec("traditional", "lightgbm", {}, True, 2.0),
                              CandidateSpec("traditional", "linear", {"C": 0.5}, False, 0.5),
                              CandidateSpec("pretrained", "linear", {}, True, 1.0)]
    assert [c.name for c in cfg.candidates] == ["traditional/lightgbm", "traditional/linear", "pretrained/linear"]
    assert cfg.track_features == {"traditional": "standard", "pretrained": "pretrained"}
    assert cfg.feature_modules == {} and cfg.feature_seconds == {"pretrained": 42.0}
    assert cfg.stratified is True and cfg.n_folds == 5 and cfg.holdout_fraction == 0.1
    assert cfg.seed == 7 and cfg.max_trials == 60 and cfg.ensemble == "auto" and cfg.time_budget == 1234.5
    assert cfg.tracks == ["traditional", "pretrained"]


def test_kfold_and_regression_are_not_stratified():
    kfold = copy.deepcopy(CONFIG)
    kfold["cv"] = "kfold"
    assert PipelineConfig.from_dict(kfold).stratified is False
    regression = copy.deepcopy(CONFIG)
    regression.update(task_type="regression", classes=None, metric="rmsle", prediction="value",
                      submission_columns=["listing_id", "price"], prediction_columns=["price"], class_columns={},
                      target_transform="log1p", min_value=0.0)
    cfg = PipelineConfig.from_dict(regression)
    assert cfg.stratified is False and not cfg.objective.classification
    assert cfg.objective.target_transform == "log1p" and cfg.objective.min_value == 0.0


def test_llm_track_reads_its_own_feature_module_and_nulls_fall_back_to_defaults():
    config = copy.deepcopy(CONFIG)
    config["track_features"]["llm"] = "llm"
    config["feature_modules"] = {"llm": "preprocess_llm"}
    config["candidates"].append({"track": "llm", "learner": "llm", "params": None, "search": None, "weight": None})
    config["feature_seconds"] = None
    config["class_columns"] = None
    config["prediction"] = "label"
    cfg = PipelineConfig.from_dict(config)
    assert cfg.candidates[-1] == CandidateSpec("llm", "llm")  # None values take the defaults
    assert cfg.feature_modules == {"llm": "preprocess_llm"} and cfg.feature_seconds == {}
    assert cfg.submission.class_columns == {}
    assert cfg.tracks == ["traditional", "pretrained", "llm"]


def test_a_missing_required_key_is_an_error():
    config = copy.deepcopy(CONFIG)
    del config["n_folds"]
    with pytest.raises(KeyError):
        PipelineConfig.from_dict(config)

"""The task's CONFIG, the one block of data ``pipeline.py`` holds, as typed settings."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from .objective import Objective
from .submission import SubmissionFormat


@dataclass(frozen=True)
class CandidateSpec:
    """One candidate of the blueprint: a learner of a track, its fixed params, whether to tune it, its time weight."""

    track: str
    learner: str
    params: dict = field(default_factory=dict)
    search: bool = True
    weight: float = 1.0

    @property
    def name(self) -> str:
        return f"{self.track}/{self.learner}"


@dataclass(frozen=True)
class PipelineConfig:
    objective: Objective
    submission: SubmissionFormat
    candidates: list[CandidateSpec]
    track_features: dict[str, str]  # track -> the feature set it reads
    feature_modules: dict[str, str] = field(default_factory=dict)  # feature set -> code/ module, if not preprocess
    feature_seconds: dict[str, float] = field(default_factory=dict)  # the blueprint's estimate per feature set
    stratified: bool = True
    n_folds: int = 5
    holdout_fraction: float = 0.1
    seed: int = 0
    max_trials: int = 30
    ensemble: str = "auto"  # auto | best | average | stacking
    time_budget: float = 300.0
    refit: bool = True  # the final models: one per candidate on every row (False: its fold models)
    workers: int = 0  # fitting processes at a time; 0: one per core

    @classmethod
    def from_dict(cls, config: dict) -> "PipelineConfig":
        names = {f.name for f in fields(CandidateSpec)}
        return cls(
            objective=Objective.from_config(config),
            submission=SubmissionFormat.from_config(config),
            candidates=[CandidateSpec(**{k: v for k, v in c.items() if k in names and v is not None})
                        for c in config["candidates"]],
            track_features=dict(config["track_features"]),
            feature_modules=dict(config.get("feature_modules") or {}),
            feature_seconds=dict(config.get("feature_seconds") or {}),
            stratified=config.get("cv", "stratified") == "stratified" and config["classes"] is not None,
            n_folds=int(config["n_folds"]),
            holdout_fraction=float(config["holdout_fraction"]),
            seed=int(config["seed"]),
            max_trials=int(config["max_trials"]),
            ensemble=config.get("ensemble", "auto"),
            time_budget=float(config["time_budget"]),
            refit=bool(config.get("refit", True)),
            workers=int(config.get("workers") or 0),
        )

    @property
    def tracks(self) -> list[str]:
        return list(dict.fromkeys(c.track for c in self.candidates))

"""The fitted pipeline a run saves to model/pipeline.pkl: preprocessors, fold models, the way to combine them.

It unpickles in any process that has the run's ``code/`` folder on ``sys.path`` (its classes live in
``iml_runtime`` and the task's own modules, never ``__main__``), and it records the versions it was
fitted with, so a loader can warn when the installed ones differ.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .decision import DecisionRule
from .objective import Objective
from .selection import combine
from .submission import SubmissionFormat, format_submission
from .validation import predict_checked

# The packages whose versions decide whether a pickled model still loads and predicts the same.
VERSIONED_PACKAGES = ("numpy", "pandas", "sklearn", "scipy", "lightgbm", "xgboost", "catboost", "torch",
                      "sentence_transformers", "transformers")


def library_versions() -> dict[str, str]:
    """Python's version and those of the packages above that are already imported (fitting imported them)."""
    import sys

    versions = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = str(getattr(module, "__version__", "unknown"))
    return versions


@dataclass
class Member:
    """One ensemble member: a candidate's fold models, whose predictions are averaged, and its weight
    in the ensemble (pickles from before weights load with 1.0: the plain mean)."""

    track: str
    learner: str
    feature_set: str | None  # None: the raw frame (the floor)
    models: list[Any]
    weight: float = 1.0


@dataclass
class FittedPipeline:
    """Per feature set a fitted preprocessor; per member its fold models; a weighted mean or stacked; for a
    label metric the decision rule that makes the labels (None: the argmax, as pickles from before rules)."""

    objective: Objective
    submission: SubmissionFormat
    preprocessors: dict[str, Any]  # feature set -> fitted Preprocessor
    members: list[Member]
    stacker: Any | None = None  # fitted on out-of-fold predictions, or None for the members' weighted mean
    versions: dict[str, str] = field(default_factory=library_versions)
    rule: DecisionRule | None = None  # labels from probabilities, when the selection adopted one

    def predict_matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """Class probabilities (n, classes) or values on the transformed scale (n,)."""
        features = {name: p.transform(frame) for name, p in self.preprocessors.items()}
        features[None] = frame  # the floor reads no features
        parts = [np.mean([predict_checked(m, features[member.feature_set], self.objective) for m in member.models],
                         axis=0) for member in self.members]
        weights = [getattr(member, "weight", 1.0) for member in self.members]
        return combine(parts, weights, self.stacker, self.objective.classification)

    def labels_of(self, pred: np.ndarray) -> np.ndarray:
        """The label per row of a prediction matrix (the decision rule's, when adopted), or the value on the
        target's own scale (regression)."""
        if not self.objective.classification:
            return self.objective.decode_values(pred)
        rule = getattr(self, "rule", None)
        return self.objective.labels(pred) if rule is None else np.asarray(self.objective.classes)[rule.labels(pred)]

    def predict_labels(self, frame: pd.DataFrame) -> np.ndarray:
        return self.labels_of(self.predict_matrix(frame))

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        """One probability column per class, named by the class (as a string), rows as ``frame``'s."""
        if not self.objective.classification:
            raise ValueError("a regression pipeline predicts values, not class probabilities")
        return pd.DataFrame(self.predict_matrix(frame), columns=[str(c) for c in self.objective.classes],
                            index=frame.index)

    def predict_table(self, frame: pd.DataFrame, output: str = "submission") -> pd.DataFrame:
        """What ``pipeline.py predict --output`` writes: labels (the id and the target), probabilities (the id
        and a column per class) or the submission (the task's format)."""
        if output == "submission":
            return self.predict_submission(frame)
        id_column = self.submission.id_column
        ids = frame[[id_column]].reset_index(drop=True) if id_column and id_column in frame.columns else None
        if output == "labels":
            column = self.submission.prediction_columns[0] if not self.submission.class_columns else "label"
            body = pd.DataFrame({column: self.predict_labels(frame)})
        elif output == "probabilities":
            body = self.predict_proba(frame).reset_index(drop=True)
        else:
            raise ValueError(f"unknown output {output!r}: labels, probabilities or submission")
        return body if ids is None else pd.concat([ids, body], axis=1)

    def predict_submission(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The submission table for the rows of ``frame`` (ids taken from its id column when it has one)."""
        id_column = self.submission.id_column
        ids = frame[id_column] if id_column and id_column in frame.columns else None
        return format_submission(ids, self.predict_matrix(frame), self.objective, self.submission,
                                 getattr(self, "rule", None))

    def version_differences(self) -> dict[str, tuple[str, str | None]]:
        """Package -> (fitted with, installed now) where the two differ."""
        import importlib

        now = {"python": platform.python_version()}
        for name in self.versions:
            if name == "python":
                continue
            try:
                now[name] = str(getattr(importlib.import_module(name), "__version__", "unknown"))
            except ImportError:
                now[name] = None
        return {k: (v, now.get(k)) for k, v in self.versions.items() if now.get(k) != v}

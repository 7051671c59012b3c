"""The TaskSummary: what the Description Analyzer hands to every later phase."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from iml.runtime.metrics import METRICS


class TaskType(str, Enum):
    binary = "binary"
    multiclass = "multiclass"
    regression = "regression"
    multilabel = "multilabel"


# Metric name -> greater is better: a view of the one registry (iml.runtime.metrics.METRICS).
METRIC_DIRECTIONS: dict[str, bool] = {name: higher for name, (_fn, higher) in METRICS.items()}


class Evidence(BaseModel):
    """One fact of the summary and where it came from."""

    model_config = ConfigDict(extra="forbid")

    fact: str  # e.g. "target_columns", "metric"
    value: str
    source: Literal["description", "sample_submission", "train_test_difference", "value_types", "default", "user",
                    "llm"]
    detail: str = ""


class SubmissionFormat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    columns: list[str]  # exact column order of the submission file
    id_column: str | None
    # label: one column of class labels; probability: one column, P(positive_label);
    # class_probabilities: one column per class (logloss); value: a number (regression);
    # multilabel_probabilities: one probability column per target (auc_columnwise)
    kind: Literal["label", "probability", "class_probabilities", "value", "multilabel_probabilities"]
    prediction_columns: list[str]  # the columns a model fills
    positive_label: str | None = None
    # class_probabilities: submission column -> class label as it appears in train
    class_columns: dict[str, str] | None = None


class MediaRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: str  # the column naming the files; for a join, the key column whose values start the file names
    folder: str | None
    modality: Literal["image", "audio"]
    # File name from the column's value, '{}' standing for it (e.g. '{}-1.jpg' in folder 'images');
    # None when the value is itself the file's path or name.
    pattern: str | None = None
    # Further sub-folders holding some of the files (Kaggle's train/ and test/ beside each other).
    other_folders: list[str] = []

    @property
    def folders(self) -> list[str]:
        return ([self.folder] if self.folder else []) + self.other_folders


class TaskSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    data_dir: str
    description: str
    stripped: bool = Field(description="the description gave no task facts; everything was inferred from files")
    train_file: str
    test_file: str | None  # None: one table; the run writes no submission
    sample_submission_file: str | None
    target_columns: list[str]  # names in train.csv
    id_column: str | None
    task_type: TaskType
    metric: str
    greater_is_better: bool
    classes: list[str] | None = None  # as strings, sorted; None for regression
    positive_label: str | None = None
    submission: SubmissionFormat
    media: list[MediaRef] = []
    evidence: list[Evidence] = []
    # What a person should know about how the files were read or what iml worked around (a Latin-1
    # file, semicolons, duplicate test ids, a metric iml does not know); shown and logged as the run starts.
    warnings: list[str] = []

    @property
    def target(self) -> str:
        return self.target_columns[0]

"""The submission table: ids and predictions in the columns and the kind the task asks for."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .decision import DecisionRule
from .objective import Objective


@dataclass(frozen=True)
class SubmissionFormat:
    """What the task's sample submission shows.

    ``prediction``: label (class names), probability (the positive class's), class_probabilities
    (one column per class, ``class_columns`` column -> class) or value (regression).
    """

    prediction: str
    columns: list[str]
    prediction_columns: list[str]
    id_column: str | None = None
    class_columns: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: dict) -> "SubmissionFormat":
        return cls(prediction=config["prediction"], columns=list(config["submission_columns"]),
                   prediction_columns=list(config["prediction_columns"]), id_column=config.get("id_column"),
                   class_columns=dict(config.get("class_columns") or {}))


def format_submission(ids, pred: np.ndarray, objective: Objective, fmt: SubmissionFormat,
                      rule: DecisionRule | None = None) -> pd.DataFrame:
    """The submission frame of a prediction matrix (classes) or vector (values on the transformed scale).

    Labels are the argmax's, or the decision rule's when one is given (probabilities are never changed by it).
    """
    out: dict = {}
    if ids is not None and fmt.id_column:
        out[fmt.id_column] = np.asarray(ids)
    column = fmt.prediction_columns[0]
    if fmt.prediction == "label":
        out[column] = objective.labels(pred) if rule is None else np.asarray(objective.classes)[rule.labels(pred)]
    elif fmt.prediction == "probability":
        out[column] = np.asarray(pred)[:, list(objective.classes).index(objective.positive_label)]
    elif fmt.prediction == "class_probabilities":
        for col, cls in fmt.class_columns.items():
            out[col] = np.asarray(pred)[:, list(objective.classes).index(cls)]
    else:
        out[column] = objective.decode_values(pred)
    frame = pd.DataFrame(out)
    return frame[[c for c in fmt.columns if c in frame.columns]]

"""What every baseline runner shares: read the spec, the data, write the submission.

Runners execute under the baseline's own Python (its virtual environment may not
have iml, and may pin other pandas or xgboost versions), so this file needs only
pandas and numpy and is imported from the runner's own folder.

The spec is the JSON the harness writes: the files of the public copy, the label
and id columns, the task type and metric, the classes and the seconds allowed. These
are what a person using the baseline would tell it; the baseline reads no description.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

STARTED = time.monotonic()


def load_spec() -> dict:
    return json.loads(Path(sys.argv[1]).read_text())


def seconds_left(spec: dict, reserve: float = 0.15) -> float:
    """The budget left for fitting, keeping a share back for predicting and writing."""
    return max(5.0, spec["time_budget"] * (1 - reserve) - (time.monotonic() - STARTED))


def read_frames(spec: dict) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame, pd.Series]:
    """Train features, train target, test features, test ids. The id column is not a feature."""
    train = pd.read_csv(spec["train_csv"])
    test = pd.read_csv(spec["test_csv"])
    label, id_col = spec["label"], spec["id_column"]
    y = train[label]
    if spec["task_type"] != "regression":
        y = y.astype(str)
    elif spec["metric"] == "rmsle":
        y = np.log1p(y.clip(lower=0))  # the metric is RMSE in log space: fit there
    drop = [c for c in (label, id_col) if c in train.columns]
    features = [c for c in train.columns if c not in drop and c in test.columns]
    X, X_test = train[features].copy(), test[features].copy()
    for col in features:
        if _looks_like_dates(X[col]):  # what a user would do with read_csv(parse_dates=...)
            X[col] = pd.to_datetime(X[col], errors="coerce")
            X_test[col] = pd.to_datetime(X_test[col], errors="coerce")
    return X, y, X_test, test[id_col]


def _looks_like_dates(column: pd.Series) -> bool:
    if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
        return False
    sample = column.dropna().astype(str).head(200)
    if sample.empty or not sample.str.contains(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}").mean() > 0.95:
        return False
    return pd.to_datetime(sample, errors="coerce").notna().mean() > 0.95


def write_submission(spec: dict, ids: pd.Series, values=None, proba: pd.DataFrame | None = None) -> None:
    """values: labels or numbers; proba: one column per class name (strings)."""
    sample = pd.read_csv(spec["sample_submission"])
    targets = spec["target_columns"]
    sub = pd.DataFrame({spec["id_column"]: ids.to_numpy()})
    metric = spec["metric"]
    if metric == "auc":
        sub[targets[0]] = proba[str(spec["positive_label"])].to_numpy()
    elif metric == "logloss":
        for name in targets:
            sub[name] = proba[str(name)].to_numpy() if str(name) in proba.columns else 0.0
    elif spec["task_type"] == "regression":
        values = np.asarray(values, dtype=float)
        if metric == "rmsle":
            values = np.clip(np.expm1(values), 0, None)
        sub[targets[0]] = values
    else:
        sub[targets[0]] = np.asarray(values)
    sub = sub.set_index(spec["id_column"]).reindex(sample[spec["id_column"]]).reset_index()
    Path(spec["submission"]).parent.mkdir(parents=True, exist_ok=True)
    sub[list(sample.columns)].to_csv(spec["submission"], index=False)

"""FLAML's AutoML with the task's metric where FLAML knows it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from runner_common import load_spec, read_frames, seconds_left, write_submission

METRICS = {"auc": "roc_auc", "accuracy": "accuracy", "logloss": "log_loss", "f1_macro": "macro_f1",
           "rmse": "rmse", "rmsle": "rmse", "mae": "mae"}


def main() -> None:
    from flaml import AutoML

    spec = load_spec()
    X, y, test, ids = read_frames(spec)
    # FLAML's own data transformer is what its users get (it drops all-unique string columns, encodes
    # the other strings as categories, expands datetimes), but it knows strings by the object dtype
    # only, and pandas 3 reads them as its own string dtype.
    for frame in (X, test):
        for col in frame.columns:
            if pd.api.types.is_string_dtype(frame[col]) and not pd.api.types.is_object_dtype(frame[col]):
                frame[col] = frame[col].astype(object)
    task = "regression" if spec["task_type"] == "regression" else "classification"
    automl = AutoML()
    automl.fit(X_train=X, y_train=y, task=task, metric=METRICS.get(spec["metric"], "auto"),
               time_budget=seconds_left(spec), seed=spec["seed"], n_jobs=spec["threads"], verbose=0,
               log_file_name=str(Path(spec["workdir"]) / "flaml.log"))
    if task == "regression":
        write_submission(spec, ids, values=automl.predict(test))
        return
    proba = pd.DataFrame(automl.predict_proba(test), columns=[str(c) for c in automl.classes_])
    write_submission(spec, ids, values=automl.predict(test), proba=proba)


if __name__ == "__main__":
    main()

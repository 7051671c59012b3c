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
    # FLAML encodes object columns itself; it needs them as pandas categories or strings.
    for col in X.columns:
        if X[col].dtype == object:
            X[col] = X[col].astype("category")
            test[col] = pd.Categorical(test[col], categories=X[col].cat.categories)
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

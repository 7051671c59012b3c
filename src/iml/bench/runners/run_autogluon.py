"""AutoGluon's TabularPredictor with a preset chosen for the time budget."""

from __future__ import annotations

from pathlib import Path

from runner_common import load_spec, read_frames, seconds_left, write_submission

METRICS = {"auc": "roc_auc", "accuracy": "accuracy", "logloss": "log_loss", "f1_macro": "f1_macro",
           "rmse": "root_mean_squared_error", "rmsle": "root_mean_squared_error",
           "mae": "mean_absolute_error", "qwk": "quadratic_kappa", "mcc": "mcc"}


def preset(budget: float) -> str:
    # AutoGluon's docs pair best_quality with hours; short budgets do better with lighter presets.
    if budget < 900:
        return "medium_quality"
    return "good_quality" if budget < 3600 else "best_quality"


def main() -> None:
    from autogluon.tabular import TabularPredictor

    spec = load_spec()
    X, y, test, ids = read_frames(spec)
    label = "__label__"
    predictor = TabularPredictor(label=label, problem_type=spec["task_type"], eval_metric=METRICS.get(spec["metric"]),
                                 path=str(Path(spec["workdir"]) / "autogluon"), verbosity=1)
    predictor.fit(X.assign(**{label: y.to_numpy()}), time_limit=seconds_left(spec),
                  presets=preset(spec["time_budget"]))
    if spec["task_type"] == "regression":
        write_submission(spec, ids, values=predictor.predict(test).to_numpy())
        return
    proba = predictor.predict_proba(test)
    proba.columns = [str(c) for c in proba.columns]
    write_submission(spec, ids, values=predictor.predict(test).to_numpy(), proba=proba)


if __name__ == "__main__":
    main()

"""MLflow tracking of a finished run (the extra ``iml-automl[mlflow]``, asked for with ``--mlflow [TRACKING_URI]``).

One MLflow run per iml run: the run's options and task facts as params, the selection's and every
candidate's CV and holdout scores as metrics, the leaderboard, report, blueprint, task summary and
code as artifacts, and the fitted pipeline as a pyfunc model under the artifact path ``model``, so
``mlflow.pyfunc.load_model(f"runs:/{run_id}/model").predict(df)`` works in any process that has
MLflow and the learners' packages.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
from importlib import metadata, resources
from pathlib import Path

import pandas as pd

from iml.distribution import install_hint
from iml.errors import IMLError
from iml.options import RunOptions
from iml.runfolder import RunFolder
from iml.runtime.names import CODE_DIR, PIPELINE

MODEL_PATH = "model"
EXPERIMENT = "iml"  # unless MLFLOW_EXPERIMENT_NAME or MLFLOW_EXPERIMENT_ID names one
# Logged as artifacts at the top of the MLflow run, when the run folder has them.
ARTIFACTS = ("task_summary.json", "profile.json", "blueprint.json", "blueprint.md", "leaderboard.csv",
             "pipeline_report.json", "report.html", "selection_explained.md", PIPELINE)
# Distributions the pipeline needs wherever the model loads; the learners' only when installed here.
BASE_REQUIREMENTS = ("numpy", "pandas", "scikit-learn", "scipy")
# xgboost-cpu is xgboost without CUDA (the core's choice on Linux): whichever is installed is required.
LEARNER_REQUIREMENTS = ("lightgbm", "xgboost", "xgboost-cpu", "catboost", "torch", "tabm", "sentence-transformers")
PARAM_CHARS = 500  # MLflow caps a param's value; a long one (a goal text) is cut, the full text is an artifact


def require(options: RunOptions) -> None:
    """Fail before the run starts, not after it trained, when MLflow logging is asked for without mlflow."""
    if options.mlflow is not None and importlib.util.find_spec("mlflow") is None:
        raise IMLError("--mlflow needs the mlflow package, which is not installed here.",
                       hint=f"{install_hint('mlflow')}, or run without --mlflow")


def log_run(folder: RunFolder, options: RunOptions) -> dict:
    """Log the finished run; returns its MLflow run id, tracking URI and model URI."""
    import mlflow

    previous = mlflow.get_tracking_uri()
    if options.mlflow:
        mlflow.set_tracking_uri(options.mlflow)
    try:
        if not (os.environ.get("MLFLOW_EXPERIMENT_NAME") or os.environ.get("MLFLOW_EXPERIMENT_ID")):
            mlflow.set_experiment(EXPERIMENT)
        with mlflow.start_run(run_name=folder.path.name, nested=mlflow.active_run() is not None,
                              tags={"iml.run_dir": str(folder.path), "iml.variant": options.variant}) as run:
            mlflow.log_params(_params(folder, options))
            mlflow.log_metrics(_metrics(folder))
            for name in ARTIFACTS:
                if folder.file(name).is_file():
                    mlflow.log_artifact(str(folder.file(name)))
            mlflow.log_artifacts(str(folder.file(CODE_DIR)), artifact_path=CODE_DIR)
            info = _log_model(folder)
            return {"run_id": run.info.run_id, "tracking_uri": mlflow.get_tracking_uri(),
                    "experiment_id": run.info.experiment_id, "model_uri": f"runs:/{run.info.run_id}/{MODEL_PATH}",
                    "logged_model": info.model_uri}
    finally:
        mlflow.set_tracking_uri(previous)


def _params(folder: RunFolder, options: RunOptions) -> dict[str, str]:
    summary = json.loads(folder.file("task_summary.json").read_text())
    params = {f"option.{k}": _text(v) for k, v in options.model_dump().items() if k != "description"}
    params.update({"task.type": summary["task_type"], "task.metric": summary["metric"],
                   "task.target": ",".join(summary["target_columns"]), "task.id": _text(summary["id_column"]),
                   "task.name": summary["name"]})
    return params


def _text(value) -> str:
    text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return text[:PARAM_CHARS]


def _metrics(folder: RunFolder) -> dict[str, float]:
    """The selection's CV and holdout scores, and each candidate's CV mean, std and holdout score."""
    report = json.loads(folder.file("pipeline_report.json").read_text())
    selection = report.get("selection") or {}
    metrics = {"cv_score": selection.get("cv_score"), "holdout_score": selection.get("holdout_score")}
    board = pd.read_csv(folder.file("leaderboard.csv"))
    for row in board[board["status"] == "ok"].itertuples():
        name = f"{row.track}.{row.model}"
        metrics.update({f"cv.{name}": row.cv_score, f"cv_std.{name}": row.cv_std,
                        f"holdout.{name}": row.holdout, f"seconds.{name}": row.seconds})
    return {k: float(v) for k, v in metrics.items() if v is not None and not math.isnan(float(v))}


def _log_model(folder: RunFolder):
    import mlflow

    code = folder.file(CODE_DIR)
    # Each module and iml_runtime on its own: MLflow puts the folder holding the code paths on sys.path.
    code_paths = sorted(str(p) for p in code.iterdir()
                        if p.name != "__pycache__" and (p.suffix == ".py" or p.is_dir()))
    model_code = resources.files("iml").joinpath("templates", "mlflow_model.py")
    return mlflow.pyfunc.log_model(name=MODEL_PATH, python_model=str(model_code),
                                   artifacts={"pipeline": str(folder.file("model") / "pipeline.pkl")},
                                   code_paths=code_paths, pip_requirements=_requirements())


def _requirements() -> list[str]:
    """Pinned to the versions the pipeline was fitted with here (inferring them would import and run the model)."""
    found = []
    for name in (*BASE_REQUIREMENTS, *LEARNER_REQUIREMENTS):
        try:
            # without a local label (torch's "+cpu"): the index has no such release to install
            found.append(f"{name}=={metadata.version(name).split('+')[0]}")
        except metadata.PackageNotFoundError:
            if name in BASE_REQUIREMENTS:
                found.append(name)
    return found

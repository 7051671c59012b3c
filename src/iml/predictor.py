"""A finished run as a Python object: predict, score and explain with its fitted pipeline, in this process.

The pipeline in ``model/pipeline.pkl`` runs here, through the run's own code (``run_code.RunCode``), with
no subprocess per call. That is what ``pickle.load`` does too: load only runs you trust (``iml predict``
runs the same code in the sandbox instead). Input is checked against the training schema first
(``schema.InputSchema``), so a table the pipeline was not trained on is refused with what is wrong.
"""

from __future__ import annotations

import dataclasses
import importlib
import pickle
import warnings
from pathlib import Path
import numpy as np
import pandas as pd

from iml.errors import DataError, RunFolderError
from iml.perception.profile import Profile
from iml.perception.summary import TaskSummary
from iml.planning.blueprint import Blueprint
from iml.run_code import RunCode
from iml.runfolder import RunFolder
from iml.runtime import metrics
from iml.runtime.importance import permutation_importance
from iml.schema import InputSchema

# The metrics evaluate() reports besides the task's own, by task type (regression ones that need
# non-negative or non-zero truth are added only when it has that).
REPORTED = {
    "binary": ["auc", "average_precision", "logloss", "accuracy", "balanced_accuracy", "f1", "precision", "recall",
               "mcc"],
    "multiclass": ["accuracy", "balanced_accuracy", "f1_macro", "logloss", "mcc"],
    "regression": ["rmse", "mae", "r2"],
}


class Predictor:
    """The fitted pipeline of a run folder. ``iml.fit`` returns one; ``iml.load(run_dir)`` opens one."""

    def __init__(self, run_dir: str | Path):
        self._folder = RunFolder.open(Path(run_dir))
        model = self._folder.file("model") / "pipeline.pkl"
        if not model.exists():
            raise RunFolderError(f"{run_dir} has no fitted pipeline (model/pipeline.pkl).",
                                 hint="finish the run first with `iml resume RUN_DIR`")
        self.summary: TaskSummary = self._folder.read_model("task_summary.json", TaskSummary)
        self.blueprint: Blueprint = self._folder.read_model("blueprint.json", Blueprint)
        self.schema = InputSchema.of(self.summary, self._folder.read_model("profile.json", Profile), self.blueprint)
        self._code = RunCode(self._folder.path)
        with self._code.active(), open(model, "rb") as fh:
            self._fitted = pickle.load(fh)
            self._preprocess = importlib.import_module("preprocess")
            differences = self._fitted.version_differences()
        if not hasattr(self._fitted, "predict_table"):
            raise RunFolderError(f"{run_dir} was fitted by an older iml whose pipeline cannot predict labels "
                                 "and probabilities apart.", hint="train it again with `iml run`")
        if differences:
            listed = ", ".join(f"{name} {fitted} (installed: {now or 'missing'})"
                               for name, (fitted, now) in sorted(differences.items()))
            warnings.warn(f"{self.run_dir} was fitted with other versions than are installed: {listed}; its "
                          "predictions may differ or fail", stacklevel=2)

    def __repr__(self) -> str:
        return (f"Predictor({str(self.run_dir)!r}: {self.summary.task_type.value}, target "
                f"{self.summary.target!r}, metric {self.summary.metric})")

    @property
    def run_dir(self) -> Path:
        return self._folder.path

    @property
    def label(self) -> str:
        return self.summary.target

    @property
    def classes(self) -> list[str] | None:
        return None if self._fitted.objective.classes is None else [str(c) for c in self._fitted.objective.classes]

    # ------------------------------------------------------------------ predictions
    def predict(self, data: pd.DataFrame | str | Path) -> pd.Series:
        """The predicted label (classification) or value (regression) per row, indexed as the input."""
        frame = self._checked(data)
        with self._code.active():
            labels = self._fitted.predict_labels(frame)
        return pd.Series(labels, index=frame.index, name=self.label)

    def predict_proba(self, data: pd.DataFrame | str | Path) -> pd.DataFrame:
        """One column per class (named by it) holding its probability; rows indexed as the input."""
        if self.classes is None:
            raise DataError("a regression pipeline predicts values, not class probabilities.",
                            hint="use predict()")
        frame = self._checked(data)
        with self._code.active():
            return self._fitted.predict_proba(frame)

    def predict_table(self, data: pd.DataFrame | str | Path, output: str = "submission") -> pd.DataFrame:
        """What ``iml predict --output`` writes: "labels", "probabilities" or "submission" (the task's format)."""
        frame = self._checked(data, needs_id=output == "submission")
        with self._code.active():
            return self._fitted.predict_table(frame, output)

    # ------------------------------------------------------------------ the run's results
    def leaderboard(self) -> pd.DataFrame:
        """Every candidate: track, model, status, CV score and its spread over the folds, holdout, seconds."""
        path = self._folder.file("leaderboard.csv")
        if not path.exists():
            raise RunFolderError(f"{self.run_dir} has no leaderboard.csv.", hint="finish the run with `iml resume`")
        return pd.read_csv(path)

    def evaluate(self, data: pd.DataFrame | str | Path) -> dict[str, float]:
        """The task's metric and the usual others on labelled rows (``data`` holds the target column)."""
        frame = self._read(data)
        y = self._labels(frame)
        features, _ = self.schema.check(frame.drop(columns=self.summary.target_columns))
        with self._code.active():
            matrix = self._fitted.predict_matrix(features)
        names = [self.summary.metric, *REPORTED.get(self.summary.task_type.value, [])]
        if self.classes is None:
            truth = y.to_numpy(dtype=float)
            names += ["rmsle"] * bool((truth >= 0).all()) + ["mape"] * bool((truth != 0).all())
        return {name: self._score(name, y, matrix) for name in dict.fromkeys(names)}

    def feature_importance(self, data: pd.DataFrame | str | Path | None = None, n_shuffles: int = 3,
                           max_rows: int = 2000, seed: int = 0) -> pd.DataFrame:
        """Permutation importance: how much the task's metric worsens when one column's values are shuffled.

        On the run's holdout rows by default (on its training rows when it kept no holdout: those the
        models saw, so the numbers flatter them), or on ``data`` (labelled rows). One row per input
        column, most important first: importance (mean drop), stddev, n_shuffles.
        """
        frame = self._holdout() if data is None else self._read(data)
        if len(frame) > max_rows:
            frame = frame.sample(max_rows, random_state=seed)
        y = self._labels(frame)
        features, _ = self.schema.check(frame.drop(columns=self.summary.target_columns))
        with self._code.active():
            _, rows, _ = permutation_importance(
                lambda data: self._score(self.summary.metric, y, self._fitted.predict_matrix(data)), features,
                self.schema.required, self.summary.greater_is_better, repeats=n_shuffles, seed=seed)
        table = pd.DataFrame(rows, columns=["column", "importance", "std", "repeats"]).rename(
            columns={"column": "feature", "std": "stddev", "repeats": "n_shuffles"})
        return table.set_index("feature").sort_values("importance", ascending=False)

    # ------------------------------------------------------------------ helpers
    def _read(self, data: pd.DataFrame | str | Path) -> pd.DataFrame:
        """A DataFrame as given, or a table file read as training read its tables (media paths resolved)."""
        if isinstance(data, pd.DataFrame):
            return data
        path = Path(data)
        if not path.is_file():
            raise DataError(f"input file {path} does not exist.", hint="pass a table file or a DataFrame")
        from iml.data_io import read_table

        read_table(path, nrows=5)  # an empty or unreadable file: a clear error before the run's code reads it
        with self._code.active():
            return self._preprocess.read_frame(path)

    def _checked(self, data, needs_id: bool = False) -> pd.DataFrame:
        frame, notes = self.schema.check(self._read(data), needs_id=needs_id)
        for note in notes:
            warnings.warn(note, stacklevel=3)
        return frame

    def _labels(self, frame: pd.DataFrame) -> pd.Series:
        target = self.summary.target
        if target not in frame.columns:
            raise DataError(f"the rows to score have no target column {target!r}.",
                            hint="pass labelled rows: the features and the target")
        y = frame[target]
        if y.isna().any():
            raise DataError(f"the target column {target!r} has {int(y.isna().sum())} missing values.",
                            hint="drop the unlabelled rows before scoring")
        return y

    def _score(self, name: str, y: pd.Series, matrix: np.ndarray) -> float:
        """``name`` of the predictions: probability and value metrics on the matrix, label metrics on the labels
        the pipeline predicts (its decision rule's, when it adopted one)."""
        objective = self._fitted.objective
        if metrics.family(name) in metrics.REGRESSION_METRICS:
            return float(metrics.score(name, y.to_numpy(dtype=float), self._fitted.labels_of(matrix)))
        if name in metrics.PROBABILITY_METRICS:
            scoring = dataclasses.replace(objective, metric=name, greater_is_better=metrics.greater_is_better(name))
            try:
                return scoring.evaluate(objective.encode_target(_label_strings(y)), matrix)
            except ValueError as exc:  # unknown classes, one class only
                raise DataError(f"{name} cannot be computed on these rows: {exc}",
                                hint="score rows whose target holds the training classes") from None
        return float(metrics.score(name, _label_strings(y).to_numpy(), self._fitted.labels_of(matrix),
                                   labels=self.classes, positive_label=self.summary.positive_label))

    def _holdout(self) -> pd.DataFrame:
        """The rows the run held out from tuning and selection (as its pipeline split them), or its training rows."""
        data_dir = self._folder.state().data_dir
        with self._code.active():
            config = importlib.import_module("pipeline").CONFIG
            raw = self._preprocess.load(data_dir)
            folds = importlib.import_module("iml_runtime.folds")
            y = self._fitted.objective.encode_target(raw.y)
            _dev, hold = folds.split_holdout(y, float(config["holdout_fraction"]), int(config["seed"]),
                                             self._fitted.objective.classification)
        if len(hold) == 0:
            warnings.warn("the run kept no holdout (too few rows): importance is measured on its training rows, "
                          "which the models saw", stacklevel=3)
            return raw.train
        return raw.train.iloc[hold]


def _label_strings(y: pd.Series) -> pd.Series:
    """Targets as the class strings training used (1.0 -> '1')."""
    from iml.perception.description import label_strings

    return label_strings(y).reindex(y.index)


__all__ = ["Predictor"]

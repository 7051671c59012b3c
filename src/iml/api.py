"""The Python API: ``iml.fit`` runs the whole flow, as ``iml run`` does, and returns a Predictor.

    import iml
    predictor = iml.fit(train_df, label="churned", time_budget=120)
    predictor.predict(new_df)

It follows scikit-learn and AutoGluon (``TabularPredictor(label=...).fit(df)``): the data and its
label in, a fitted object out, and every artifact of the run in its folder (``predictor.run_dir``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from iml.errors import IMLError
from iml.inputs import Table, stage_tables
from iml.predictor import Predictor


def fit(train: Table, label: str | None = None, *, test: Table | None = None, description: str | None = None,
        time_budget: float = 300, metric: str | None = None, problem_type: str | None = None,
        presets: str | None = None, run_dir: str | Path | None = None, quiet: bool = False,
        **options: Any) -> Predictor:
    """Train on ``train`` (a DataFrame, a table file, or a task folder) and return the fitted Predictor.

    ``label`` names the target column (inferred from a task folder when None). With ``test`` (a DataFrame
    or a file) the run also writes ``submission.csv`` for its rows; without one it trains, validates and
    writes the model, report and code only. ``metric``, ``problem_type`` ("binary", "multiclass",
    "regression") override what iml infers; ``presets`` is fast, medium or best; ``run_dir`` is the new run
    folder (default runs/<time>-<task>/). Further keywords are ``iml run``'s options by their Python names
    (``seed``, ``tracks``, ``ensemble``, ``id_column``, ``llm``...). Raises IMLError with a hint when the
    data or an option cannot be used.
    """
    from iml.flow import Run
    from iml.progress import Progress
    from iml.settings import run_options

    fields = {"target": label, "description": description, "time_budget": time_budget, "metric": metric,
              "problem_type": problem_type, "run_dir": str(run_dir) if run_dir is not None else None, **options}
    if presets is not None:
        fields["presets"] = presets
    if isinstance(fields.get("tracks"), str):
        fields["tracks"] = [t.strip() for t in fields["tracks"].split(",") if t.strip()]
    with tempfile.TemporaryDirectory(prefix="iml-input-") as staging:
        if isinstance(train, (str, Path)) and Path(train).is_dir():
            if test is not None:
                raise IMLError("a task folder holds its own test table; test= goes with a train table.",
                               hint="pass train as a DataFrame or a file, or leave test out")
            fields["data_dir"] = str(train)
        else:
            fields.update(stage_tables(Path(staging), train, test), keep_data=True)
        run = Run.start(run_options(fields, hint="see help(iml.fit) and `iml run --help`"), Progress(quiet=quiet))  # copies the staged tables into the run folder
    run.execute()
    return Predictor(run.folder.path)


def load(run_dir: str | Path) -> Predictor:
    """The fitted pipeline of a finished run folder, to predict with in this process (the run's code runs
    here, as with pickle.load: load runs you trust)."""
    return Predictor(run_dir)


__all__ = ["fit", "load", "Predictor"]

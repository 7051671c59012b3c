"""Assembler: binds the generated modules into pipeline.py, a standalone program."""

from __future__ import annotations

from iml.coding.coder import tracks_of
from iml.perception.summary import TaskSummary
from iml.planning.blueprint import Blueprint
from iml.runtime.names import FEATURE_MODULES, TRACK_FEATURES
from iml.templating import render


def pipeline_config(bp: Blueprint, summary: TaskSummary, time_budget: float) -> dict:
    sub = summary.submission
    return {
        "task_type": bp.contract.target.task_type,
        "classes": bp.contract.target.classes,
        "metric": bp.eval.metric,
        "greater_is_better": bp.eval.greater_is_better,
        "prediction": bp.eval.prediction,
        "positive_label": summary.positive_label,
        "id_column": sub.id_column,
        "submission_columns": sub.columns,
        "prediction_columns": sub.prediction_columns,
        "class_columns": sub.class_columns,
        "target_transform": bp.prep.target_transform,
        "min_value": bp.contract.prediction.min_value,
        "tracks": tracks_of(bp),
        "track_features": {t: TRACK_FEATURES[t] for t in tracks_of(bp)},
        "feature_modules": {TRACK_FEATURES[t]: FEATURE_MODULES[TRACK_FEATURES[t]] for t in tracks_of(bp)
                            if TRACK_FEATURES[t] in FEATURE_MODULES},
        "feature_seconds": bp.model.feature_seconds,
        "candidates": [c.model_dump() for c in bp.model.candidates],
        "cv": bp.train.cv,
        "n_folds": bp.train.n_folds,
        "holdout_fraction": bp.train.holdout_fraction,
        "seed": bp.train.seed,
        "max_trials": bp.train.max_trials,
        "hpo_share": bp.train.hpo_share,
        "ensemble": bp.train.ensemble,
        "time_budget": round(time_budget, 1),
    }


def assemble(bp: Blueprint, summary: TaskSummary, time_budget: float, sections: dict[str, str] | None = None) -> str:
    """pipeline.py importing code/*.py; or, with ``sections`` (module path -> source, the mono variant),
    one script holding those sources itself."""
    inlined = {name: _inlinable(source) for name, source in sections.items()} if sections else None
    return render("pipeline.py.j2", bp=bp, config=pipeline_config(bp, summary, time_budget), sections=inlined)


def _inlinable(source: str) -> str:
    """A module's source as a section of the script: a future import may only open a file, and the script has it."""
    return "".join(line for line in source.splitlines(True) if line.strip() != "from __future__ import annotations")

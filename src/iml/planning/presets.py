"""Presets as data: how much a run explores, in the spirit of AutoGluon's ``presets``.

A preset names the traditional track's candidate learners with their time weights, the folds and
the tuning trials; the Guideline expert (planning/guideline.py) reads it and records which preset
it planned with, and why, in the blueprint. Each candidate entry:

- ``learner``: a name in iml.runtime.names.TABULAR_LEARNERS;
- ``weight``: its share of the time budget, relative to the other candidates;
- ``min_budget``: seconds of time budget below which it is left out (0: always planned);
- ``max_cells``/``large_weight`` (optional): above that many training cells (rows x columns) it
  weighs ``large_weight`` instead, or is left out when ``large_weight`` is 0;
- ``max_rows`` (optional): left out above that many training rows.

``n_folds`` None keeps the expert's rule (5 folds, 3 on large data or a short budget). The order of
the candidates is the order they run in: the first is cheap and strong (LightGBM), so a first
submission exists early; the cheap diverse learners weigh little and come last, for the ensemble.
The portfolio of known-good configurations (iml.runtime.spaces.PORTFOLIO) is tried before TPE in up
to half of the trials, so more trials also mean more of the portfolio.
"""

from __future__ import annotations

from typing import Any

from iml.errors import IMLError

DEFAULT_PRESET = "medium"

_DIVERSE = [
    {"learner": "extra_trees", "weight": 0.6, "min_budget": 90, "max_cells": 20_000_000, "large_weight": 0.0},
    {"learner": "random_forest", "weight": 0.6, "min_budget": 120, "max_cells": 20_000_000, "large_weight": 0.0},
    {"learner": "knn", "weight": 0.3, "min_budget": 120, "max_rows": 100_000},
]

PRESETS: dict[str, dict[str, Any]] = {
    "fast": {
        "tradeoff": "a first good model soonest: LightGBM and the linear model, 3 folds, 10 trials",
        "candidates": [
            {"learner": "lightgbm", "weight": 3.0, "min_budget": 0},
            {"learner": "linear", "weight": 0.5, "min_budget": 0},
        ],
        "n_folds": 3,
        "max_trials": 10,
        "hpo_share": 0.3,
    },
    "medium": {
        "tradeoff": "the default: the three boosters, the linear model and cheap diverse learners for the "
                    "ensemble, 5 folds, 60 trials",
        "candidates": [
            {"learner": "lightgbm", "weight": 3.0, "min_budget": 0},
            {"learner": "linear", "weight": 0.5, "min_budget": 0},
            {"learner": "catboost", "weight": 2.0, "min_budget": 60, "max_cells": 5_000_000, "large_weight": 1.0},
            {"learner": "xgboost", "weight": 1.5, "min_budget": 120},
            *_DIVERSE,
        ],
        "n_folds": None,
        "max_trials": 60,
        "hpo_share": 0.4,
    },
    "best": {
        "tradeoff": "the most accurate, needing a long budget: every learner with more time each, 5 folds, "
                    "150 trials (the whole portfolio)",
        "candidates": [
            {"learner": "lightgbm", "weight": 3.0, "min_budget": 0},
            {"learner": "linear", "weight": 0.5, "min_budget": 0},
            {"learner": "catboost", "weight": 2.5, "min_budget": 60, "max_cells": 5_000_000, "large_weight": 1.5},
            {"learner": "xgboost", "weight": 2.0, "min_budget": 60},
            {"learner": "extra_trees", "weight": 1.0, "min_budget": 60},
            {"learner": "random_forest", "weight": 1.0, "min_budget": 90},
            {"learner": "knn", "weight": 0.5, "min_budget": 90, "max_rows": 200_000},
        ],
        "n_folds": 5,
        "max_trials": 150,
        "hpo_share": 0.5,
    },
}


def preset(name: str) -> dict[str, Any]:
    """A preset by name; an unknown name is an error that lists the valid ones with their trade-offs."""
    if name not in PRESETS:
        raise IMLError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}.", hint=describe())
    return PRESETS[name]


def describe() -> str:
    """One line per preset: its name and trade-off (for --help and errors)."""
    return "; ".join(f"{name}: {p['tradeoff']}" for name, p in PRESETS.items())


def candidates(name: str, n_rows: int, n_cells: int, time_budget: float) -> tuple[list[tuple[str, float]], list[str]]:
    """(learner, weight) pairs the preset plans for this data and budget, and why the others are left out."""
    planned: list[tuple[str, float]] = []
    left_out: list[str] = []
    for entry in preset(name)["candidates"]:
        learner, weight = entry["learner"], float(entry["weight"])
        if time_budget < entry.get("min_budget", 0):
            left_out.append(f"{learner} (needs a budget of {entry['min_budget']}s)")
            continue
        if n_rows > entry.get("max_rows", n_rows):
            left_out.append(f"{learner} (more than {entry['max_rows']:,} rows)")
            continue
        if n_cells > entry.get("max_cells", n_cells):
            weight = float(entry.get("large_weight", weight))
            if weight <= 0:
                left_out.append(f"{learner} (more than {entry['max_cells']:,} cells)")
                continue
        planned.append((learner, weight))
    return planned, left_out

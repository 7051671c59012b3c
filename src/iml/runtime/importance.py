"""Permutation importance of a fitted pipeline, per input column: how much its score worsens when one
column's values are shuffled. One implementation for the report's sandboxed probe and for
``Predictor.feature_importance``; it imports nothing of iml, so the probe runs it from a run's code/.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd


def permutation_importance(evaluate: Callable[[pd.DataFrame], float], frame: pd.DataFrame, columns: Sequence[str],
                           greater_is_better: bool, repeats: int = 3, seed: int = 0,
                           deadline: float | None = None) -> tuple[float, list[dict], list[str]]:
    """(the unshuffled score, one row per column measured, the columns the ``deadline`` left out).

    Each row: ``column``, ``importance`` (the mean drop in score, positive when the column helps),
    ``std`` (its sample standard deviation over the repeats; 0 with one repeat), ``repeats``.
    ``deadline`` is a ``time.monotonic()`` value.
    """
    rng = np.random.default_rng(seed)
    base = float(evaluate(frame))
    sign = 1.0 if greater_is_better else -1.0
    rows, left_out = [], []
    for column in columns:
        if deadline is not None and time.monotonic() > deadline:
            left_out.append(column)
            continue
        drops = []
        for _ in range(repeats):
            shuffled = frame.copy()
            shuffled[column] = frame[column].to_numpy()[rng.permutation(len(frame))]
            drops.append(sign * (base - float(evaluate(shuffled))))
        rows.append({"column": column, "importance": float(np.mean(drops)),
                     "std": float(np.std(drops, ddof=1)) if repeats > 1 else 0.0, "repeats": repeats})
    return base, rows, left_out

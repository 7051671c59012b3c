"""Permutation importance: a column the score depends on matters, one it ignores does not."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from iml.runtime.importance import permutation_importance


def _task(n: int = 400):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"signal": rng.normal(size=n), "noise": rng.normal(size=n)})
    y = (frame["signal"] > 0).to_numpy()
    return frame, y


def test_the_column_the_score_uses_matters_and_the_other_does_not() -> None:
    frame, y = _task()
    accuracy = lambda data: float(np.mean((data["signal"] > 0).to_numpy() == y))  # noqa: E731
    base, rows, left_out = permutation_importance(accuracy, frame, ["signal", "noise"], True, repeats=3)
    by = {r["column"]: r for r in rows}
    assert base == 1.0 and left_out == []
    assert 0.35 < by["signal"]["importance"] < 0.65 and by["signal"]["std"] > 0  # shuffled: about half right
    assert by["noise"]["importance"] == 0.0 and by["noise"]["std"] == 0.0
    assert frame.equals(_task()[0])  # the caller's frame is never shuffled in place


def test_a_lower_is_better_score_counts_a_rise_as_importance_and_the_deadline_leaves_columns_out() -> None:
    frame, y = _task()
    error = lambda data: float(np.mean((data["signal"] > 0).to_numpy() != y))  # noqa: E731
    _, rows, _ = permutation_importance(error, frame, ["signal"], False, repeats=2, seed=3)
    assert rows[0]["importance"] > 0.35 and rows[0]["repeats"] == 2
    _, rows, left_out = permutation_importance(error, frame, ["signal", "noise"], False,
                                               deadline=time.monotonic() - 1)
    assert rows == [] and left_out == ["signal", "noise"]

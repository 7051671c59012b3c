"""The one way media that cannot be read is handled: zero features, a 1 in ``<col>__unreadable``, a log line.

A missing or corrupt file is an expected property of real data, never an exception: the row stays,
the model sees the indicator, and the printed line tells a person which files to look at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .base import Columns


def log_unreadable(prefix: str, bad: Sequence[float], paths: pd.Series) -> None:
    """Print how many files failed, with a few names, so the run's log says which ones."""
    failed = [str(p) for p, b in zip(paths, bad) if b]
    if failed:
        print(f"preprocess: {prefix}: {len(failed)} of {len(bad)} files missing or unreadable "
              f"(features zero, {prefix}__unreadable = 1), e.g. {', '.join(Path(f).name for f in failed[:3])}",
              flush=True)


def flagged(names: Sequence[str], paths: pd.Series, prefix: str, read: Callable[[object], Any],
            compute: Callable[[Any], np.ndarray]) -> Columns:
    """One column per name, a row per file: ``compute(read(path))``, or zeros where ``read`` raised; plus the
    indicator. Only reading is guarded: a failing computation on a file that did read is a defect to see."""
    rows, bad = [], []
    for value in paths:
        try:
            item = read(value)
        except Exception:  # unreadable or missing file: handled as missing, per the blueprint
            rows.append(np.zeros(len(names)))
            bad.append(1.0)
            continue
        rows.append(compute(item))
        bad.append(0.0)
    matrix = np.vstack(rows) if rows else np.zeros((0, len(names)))
    out: Columns = {name: matrix[:, j] for j, name in enumerate(names)}
    log_unreadable(prefix, bad, paths)
    out[f"{prefix}__unreadable"] = np.asarray(bad)
    return out

"""What a task's tables lack or repeat, said before any work: refused with a reason, or worked around and noted.

Each check returns the notes that become the task summary's ``warnings`` (printed and logged as the run
starts) or raises a DataError naming the file, what is wrong and what to do.
"""

from __future__ import annotations

import pandas as pd

from iml.errors import DataError
from iml.runtime.tables import TableFormat

# 5-fold cross-validation and a holdout need rows to split; fewer labelled rows cannot be validated.
MIN_TRAIN_ROWS = 10


def separator_clue(a: TableFormat, b: TableFormat) -> str:
    """Why two tables may share no column: one file's separator is not the other's."""
    if a.kind == b.kind == "text" and a.sep != b.sep:
        return f" (the train file is separated by {a.sep!r}, the test file by {b.sep!r})"
    return ""


def check_rows(train: pd.DataFrame, targets: list[str], name: str) -> list[str]:
    """Enough labelled rows to validate a model; rows without a target said, as they are left out."""
    unlabelled = int(train[targets].isna().any(axis=1).sum())
    labelled = len(train) - unlabelled
    if labelled < MIN_TRAIN_ROWS:
        without = f" ({unlabelled} more have no {targets[0]!r} value)" if unlabelled else ""
        raise DataError(f"{name} has {labelled} labelled row{'s' * (labelled != 1)}{without}: iml needs at least "
                        f"{MIN_TRAIN_ROWS} to train and cross-validate a model.",
                        hint="add training rows (a few hundred make a useful model)")
    if unlabelled:
        return [f"{name}: {unlabelled} of {len(train)} rows have no {targets[0]!r} value; they are left out of "
                "training"]
    return []


def check_test(train: pd.DataFrame, test: pd.DataFrame, targets: list[str], id_col: str | None,
               name: str) -> list[str]:
    """What the test table lacks or repeats, and what iml does about it."""
    notes = []
    missing = [str(c) for c in train.columns if c not in test.columns and c not in targets and c != id_col]
    if missing:
        notes.append(f"{name} lacks {len(missing)} column(s) of the train table ({_names(missing)}): they cannot be "
                     "used as features")
    extra = [str(c) for c in test.columns if c not in train.columns and c != id_col]
    if extra:
        notes.append(f"{name} has {len(extra)} column(s) the train table lacks ({_names(extra)}): ignored")
    if id_col is not None and id_col in test.columns and (dups := test[id_col][test[id_col].duplicated()]).size:
        notes.append(f"{name} repeats {dups.size} {id_col!r} value(s) (e.g. {list(map(str, dups.unique()[:3]))}): "
                     "the submission keeps one row per test row, so these ids appear more than once")
    return notes


def check_features(train: pd.DataFrame, targets: list[str], id_col: str | None, has_media: bool, name: str) -> None:
    """Something to learn from besides the id and the target: a column, or media files the rows name."""
    if not has_media and not [c for c in train.columns if c not in targets and c != id_col]:
        raise DataError(f"{name} has no feature column: only "
                        f"{', '.join(repr(c) for c in [id_col, *targets] if c)}; nothing to learn from.",
                        hint="add the columns that describe each row (or the media files they name)")


def _names(columns: list[str]) -> str:
    return ", ".join(columns[:10]) + (", ..." if len(columns) > 10 else "")

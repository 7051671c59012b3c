"""Reading a task's tables: the raw frames every feature set starts from.

Media cells hold file names relative to the table's own folder (Kaggle's layout), so a path is
resolved where the table lies, not where the program runs; a bare name is also looked up in the
media sub-folders perception found (``train/``, ``images/``...). Media that no column names are
reached through a key column and a file-name pattern (``images/<PetID>-1.jpg``) and added as a
path column, so the extractors see every medium the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .tables import read_table

# (added path column, key column, sub-folders tried, file-name pattern with one {} for the key)
MediaJoin = tuple[str, str, Sequence[str], str]


# With no test table, the first training rows (target dropped) stand in for it: the predict path then runs
# and is verified as with a test table, and no submission is written.
STAND_IN_ROWS = 50


@dataclass
class RawData:
    """The frames a pipeline starts from; ``y`` is the target of the labelled training rows.

    ``has_test`` False: there is no test table and ``test`` holds the stand-in rows (STAND_IN_ROWS)."""

    train: pd.DataFrame
    test: pd.DataFrame
    test_ids: pd.Series | None
    y: pd.Series
    has_test: bool = True


def media_path(root: Path, value: object, folders: Iterable[str] = (), pattern: str | None = None) -> str | None:
    """The file a cell names: under ``root``, else under the first sub-folder holding it; None for no value.

    A name found nowhere still comes back (under ``root``), so the extractors flag it as unreadable
    instead of the table losing the row.
    """
    if not isinstance(value, str) and pd.isna(value):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)  # a key read as float (7.0) names file '7...'
    name = pattern.format(value) if pattern else str(value)
    direct = root / name
    if direct.exists():
        return str(direct)
    return str(next((root / f / name for f in folders if (root / f / name).exists()), direct))


def read_frame(path: str | Path, image_columns: Sequence[str] = (), audio_columns: Sequence[str] = (),
               media_folders: Mapping[str, Sequence[str]] | None = None,
               media_joins: Iterable[MediaJoin] = ()) -> pd.DataFrame:
    """A table with its media cells turned into paths resolved against the table's own folder."""
    path = Path(path)
    frame = read_table(path)
    media_folders = media_folders or {}
    for c in [*image_columns, *audio_columns]:
        if c in frame.columns:
            frame[c] = [media_path(path.parent, v, media_folders.get(c, [])) for v in frame[c]]
    for column, key, folders, pattern in media_joins:
        if key in frame.columns:
            frame[column] = [media_path(path.parent, v, folders, pattern) for v in frame[key]]
    return frame


def load_task(data_dir: str | Path, train_file: str, test_file: str | None, target: str, id_column: str | None,
              read: Callable[[Path], pd.DataFrame] = read_table) -> RawData:
    """Train and test frames read with ``read``; training rows without a target are dropped.
    No ``test_file``: the stand-in rows are the test (``has_test`` False).

    ``read`` is the task module's own ``read_frame`` (its media columns bound), so a person who
    changes how a table is read changes it for training, test and later predictions at once.
    """
    data_dir = Path(data_dir)
    train = read(data_dir / train_file)
    train = train[train[target].notna()].reset_index(drop=True)
    if test_file is None:
        test = train.drop(columns=[target]).head(STAND_IN_ROWS).reset_index(drop=True)
        return RawData(train=train, test=test, test_ids=None, y=train[target], has_test=False)
    test = read(data_dir / test_file)
    test_ids = test[id_column] if id_column in test.columns else None
    return RawData(train=train, test=test, test_ids=test_ids, y=train[target])

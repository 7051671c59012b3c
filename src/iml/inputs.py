"""Tables given one by one (DataFrames, or files anywhere) laid out as a task folder the flow can read.

The flow reads a task folder; a Python user has DataFrames, a command-line user may have one CSV among
others. Both are written (or copied) into a staging folder as ``train`` and ``test`` tables, and the run
copies that folder into its own ``data/`` (``RunOptions.keep_data``), so resuming and predicting later
read the very rows it was trained on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from iml.data_io import TABLE_SUFFIXES, table_stem, table_suffix
from iml.errors import DataError

Table = pd.DataFrame | str | Path


def stage_tables(folder: Path, train: Table, test: Table | None = None) -> dict[str, str]:
    """Write ``train`` (and ``test``) into ``folder``; RunOptions fields for it: data_dir and the task's name."""
    folder.mkdir(parents=True, exist_ok=True)
    name = _stage(folder, "train", train)
    if test is not None:
        _stage(folder, "test", test)
    return {"data_dir": str(folder.resolve()), "name": name}


def _stage(folder: Path, role: str, table: Table) -> str:
    """Put one table in the folder as ``<role>.<suffix>``; the task's name it suggests."""
    if isinstance(table, pd.DataFrame):
        if table.empty:
            raise DataError(f"the {role} DataFrame has no rows.", hint=f"pass a {role} table with data rows")
        table.to_csv(folder / f"{role}.csv", index=False)
        return "dataframe"
    path = Path(table).expanduser()
    suffix = table_suffix(path)
    if not path.is_file() or suffix is None:
        raise DataError(f"{path} is not a table file.",
                        hint=f"pass a DataFrame or a {'/'.join(TABLE_SUFFIXES)} file (or a task folder as train)")
    shutil.copyfile(path, folder / f"{role}{suffix}")
    # "train.csv" names nothing; the folder holding it usually names the task
    stem = table_stem(path)
    return path.parent.resolve().name if stem.lower() in ("train", "training", "data") else stem

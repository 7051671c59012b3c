"""Reading the user's files, with errors that say what is wrong and what to do."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from iml.distribution import install_hint
from iml.errors import DataError

TABLE_SUFFIXES = (".csv", ".tsv", ".parquet")


def read_table(path: str | Path, nrows: int | None = None) -> pd.DataFrame:
    """Read a CSV/TSV/Parquet file; an unreadable or empty file raises DataError."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist.", hint="check the data folder and the file name")
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty (0 bytes).", hint="provide a file with a header row and data rows")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            sep = "\t" if path.suffix == ".tsv" else ","
            frame = pd.read_csv(path, sep=sep, nrows=nrows, low_memory=False)
    except ImportError as exc:
        raise DataError(f"{path.name} needs an optional package to be read: {exc}",
                        hint=f"{install_hint('parquet')}, or provide the table as CSV") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise DataError(
            f"{path.name} could not be read as a table: {str(exc).splitlines()[0]}",
            hint="make sure it is a well-formed CSV (comma-separated, UTF-8, one header row)",
        ) from exc
    if frame.shape[1] == 0:
        raise DataError(f"{path.name} has no columns.", hint="the first line must be a header row")
    if len(frame) == 0:
        raise DataError(f"{path.name} has a header but no data rows.", hint="add data rows to the file")
    return frame

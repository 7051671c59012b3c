"""Reading the user's files, with errors that say what is wrong and what to do.

The reading itself is ``iml.runtime.tables`` (encodings, separators, compression), the one reader
generated pipelines use too; this wrapper turns its failures into DataErrors with a hint.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from iml.distribution import install_hint
from iml.errors import DataError
from iml.runtime.tables import TABLE_SUFFIXES, Table, TableError, read, table_stem, table_suffix

__all__ = ["TABLE_SUFFIXES", "read_table", "read_with_format", "table_stem", "table_suffix"]

READ_HINT = ("save it as a CSV with one header row (UTF-8 or Latin-1, separated by commas, semicolons, tabs "
             "or pipes; gzip/bz2/xz/zip compression is fine), or as Parquet or Excel")


def read_table(path: str | Path, nrows: int | None = None) -> pd.DataFrame:
    """Read a table file; an unreadable or empty file raises DataError."""
    return read_with_format(path, nrows).frame


def read_with_format(path: str | Path, nrows: int | None = None) -> Table:
    """The frame and how it was read (``Table.format.notes``: each choice that is not the default)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist.", hint="check the data folder and the file name")
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty (0 bytes).", hint="provide a file with a header row and data rows")
    try:
        table = read(path, nrows)
    except ImportError as exc:
        if table_suffix(path) == ".xlsx":
            raise DataError(f"{path.name} is an Excel workbook, and reading one needs openpyxl, which is not "
                            "installed.", hint=f"{install_hint('excel')}, or save the table as CSV") from exc
        raise DataError(f"{path.name} needs an optional package to be read: {exc}",
                        hint=f"{install_hint('parquet')}, or provide the table as CSV") from exc
    except TableError as exc:
        raise DataError(str(exc), hint=READ_HINT) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError, OSError,
            EOFError) as exc:
        raise DataError(f"{path.name} could not be read as a table: {str(exc).splitlines()[0]}",
                        hint=READ_HINT) from exc
    frame = table.frame
    if frame.shape[1] == 0:
        raise DataError(f"{path.name} has no columns.", hint="the first line must be a header row")
    if len(frame) == 0:
        raise DataError(f"{path.name} has a header but no data rows.", hint="add data rows to the file")
    return table

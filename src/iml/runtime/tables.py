"""Reading one table the way a person saved it: the one reader of the host and of generated pipelines.

Files come from spreadsheets and other people's exports, so the reader does not assume UTF-8 and
commas: the text encoding is tried in a fixed order (UTF-8, UTF-8 with a byte-order mark, UTF-16 by
its mark, cp1252, Latin-1), the separator is sniffed among ``,`` ``;`` tab and ``|``, compressed
files are decompressed as they are read (``.gz``, ``.bz2``, ``.xz``, a ``.zip`` of one table),
Parquet through pyarrow and Excel through openpyxl. Every choice is a pure function of the file's
bytes, so the pipeline reading a table again inside its sandbox gets the frame perception saw, and
``TableFormat.notes`` says each choice that is not the plain default for a person to see.

Errors are plain exceptions (``TableError``; ``ImportError`` for a missing optional package):
generated code imports this module as ``iml_runtime`` and cannot import iml's own errors.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import csv
import gzip
import io
import lzma
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pandas as pd

TEXT_SUFFIXES = (".csv", ".tsv")
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zip")
# Every name a table may end with; the task folder's discovery and ``iml predict`` accept these.
TABLE_SUFFIXES = (*(t + c for t in TEXT_SUFFIXES for c in ("", *COMPRESSED_SUFFIXES)), ".zip",
                  ".parquet", ".xlsx")
SEPARATORS = (",", "\t", ";", "|")  # the order breaks ties: the comma is the default
SEPARATOR_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
# Tried in this order; Latin-1 maps every byte, so the last one always decodes.
ENCODINGS = ("utf-8", "cp1252", "latin-1")
SNIFF_BYTES = 1 << 16
DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")


class TableError(ValueError):
    """The file is not a table iml can read; the message says why."""


@dataclass
class TableFormat:
    """How a file was read: what the notes report and what a second read repeats."""

    kind: str  # "text", "parquet" or "excel"
    compression: str | None = None  # "gzip", "bz2", "xz", "zip"
    encoding: str = "utf-8"
    sep: str = ","
    decimal: str = "."
    notes: list[str] = field(default_factory=list)


@dataclass
class Table:
    frame: pd.DataFrame
    format: TableFormat


def table_suffix(path: str | Path) -> str | None:
    """The table ending of a file name ('.csv.gz', '.parquet', ...), lower-cased; None for another file."""
    name = Path(path).name.lower()
    hits = [s for s in TABLE_SUFFIXES if name.endswith(s) and len(name) > len(s)]
    return max(hits, key=len) if hits else None


def table_stem(path: str | Path) -> str:
    """The name without its table ending: 'train' for train.csv.gz."""
    name, suffix = Path(path).name, table_suffix(path)
    return name[: -len(suffix)] if suffix else Path(path).stem


def read_table(path: str | Path, nrows: int | None = None) -> pd.DataFrame:
    """The table in ``path`` as a frame; whole columns typed at once (no mixed-type chunks)."""
    return read(path, nrows).frame


def read(path: str | Path, nrows: int | None = None) -> Table:
    """The table and how it was read; TableError for a file that holds no readable table."""
    path = Path(path)
    suffix = table_suffix(path) or path.suffix.lower()
    if suffix == ".parquet":
        return Table(pd.read_parquet(path) if nrows is None else pd.read_parquet(path).head(nrows),
                     TableFormat("parquet"))
    if suffix == ".xlsx":
        frame, sheet, n_sheets = _read_excel(path, nrows)
        notes = [f"{path.name}: read its sheet {sheet!r}, the first of {n_sheets} with columns"] if n_sheets > 1 else []
        return Table(frame, TableFormat("excel", notes=notes))
    fmt = sniff(path)
    frame = None
    for encoding in _encodings_from(fmt.encoding):
        try:
            with _opened(path, fmt.compression) as source:
                frame = pd.read_csv(source, sep=fmt.sep, decimal=fmt.decimal, encoding=encoding, nrows=nrows,
                                    low_memory=False)
            break
        except UnicodeDecodeError:  # a byte past the sniffed head: the next encoding of the order
            continue
    if frame is None:
        raise TableError(f"{path.name} is not valid {fmt.encoding} text past its first bytes.")
    if encoding != fmt.encoding:
        fmt.encoding = encoding
        fmt.notes = _notes(fmt, path)
    return Table(frame, fmt)


def sniff(path: str | Path) -> TableFormat:
    """Compression, encoding, separator and decimal mark of a text table, from its first bytes."""
    path = Path(path)
    compression = _compression(path)
    head = _head_bytes(path, compression)
    if not head.strip():
        raise TableError(f"{path.name} holds no text" + (" once decompressed" if compression else "") + ".")
    encoding = _encoding(head, path)
    text = _decode_head(head, encoding)
    sep = _separator(text, default="\t" if ".tsv" in path.name.lower() else ",")
    decimal = "," if sep == ";" and _decimal_comma(text, sep) else "."
    fmt = TableFormat("text", compression=compression, encoding=encoding, sep=sep, decimal=decimal)
    fmt.notes = _notes(fmt, path)
    return fmt


# ---------------------------------------------------------------- bytes

def _compression(path: Path) -> str | None:
    return {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip"}.get(path.suffix.lower())


@contextlib.contextmanager
def _opened(path: Path, compression: str | None) -> Iterator[IO[bytes]]:
    """The table's bytes, decompressed; a zip's one member (macOS's __MACOSX folder does not count)."""
    if compression == "zip":
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX")]
            if len(members) != 1:
                raise TableError(f"{path.name} holds {len(members)} files "
                                 f"({', '.join(m.filename for m in members[:5])}); a zipped table holds one.")
            with archive.open(members[0]) as f:
                yield f
        return
    opener = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}.get(compression, open)
    with opener(path, "rb") as f:
        yield f


def _head_bytes(path: Path, compression: str | None) -> bytes:
    try:
        with _opened(path, compression) as f:
            return f.read(SNIFF_BYTES)
    except (OSError, EOFError, lzma.LZMAError, zipfile.BadZipFile) as exc:
        kind = f"a {compression} file" if compression else "a file"
        raise TableError(f"{path.name} could not be read as {kind}: {exc}") from exc


def _encoding(head: bytes, path: Path) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # "Unicode text" as spreadsheets save it
    if b"\x00" in head:
        raise TableError(f"{path.name} looks like a binary file (it holds NUL bytes), not a text table.")
    for encoding in ENCODINGS:
        try:
            # the head may end inside a multi-byte character: an incremental decoder does not count that
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    return ENCODINGS[-1]


def _encodings_from(first: str) -> list[str]:
    if first not in ENCODINGS:
        return [first]
    return list(ENCODINGS[ENCODINGS.index(first):])


def _decode_head(head: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)


def decode_text(data: bytes) -> str:
    """Bytes of a text file (a description) decoded in the tables' order: a mark, UTF-8, cp1252, Latin-1."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode(ENCODINGS[-1])  # never reached: Latin-1 decodes every byte


# ---------------------------------------------------------------- separator

def _separator(text: str, default: str) -> str:
    """The separator giving every sampled line the header's field count (more than one), most fields first."""
    lines = re.split(r"\r\n|\n|\r", text)  # not splitlines: it also splits at \x85 and \u2028 inside text cells
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample cut the last line short
    lines = [ln for ln in lines[:200] if ln.strip()]
    if not lines:
        return default
    best, best_score = default, (0.0, 1)
    for sep in sorted(SEPARATORS, key=lambda s: s != default):
        counts = [len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=sep)]
        if not counts or counts[0] < 2:
            continue
        agree = sum(c == counts[0] for c in counts) / len(counts)
        score = (round(agree, 2), counts[0])
        if agree >= 0.9 and score > best_score:
            best, best_score = sep, score
    return best


def _decimal_comma(text: str, sep: str) -> bool:
    """Semicolon files from locales that write 1,5: numbers with a decimal comma and none with a point."""
    cells = [c.strip().strip('"') for row in csv.reader(io.StringIO(text), delimiter=sep) for c in row[:50]]
    comma = sum(bool(DECIMAL_COMMA.match(c)) for c in cells)
    point = sum(bool(re.match(r"^-?\d+\.\d+$", c)) for c in cells)
    return comma > 0 and point == 0


def _notes(fmt: TableFormat, path: Path) -> list[str]:
    notes = []
    if fmt.encoding != "utf-8":
        kind = {"utf-8-sig": "UTF-8 with a byte-order mark", "utf-16": "UTF-16"}.get(
            fmt.encoding, f"{fmt.encoding} (not valid UTF-8)")
        notes.append(f"{path.name}: read as {kind}")
    default = "\t" if ".tsv" in path.name.lower() else ","
    if fmt.sep != default:
        notes.append(f"{path.name}: columns separated by {SEPARATOR_NAMES[fmt.sep]}s ({fmt.sep!r}), "
                     f"not {SEPARATOR_NAMES[default]}s")
    if fmt.decimal == ",":
        notes.append(f"{path.name}: numbers written with a decimal comma (1,5) read as numbers")
    return notes


# ---------------------------------------------------------------- excel

def _read_excel(path: Path, nrows: int | None) -> tuple[pd.DataFrame, str, int]:
    # openpyxl is an optional package: its absence is an ImportError the host turns into an install hint
    import openpyxl  # noqa: F401

    sheets = pd.read_excel(path, sheet_name=None, nrows=nrows)
    filled = [(name, frame) for name, frame in sheets.items() if frame.shape[1] > 0]
    if not filled:
        raise TableError(f"{path.name} holds no filled sheet.")
    name, frame = filled[0]  # the first sheet with columns; the others are notes, pivots, charts
    return frame, str(name), len(filled)


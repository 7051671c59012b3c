"""The one table reader: separator, encoding and table-name choices on files written as tools write them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from iml.runtime.tables import TableError, read, table_stem, table_suffix


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_comma_file_with_semicolons_and_commas_in_its_text_stays_comma(tmp_path: Path) -> None:
    rows = "".join(f'{i},"red; blue, green",x;y {i}\n' for i in range(30))
    table = read(write(tmp_path, "t.csv", "id,colours,note\n" + rows))
    assert table.format.sep == "," and table.frame.shape == (30, 3) and table.format.notes == []
    assert table.frame["colours"].iloc[0] == "red; blue, green"


def test_semicolon_file_with_commas_in_its_header_text(tmp_path: Path) -> None:
    rows = "".join(f"{i};Müller, Anna;{i},5\n" for i in range(30))
    table = read(write(tmp_path, "t.csv", "id;name, first;score\n" + rows, "cp1252"))
    assert (table.format.sep, table.format.decimal, table.format.encoding) == (";", ",", "cp1252")
    assert table.frame["score"].tolist()[:2] == [0.5, 1.5] and table.frame["name, first"].iloc[0] == "Müller, Anna"


def test_one_column_file_keeps_the_default(tmp_path: Path) -> None:
    table = read(write(tmp_path, "t.tsv", "y\n1\n2\n"))
    assert table.format.sep == "\t" and table.frame.columns.tolist() == ["y"] and table.format.notes == []


def test_a_tsv_file_is_tab_separated_without_a_note(tmp_path: Path) -> None:
    table = read(write(tmp_path, "t.tsv", "a\tb\n1\t2\n3\t4\n"))
    assert table.format.sep == "\t" and table.format.notes == []


def test_a_tsv_file_holding_commas_says_so(tmp_path: Path) -> None:
    table = read(write(tmp_path, "t.tsv", "a,b\n1,2\n3,4\n"))
    assert table.format.sep == "," and table.format.notes == ["t.tsv: columns separated by commas (','), not tabs"]


def test_binary_bytes_are_a_table_error(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00garbage")
    with pytest.raises(TableError, match="binary"):
        read(path)


@pytest.mark.parametrize("name, suffix, stem", [
    ("train.csv", ".csv", "train"), ("Train.CSV.GZ", ".csv.gz", "Train"), ("test.zip", ".zip", "test"),
    ("train.tsv.xz", ".tsv.xz", "train"), ("data.xlsx", ".xlsx", "data"), ("description.md", None, "description"),
    ("notes.txt", None, "notes"), (".csv", None, ".csv"),
])
def test_table_names(name: str, suffix: str | None, stem: str) -> None:
    assert table_suffix(name) == suffix and table_stem(name) == stem


def test_a_zip_made_on_macos_holds_one_table(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "train.zip", "w") as archive:
        archive.writestr("train.csv", "a;b\n1;x\n2;y\n")
        archive.writestr("__MACOSX/._train.csv", b"\x00\x05\x16\x07 resource fork")
    table = read(tmp_path / "train.zip")
    assert table.frame.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]} and table.format.compression == "zip"


def test_parquet_is_read_as_it_is(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    frame.to_parquet(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(read(tmp_path / "t.parquet").frame, frame)

"""iml.runtime.data: tables read as the pipeline reads them, media cells resolved to files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iml.runtime.data import RawData, load_task, media_path, read_frame, read_table


def write(folder: Path, name: str, frame: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, sep="\t" if path.suffix == ".tsv" else ",", index=False)
    return path


def test_csv_and_tsv_are_read_by_their_suffix(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x,y", "z"]})
    for name in ("t.csv", "t.tsv"):
        read = read_table(write(tmp_path, name, frame))
        pd.testing.assert_frame_equal(read, frame)


def test_parquet_is_read(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]})
    pd.testing.assert_frame_equal(read_table(write(tmp_path, "t.parquet", frame)), frame)


def test_media_cells_resolve_against_the_table_folder_then_its_media_folders(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "pics").mkdir(parents=True)
    (data / "train").mkdir()
    (data / "pics" / "a.png").write_bytes(b"x")
    (data / "train" / "b.png").write_bytes(b"x")
    path = write(data, "train.csv", pd.DataFrame({"img": ["pics/a.png", "b.png", "gone.png", None], "n": [1, 2, 3, 4]}))
    frame = read_frame(path, image_columns=["img"], media_folders={"img": ["test", "train"]})
    assert list(frame["img"][:3]) == [str(data / "pics" / "a.png"), str(data / "train" / "b.png"),
                                      str(data / "gone.png")]  # not found anywhere: named under the table's folder
    assert pd.isna(frame["img"][3])  # no value: no file
    assert list(frame["n"]) == [1, 2, 3, 4]


def test_media_joined_by_key_become_a_path_column_and_float_keys_name_integer_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    (data / "images" / "7-1.jpg").write_bytes(b"x")
    path = write(data, "train.csv", pd.DataFrame({"PetID": [7.0, np.nan]}))
    frame = read_frame(path, media_joins=[("PetID__image", "PetID", ["images"], "{}-1.jpg")])
    assert frame["PetID__image"][0] == str(data / "images" / "7-1.jpg")
    assert pd.isna(frame["PetID__image"][1])
    assert media_path(data, np.nan) is None and media_path(data, None) is None
    assert media_path(data, "missing", ["images"], "{}.wav") == str(data / "missing.wav")


def test_a_join_whose_key_column_is_absent_adds_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "test.csv", pd.DataFrame({"other": [1]}))
    frame = read_frame(path, audio_columns=["clip"], media_joins=[("k__audio", "k", [], "{}.wav")])
    assert list(frame.columns) == ["other"]


def test_load_task_drops_unlabelled_rows_and_reads_through_the_given_reader(tmp_path: Path) -> None:
    write(tmp_path, "train.csv", pd.DataFrame({"id": [1, 2, 3], "x": [0.1, 0.2, 0.3], "y": ["a", None, "b"]}))
    write(tmp_path, "test.csv", pd.DataFrame({"id": [9, 8], "x": [0.5, 0.6]}))
    seen = []

    def reader(path: Path) -> pd.DataFrame:
        seen.append(path.name)
        return read_table(path)

    raw = load_task(tmp_path, "train.csv", "test.csv", "y", "id", read=reader)
    assert isinstance(raw, RawData) and seen == ["train.csv", "test.csv"]
    assert list(raw.train["id"]) == [1, 3] and list(raw.train.index) == [0, 1]
    assert list(raw.y) == ["a", "b"] and list(raw.test_ids) == [9, 8] and len(raw.test) == 2
    assert load_task(tmp_path, "train.csv", "test.csv", "y", None).test_ids is None
    assert load_task(tmp_path, "train.csv", "test.csv", "y", "row").test_ids is None

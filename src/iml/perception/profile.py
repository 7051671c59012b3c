"""The Profile: facts measured on the data, never guessed."""

from __future__ import annotations

from typing import Literal

import numpy as np

from pydantic import BaseModel, ConfigDict

ColumnKind = Literal["numeric", "categorical", "boolean", "datetime", "text", "id", "constant", "image_path", "audio_path"]


class Spread(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: float
    median: float
    max: float

    @classmethod
    def of(cls, values) -> "Spread":
        values = np.asarray(values, dtype=float)
        return cls(min=float(values.min()), median=float(np.median(values)), max=float(values.max()))


class MediaProfile(BaseModel):
    """The files behind one media column (or one folder joined to the table by a key column)."""

    model_config = ConfigDict(extra="forbid")

    modality: Literal["image", "audio"]
    column: str  # the column naming the files; for a join, the key column whose values start the file names
    folders: list[str] = []  # sub-folders searched when a value is not a path from the data folder
    pattern: str | None = None  # file name from the value, '{}' standing for it; None: the value is the path
    n_rows: int  # train + test rows
    n_found: int  # rows whose file exists (every row checked)
    n_missing: int
    missing_examples: list[str] = []
    n_opened: int  # files opened (a sample when there are many)
    n_unreadable: int  # of the opened files
    unreadable_examples: list[str] = []  # "path (error type)"
    width: Spread | None = None  # images, pixels
    height: Spread | None = None
    modes: dict[str, int] = {}  # images: PIL mode (L, RGB, RGBA, P, ...) -> files
    duration_s: Spread | None = None  # audio
    sample_rates: dict[str, int] = {}  # audio: Hz -> files
    channels: dict[str, int] = {}  # audio: channel count -> files
    notes: list[str] = []


class ColumnProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    dtype: str  # pandas dtype as read
    kind: ColumnKind
    in_test: bool
    n_missing: int
    missing_rate: float
    n_unique: int
    unique_ratio: float
    # numeric columns
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    skew: float | None = None
    # categorical / text columns
    top_values: dict[str, int] | None = None
    unseen_in_test_rate: float | None = None  # share of test values never seen in train
    mean_length: float | None = None  # text: characters
    mean_words: float | None = None
    length: Spread | None = None  # text: characters per value (min / median / max)
    vocabulary_size: int | None = None  # text: distinct lower-cased words (on a sample, see notes)
    ascii_share: float | None = None  # text: share of characters that are ASCII
    script: str | None = None  # text: the commonest Unicode script of its letters (LATIN, CYRILLIC, CJK, ...)
    # datetime columns: ISO range over train (UTC)
    date_min: str | None = None
    date_max: str | None = None
    test_missing_rate: float | None = None  # None when the column is not in test
    # relation to the (first) target: |Pearson| for numeric, mutual-information-like score otherwise
    target_association: float | None = None
    leak_suspect: bool = False
    notes: list[str] = []


class TargetProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    n_missing: int
    n_unique: int
    class_counts: dict[str, int] | None = None  # classification
    imbalance_ratio: float | None = None  # largest / smallest class
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    skew: float | None = None
    notes: list[str] = []  # e.g. imbalance, skew: facts for the planner


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_train_rows: int
    n_test_rows: int
    n_columns: int
    columns: list[ColumnProfile]
    targets: list[TargetProfile]
    file_sizes: dict[str, int]  # file name -> bytes; a sub-folder as "name/" -> total bytes of its files
    media_file_counts: dict[str, int] = {}  # sub-folder name -> number of files in it (recursive)
    media: list[MediaProfile] = []  # the files behind each media column or joined folder
    duplicate_rows: int
    id_columns: list[str]
    date_columns: list[str]
    text_columns: list[str]
    constant_columns: list[str]
    leak_suspects: list[str]
    elapsed_s: float
    notes: list[str] = []  # what was sampled, what was ignored

    def column(self, name: str) -> ColumnProfile:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def features(self) -> list[ColumnProfile]:
        """Columns usable as model inputs: present in test, not targets."""
        return [c for c in self.columns if c.in_test]

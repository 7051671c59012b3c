"""The Profile: facts measured on the data, never guessed."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

ColumnKind = Literal["numeric", "categorical", "boolean", "datetime", "text", "id", "constant", "image_path", "audio_path"]


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

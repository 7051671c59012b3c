"""Table columns as numbers: numeric, boolean, one-hot, ordinal (code + frequency), native categories
(one pandas category column + frequency), date parts, missingness.

Everything a column needs at prediction time (medians, category levels, codes) is learned on the
training rows only, so test rows and new data are encoded as the model saw them in training; a
level never seen in training encodes as "none of the known levels", not as an error.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .base import Columns, Extractor

TRUE_WORDS = frozenset({"true", "yes", "y", "t", "1", "1.0"})


def as_bool(series: pd.Series) -> pd.Series:
    """1.0 for the usual spellings of true, 0.0 for any other value, NaN where the cell is empty."""
    words = series.astype(str).str.strip().str.lower()
    return words.isin(TRUE_WORDS).astype(float).where(series.notna(), np.nan)


class NumericColumns(Extractor):
    """Numbers as they are, unparsable cells and infinities imputed with the training median."""

    def fit(self, frame: pd.DataFrame, y: object = None) -> NumericColumns:
        medians = {c: float(pd.to_numeric(frame[c], errors="coerce").median()) for c in self.columns}
        self.medians_ = {c: (0.0 if np.isnan(v) else v) for c, v in medians.items()}  # an all-empty column: 0
        return self

    def extract(self, frame: pd.DataFrame) -> Columns:
        check_is_fitted(self, "medians_")
        out: Columns = {}
        for c in self.columns:
            values = pd.to_numeric(frame[c], errors="coerce").replace([np.inf, -np.inf], np.nan)
            out[c] = values.fillna(self.medians_[c]).astype(float)
        return out


class BooleanColumns(Extractor):
    """Yes/no columns as 1/0; an empty cell as 0.5, halfway (its gap kept by MissingIndicators)."""

    def extract(self, frame: pd.DataFrame) -> Columns:
        return {c: as_bool(frame[c]).fillna(0.5) for c in self.columns}


class MissingIndicators(Extractor):
    """``<col>__missing`` for the columns that had gaps in training: imputation hides them, this keeps them."""

    def fit(self, frame: pd.DataFrame, y: object = None) -> MissingIndicators:
        self.with_missing_ = [c for c in self.columns if frame[c].isna().any()]
        return self

    def extract(self, frame: pd.DataFrame) -> Columns:
        check_is_fitted(self, "with_missing_")
        return {f"{c}__missing": frame[c].isna().astype(float) for c in self.with_missing_}


class OneHotLevels(Extractor):
    """``<col>=<level>`` for the ``max_levels`` most frequent training levels; rarer and unseen ones all zero."""

    def __init__(self, columns: Sequence[str] = (), max_levels: int = 12):
        super().__init__(columns)
        self.max_levels = max_levels

    def fit(self, frame: pd.DataFrame, y: object = None) -> OneHotLevels:
        self.levels_ = {c: frame[c].astype(str).value_counts().index[:self.max_levels].tolist() for c in self.columns}
        return self

    def extract(self, frame: pd.DataFrame) -> Columns:
        check_is_fitted(self, "levels_")
        out: Columns = {}
        for c in self.columns:
            values = frame[c].astype(str)
            for level in self.levels_[c]:
                out[f"{c}={level}"] = (values == level).astype(float)
        return out


class OrdinalCodes(Extractor):
    """High-cardinality columns as ``<col>__code`` (rank by training frequency) and ``<col>__freq``.

    Two numbers per column instead of hundreds of one-hot columns; an unseen level gets code -1 and
    frequency 0, which trees split off cleanly.
    """

    def fit(self, frame: pd.DataFrame, y: object = None) -> OrdinalCodes:
        self.codes_: dict[str, dict[str, float]] = {}
        self.freq_: dict[str, dict[str, float]] = {}
        for c in self.columns:
            counts = frame[c].astype(str).value_counts()
            self.codes_[c] = {v: float(i) for i, v in enumerate(counts.index)}
            self.freq_[c] = (counts / len(frame)).to_dict()
        return self

    def extract(self, frame: pd.DataFrame) -> Columns:
        check_is_fitted(self, ("codes_", "freq_"))
        out: Columns = {}
        for c in self.columns:
            values = frame[c].astype(str)
            out[f"{c}__code"] = values.map(self.codes_[c]).fillna(-1.0).astype(float)
            out[f"{c}__freq"] = values.map(self.freq_[c]).fillna(0.0).astype(float)
        return out


class NativeCategories(Extractor):
    """Columns for learners with categorical splits: ``<col>__cat`` (pandas ``category``) and ``<col>__freq``.

    The categories are the training levels seen at least ``min_count`` times (at most ``max_levels``,
    by frequency; an empty cell is the level ``MISSING``), then ``OTHER``: rarer training levels and
    levels never seen in training share it, so the model has learned what an unfamiliar level does.
    Train and test frames get the same categories in the same order; a learner without categorical
    splits reads the column as its integer code (``learners.base.as_matrix``), a frequency rank.
    """

    def __init__(self, columns: Sequence[str] = (), min_count: int = 2, max_levels: int = 5000):
        super().__init__(columns)
        self.min_count = min_count
        self.max_levels = max_levels

    def fit(self, frame: pd.DataFrame, y: object = None) -> NativeCategories:
        self.levels_: dict[str, list[str]] = {}
        self.freq_: dict[str, dict[str, float]] = {}
        for c in self.columns:
            counts = _with_missing(frame[c]).value_counts()
            self.levels_[c] = [v for v, n in counts.iloc[:self.max_levels].items() if n >= self.min_count and v != OTHER]
            self.freq_[c] = (counts / len(frame)).to_dict()
        return self

    def extract(self, frame: pd.DataFrame) -> Columns:
        check_is_fitted(self, ("levels_", "freq_"))
        out: Columns = {}
        for c in self.columns:
            values = _with_missing(frame[c])
            known = values.where(values.isin(self.levels_[c]), OTHER)
            out[f"{c}__cat"] = pd.Categorical(known, categories=[*self.levels_[c], OTHER])
            out[f"{c}__freq"] = values.map(self.freq_[c]).fillna(0.0).astype(float)
        return out


OTHER = "__other__"  # the category of rare training levels and unseen ones
MISSING = "__missing__"  # the level of an empty cell


def _with_missing(series: pd.Series) -> pd.Series:
    """The cells as strings, an empty one as MISSING (one spelling whatever pandas' string handling)."""
    return series.astype(object).where(series.notna(), MISSING).astype(str)


class DatetimeParts(Extractor):
    """Calendar parts and days since 1970 (UTC) of each date; an unparsable date gives NaN, later 0."""

    def extract(self, frame: pd.DataFrame) -> Columns:
        out: Columns = {}
        epoch = pd.Timestamp("1970-01-01", tz="UTC")
        for c in self.columns:
            stamp = pd.to_datetime(frame[c], errors="coerce", utc=True, format="mixed")
            out[f"{c}__year"] = stamp.dt.year
            out[f"{c}__month"] = stamp.dt.month
            out[f"{c}__day"] = stamp.dt.day
            out[f"{c}__weekday"] = stamp.dt.day_of_week
            out[f"{c}__hour"] = stamp.dt.hour + stamp.dt.minute / 60.0
            out[f"{c}__dayofyear"] = stamp.dt.day_of_year
            out[f"{c}__epoch_days"] = (stamp - epoch).dt.total_seconds() / 86400.0
        return out

"""What every feature extractor is: a fit-on-train, transform-anything step over named input columns.

Extractors return their columns as a name -> values mapping (``extract``) so the Preprocessor can
merge many of them in order without building a frame per extractor; ``transform`` gives the same
columns as a frame for a person exploring one extractor alone: floats, except a ``pd.Categorical``
value (native categories), which stays a pandas ``category`` column.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

Columns = dict[str, np.ndarray | pd.Series]  # output column name -> one value per input row


class Extractor(BaseEstimator):
    """Base of the extractors: ``columns`` are the input columns it reads; stateless unless it overrides fit."""

    def __init__(self, columns: Sequence[str] = ()):
        self.columns = columns

    def fit(self, frame: pd.DataFrame, y: object = None) -> Extractor:
        """Most extractors learn nothing: a fixed computation per row (pixels, MFCCs, date parts)."""
        return self

    def extract(self, frame: pd.DataFrame) -> Columns:
        raise NotImplementedError

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The extracted columns as a frame (floats and category columns), one row per input row, index reset."""
        return as_frame(self.extract(frame), len(frame))

    def fit_transform(self, frame: pd.DataFrame, y: object = None) -> pd.DataFrame:
        return self.fit(frame, y).transform(frame)


class PerColumnExtractor(Extractor):
    """An extractor whose output for each input column depends on that column alone (media files, embeddings)."""

    def extract(self, frame: pd.DataFrame) -> Columns:
        out: Columns = {}
        for c in self.columns:
            out.update(self.extract_column(frame[c], c))
        return out

    def extract_column(self, values: pd.Series, prefix: str) -> Columns:
        raise NotImplementedError


def as_frame(parts: Columns, n_rows: int) -> pd.DataFrame:
    """Columns in one frame: float arrays, infinities and gaps as 0, so models get finite numbers only;
    a ``pd.Categorical`` stays a category column (its levels fixed at fit, so no gaps to fill)."""
    def column(v):
        if isinstance(v, pd.Categorical) or isinstance(getattr(v, "dtype", None), pd.CategoricalDtype):
            return pd.Categorical(v)
        v = np.asarray(v, dtype=float)
        return np.where(np.isfinite(v), v, 0.0)

    return pd.DataFrame({k: column(v) for k, v in parts.items()}, index=pd.RangeIndex(n_rows))

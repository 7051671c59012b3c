"""Feature extraction: each kind of column as numbers, composed into a task's Preprocessor.

One module per kind (tabular, text, image, audio, pretrained embeddings); ``preprocessor`` composes
them for a column spec and a feature set. Output columns are named ``<col>`` or ``<col>__<what>``
(``__svd<j>``, ``__px<i>``, ``__mel<m>_<t>``, ``__emb<j>``, ``__code``, ``__freq``, ``__missing``,
``__unreadable``, ``__cat``: the one pandas category column) or ``<col>=<level>``; the model modules rely on these suffixes.
"""

from __future__ import annotations

from .audio import AudioFeatures, AudioLogMel
from .base import Columns, Extractor
from .embeddings import AudioEmbeddings, ImageEmbeddings, TextEmbeddings
from .image import ImageFeatures, ImageGrid
from .preprocessor import ColumnSpec, Preprocessor, extractors
from .tabular import (BooleanColumns, DatetimeParts, MissingIndicators, NativeCategories, NumericColumns,
                      OneHotLevels, OrdinalCodes)
from .text import TextStats, TextSvd, TextTerms

__all__ = [
    "AudioEmbeddings", "AudioFeatures", "AudioLogMel", "BooleanColumns", "ColumnSpec", "Columns", "DatetimeParts",
    "Extractor", "ImageEmbeddings", "ImageFeatures", "ImageGrid", "MissingIndicators", "NativeCategories",
    "NumericColumns", "OneHotLevels", "OrdinalCodes", "Preprocessor", "TextEmbeddings", "TextStats", "TextSvd", "TextTerms", "extractors",
]

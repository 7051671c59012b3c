"""The Preprocessor a task module subclasses: the task's columns (a ColumnSpec) read through one feature set.

Contract (Q_post), which the pipeline and the verifier rely on: ``transform`` returns a frame of float
columns plus pandas ``category`` columns (``<col>__cat``, native categories: the standard and pretrained
feature sets only, each with the same categories for every frame), one row per input row, index reset,
the columns fixed at fit (``columns_``) for every frame it is given, no missing or infinite values. Fixing the columns at fit is what keeps train, test and later
predictions aligned even when a batch of media yields no embedding or a category never appears.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..names import FEATURE_SETS
from .audio import AudioFeatures, AudioLogMel
from .base import Columns, Extractor, as_frame
from .embeddings import AudioEmbeddings, ImageEmbeddings, TextEmbeddings
from .image import ImageFeatures, ImageGrid
from .tabular import (BooleanColumns, DatetimeParts, MissingIndicators, NativeCategories, NumericColumns,
                      OneHotLevels, OrdinalCodes)
from .text import TextStats, TextSvd, TextTerms

COLUMNS_SAMPLE = 5  # rows transformed at fit to fix columns_: enough to see every extractor's output


@dataclass(frozen=True)
class ColumnSpec:
    """Which input columns are of which kind, and the settings the planner chose for them."""

    numeric: Sequence[str] = ()
    boolean: Sequence[str] = ()
    onehot: Sequence[str] = ()  # low cardinality
    ordinal: Sequence[str] = ()  # high cardinality: frequency-ordered codes + frequency
    # Mid cardinality: one category column + frequency for learners with categorical splits; the nn
    # feature set reads them as ordinal codes (the network embeds those).
    native: Sequence[str] = ()
    datetime: Sequence[str] = ()
    text: Sequence[str] = ()
    image: Sequence[str] = ()  # paths, as read_frame resolved them
    audio: Sequence[str] = ()
    missing_indicators: bool = True
    onehot_max_levels: int = 12
    native_min_count: int = 2  # rarer training levels join the "other" category with unseen ones
    text_svd: int = 64
    text_char_ngrams: bool = False
    text_terms: int = 0  # per text column: presence columns of its most frequent words and word pairs
    image_side: int = 16
    n_mfcc: int = 20
    mel_grid: tuple[int, int] = (32, 32)
    pretrained_text: str | None = None  # sentence-transformers location; None: TF-IDF/SVD even when pretrained
    pretrained_image: str | None = None  # transformers AutoModel + AutoImageProcessor
    pretrained_audio: str | None = None  # transformers AutoModel + AutoFeatureExtractor
    max_audio_seconds: float = 30.0
    embed_batch: int = 16


def extractors(spec: ColumnSpec, features: str, seed: int = 0) -> list[Extractor]:
    """The unfitted extractors of a feature set, in output-column order.

    standard: native categories as category columns, TF-IDF/SVD text, image thumbnails + gradient
    histograms, MFCC statistics;
    nn: as standard, but native categories as ordinal codes (embedded), images as pixel grids and audio
    as log-mel grids for convolutions;
    pretrained: as standard, but each modality with an encoder as that encoder's pooled embeddings.
    """
    if features not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {features!r}; expected one of {FEATURE_SETS}")
    steps: list[Extractor] = [NumericColumns(spec.numeric), BooleanColumns(spec.boolean)]
    if spec.missing_indicators:
        steps.append(MissingIndicators([*spec.numeric, *spec.boolean]))
    steps += [OneHotLevels(spec.onehot, spec.onehot_max_levels), OrdinalCodes(spec.ordinal)]
    if features == "nn":
        steps.append(OrdinalCodes(spec.native))
    else:
        steps.append(NativeCategories(spec.native, spec.native_min_count))
    steps.append(DatetimeParts(spec.datetime))
    pretrained = features == "pretrained"
    for c in spec.text:  # per column: its statistics beside its own vectors
        steps.append(TextStats([c]))
        if pretrained and spec.pretrained_text is not None:
            steps.append(TextEmbeddings([c], spec.pretrained_text))
        else:
            steps.append(TextSvd([c], spec.text_svd, spec.text_char_ngrams, seed))
        if getattr(spec, "text_terms", 0):  # a spec pickled before terms existed has none
            steps.append(TextTerms([c], spec.text_terms, seed))
    for c in spec.image:
        if features == "nn":
            steps.append(ImageGrid([c], spec.image_side))
        elif pretrained and spec.pretrained_image is not None:
            steps.append(ImageEmbeddings([c], spec.pretrained_image, spec.embed_batch))
        else:
            steps.append(ImageFeatures([c], spec.image_side))
    for c in spec.audio:
        if features == "nn":
            steps.append(AudioLogMel([c], spec.mel_grid))
        elif pretrained and spec.pretrained_audio is not None:
            steps.append(AudioEmbeddings([c], spec.pretrained_audio, spec.max_audio_seconds))
        else:
            steps.append(AudioFeatures([c], spec.n_mfcc))
    return steps


class Preprocessor(BaseEstimator):
    """Learns imputation values, category levels and text vocabularies on the training rows.

    A task module subclasses it and sets ``spec``; ``features`` names one of ``FEATURE_SETS``.
    """

    spec: ClassVar[ColumnSpec] = ColumnSpec()

    def __init__(self, seed: int = 0, features: str = "standard"):
        self.seed = seed
        self.features = features

    def fit(self, frame: pd.DataFrame, y: object = None) -> Preprocessor:
        self.extractors_ = [step.fit(frame, y) for step in extractors(self.spec, self.features, self.seed)]
        self.columns_ = list(self._extract(frame.head(COLUMNS_SAMPLE)).columns)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, ("extractors_", "columns_"))
        return self._extract(frame).reindex(columns=self.columns_, fill_value=0.0)

    def fit_transform(self, frame: pd.DataFrame, y: object = None) -> pd.DataFrame:
        return self.fit(frame, y).transform(frame)

    def _extract(self, frame: pd.DataFrame) -> pd.DataFrame:
        parts: Columns = {}
        for step in self.extractors_:
            parts.update(step.extract(frame))
        return as_frame(parts, len(frame))

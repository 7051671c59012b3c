"""Free text as numbers: surface statistics, and TF-IDF word (and character) n-grams reduced by SVD.

The SVD keeps the vocabulary's strongest directions in a few dense columns (``<col>__svd<j>``), which
tree learners use far better than tens of thousands of sparse ones. Character n-grams help on short,
misspelled or morphologically rich text, where whole words rarely repeat.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .base import Columns, Extractor


def documents(text: pd.Series) -> pd.Series:
    """Cells as strings, an empty cell as the empty document."""
    return text.fillna("").astype(str)


def text_stats(text: pd.Series, prefix: str) -> Columns:
    """Length, words, case, digits, links, mentions, hashtags, punctuation: cheap signals TF-IDF misses."""
    s = documents(text)
    return {
        f"{prefix}__chars": s.str.len().astype(float),
        f"{prefix}__words": s.str.split().str.len().fillna(0).astype(float),
        f"{prefix}__upper_share": s.map(lambda t: sum(c.isupper() for c in t) / max(1, len(t))),
        f"{prefix}__digits": s.str.count(r"\d").astype(float),
        f"{prefix}__links": s.str.count(r"https?://").astype(float),
        f"{prefix}__mentions": s.str.count(r"@\w").astype(float),
        f"{prefix}__hashtags": s.str.count(r"#\w").astype(float),
        f"{prefix}__exclaims": s.str.count("!").astype(float),
        f"{prefix}__quotes": s.str.count('"|“|”').astype(float),
        f"{prefix}__empty": (s.str.strip() == "").astype(float),
    }


class TextStats(Extractor):
    """``text_stats`` of each column: needs no training, so it also works where TF-IDF finds no vocabulary."""

    def extract(self, frame: pd.DataFrame) -> Columns:
        out: Columns = {}
        for c in self.columns:
            out.update(text_stats(frame[c], c))
        return out


class TextSvd(Extractor):
    """``<col>__svd<j>``: TF-IDF of word 1-2-grams (plus char 2-5-grams) reduced to ``n_components`` by SVD.

    A column whose training text has no usable vocabulary (too few or too short documents) gives no
    SVD columns rather than failing the run; its text statistics still carry what there is.
    """

    def __init__(self, columns: Sequence[str] = (), n_components: int = 64, char_ngrams: bool = False,
                 seed: int = 0):
        super().__init__(columns)
        self.n_components = n_components
        self.char_ngrams = char_ngrams
        self.seed = seed

    def fit(self, frame: pd.DataFrame, y: object = None) -> TextSvd:
        self.pipelines_ = {c: self._fit_one(documents(frame[c])) for c in self.columns}
        return self

    def _fit_one(self, docs: pd.Series):
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_pipeline, make_union

        parts = [TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=20000, sublinear_tf=True)]
        if self.char_ngrams:
            parts.append(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, max_features=30000,
                                         sublinear_tf=True))
        n_components = max(1, min(self.n_components, len(docs) - 1))  # SVD needs fewer components than rows
        pipe = make_pipeline(make_union(*parts), TruncatedSVD(n_components=n_components, random_state=self.seed))
        try:
            pipe.fit(docs)
        except ValueError:  # empty vocabulary: too few or too short documents
            return None
        return pipe

    def extract(self, frame: pd.DataFrame) -> Columns:
        check_is_fitted(self, "pipelines_")
        out: Columns = {}
        for c, pipe in self.pipelines_.items():
            if pipe is not None:
                reduced = pipe.transform(documents(frame[c]))
                out.update({f"{c}__svd{j}": reduced[:, j] for j in range(reduced.shape[1])})
        return out

"""Free text as numbers: surface statistics, TF-IDF word (and character) n-grams reduced by SVD, and the
presence of the most frequent words and word pairs.

The SVD keeps the vocabulary's strongest directions in a few dense columns (``<col>__svd<j>``), which
tree learners use far better than tens of thousands of sparse ones. It blurs single keywords, though
("aborted", "engine shut"), which on short reports decide the label: the presence columns
(``<col>__term<j>``) keep those, chosen by document frequency alone (no target), so cross-validation
stays honest. Character n-grams help on short,
misspelled or morphologically rich text, where whole words rarely repeat; on long texts words repeat
enough, and character n-grams would cost most of the time, so they are left out there.

At scale the vocabulary and the SVD are learnt on a row sample of at most ``FIT_DOCS`` documents
(the strongest directions of a vocabulary show in a few thousand documents), then every row is
transformed; and within one process a column's fitted TF-IDF/SVD and its transforms are cached by the
column's content and the settings, so feature sets that read a column the same way compute it once.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .base import Columns, Extractor

FIT_DOCS = 4000  # documents the vocabulary and the SVD are learnt on; every row is transformed
LONG_TEXT_CHARS = 300  # median document length above which character n-grams are left out
SVD_ITERATIONS = 3  # randomized SVD power iterations (sklearn's default is 5)
CACHE_ENTRIES = 32  # fitted pipelines and transforms kept per process, the oldest dropped first ...
CACHE_BYTES = 512 * 2**20  # ... and while the transforms kept take more memory than this
MIN_TERM_DOCS = 5  # a presence column's term is in at least this many of the fitted documents

_CACHE: OrderedDict[tuple, object] = OrderedDict()  # (kind, key...) -> fitted pipeline or reduced matrix


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


def content_key(docs: pd.Series) -> str:
    """A digest of a column's documents, in order (not its index): equal text, equal key."""
    hashed = pd.util.hash_pandas_object(docs, index=False).to_numpy()
    return hashlib.blake2b(hashed.tobytes(), digest_size=16).hexdigest() + f":{len(docs)}"


def _cached(key: tuple):
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    return None


def _remember(key: tuple, value) -> None:
    _CACHE[key] = value
    while len(_CACHE) > 1 and (len(_CACHE) > CACHE_ENTRIES or sum(getattr(v, "nbytes", 0) for v in _CACHE.values())
                               > CACHE_BYTES):
        _CACHE.popitem(last=False)


def clear_cache() -> None:
    _CACHE.clear()


class TextSvd(Extractor):
    """``<col>__svd<j>``: TF-IDF of word 1-2-grams (plus char 2-4-grams on short texts) reduced by SVD
    to at most ``n_components`` (fewer when the vocabulary or the documents are fewer).

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
        self.pipelines_, self.keys_ = {}, {}
        settings = (self.n_components, self.char_ngrams, self.seed, FIT_DOCS, LONG_TEXT_CHARS, SVD_ITERATIONS)
        for c in self.columns:
            docs = documents(frame[c])
            key = (content_key(docs), *settings)
            cached = _cached(("fit", *key))
            pipe = cached[0] if cached is not None else self._fit_one(docs)
            if cached is None:
                _remember(("fit", *key), (pipe,))
            self.pipelines_[c], self.keys_[c] = pipe, key
        return self

    def _fit_one(self, docs: pd.Series, max_docs: int | None = None):
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_pipeline, make_union

        sample, max_docs = docs, FIT_DOCS if max_docs is None else max_docs
        if len(docs) > max_docs:
            rows = np.sort(np.random.default_rng(self.seed).choice(len(docs), max_docs, replace=False))
            sample = docs.iloc[rows]
        parts = [TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=20000, sublinear_tf=True,
                                 dtype=np.float32)]
        if self.char_ngrams and docs.str.len().median() <= LONG_TEXT_CHARS:
            parts.append(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=3, max_features=20000,
                                         sublinear_tf=True, dtype=np.float32))
        union = make_union(*parts)
        try:
            tfidf = union.fit_transform(sample)
        except ValueError:  # empty vocabulary: too few or too short documents
            # the sample had none (a column of mostly empty cells): learn it on every document
            return None if len(sample) == len(docs) else self._fit_one(docs, len(docs))
        # SVD needs fewer components than rows and than features
        n_components = min(self.n_components, tfidf.shape[0] - 1, tfidf.shape[1] - 1)
        if n_components < 1:
            return None
        svd = TruncatedSVD(n_components=n_components, algorithm="randomized", n_iter=SVD_ITERATIONS,
                           random_state=self.seed).fit(tfidf)
        return make_pipeline(union, svd)

    def extract(self, frame: pd.DataFrame) -> Columns:
        check_is_fitted(self, "pipelines_")
        out: Columns = {}
        for c, pipe in self.pipelines_.items():
            if pipe is None:
                continue
            docs = documents(frame[c])
            fitted = getattr(self, "keys_", {}).get(c)  # None: pickled before the cache existed
            key = None if fitted is None else ("transform", *fitted, content_key(docs))
            reduced = None if key is None else _cached(key)
            if reduced is None:
                reduced = pipe.transform(docs)
                if key is not None:
                    _remember(key, reduced)
            out.update({f"{c}__svd{j}": reduced[:, j] for j in range(reduced.shape[1])})
        return out


class TextTerms(Extractor):
    """``<col>__term<j>``: 1 where the document holds the j-th most frequent word or word pair, else 0.

    Terms in fewer than ``MIN_TERM_DOCS`` (or 0.2% of the) documents, or in more than half, are not
    candidates; the vocabulary is learnt on at most ``FIT_DOCS`` documents. ``vocabulary_`` maps each
    column's terms to their output index (for a person reading the features).
    """

    def __init__(self, columns: Sequence[str] = (), max_terms: int = 500, seed: int = 0):
        super().__init__(columns)
        self.max_terms = max_terms
        self.seed = seed

    def fit(self, frame: pd.DataFrame, y: object = None) -> TextTerms:
        from sklearn.feature_extraction.text import CountVectorizer

        self.vectorizers_ = {}
        for c in self.columns:
            docs = documents(frame[c])
            if len(docs) > FIT_DOCS:
                docs = docs.iloc[np.sort(np.random.default_rng(self.seed).choice(len(docs), FIT_DOCS, replace=False))]
            vectorizer = CountVectorizer(ngram_range=(1, 2), binary=True, max_df=0.5, max_features=self.max_terms,
                                         min_df=max(MIN_TERM_DOCS, int(np.ceil(0.002 * len(docs)))), dtype=np.float32)
            try:
                vectorizer.fit(docs)
            except ValueError:  # no term frequent enough (few or short documents): no columns
                vectorizer = None
            self.vectorizers_[c] = vectorizer
        return self

    @property
    def vocabulary_(self) -> dict[str, dict[str, int]]:
        return {c: dict(v.vocabulary_) for c, v in self.vectorizers_.items() if v is not None}

    def extract(self, frame: pd.DataFrame) -> Columns:
        check_is_fitted(self, "vectorizers_")
        out: Columns = {}
        for c, vectorizer in self.vectorizers_.items():
            if vectorizer is None:
                continue
            present = vectorizer.transform(documents(frame[c])).toarray()
            out.update({f"{c}__term{j}": present[:, j] for j in range(present.shape[1])})
        return out

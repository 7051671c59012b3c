"""Competition metrics and their normalisation (P_norm).

Self-contained on purpose: this file imports only numpy, pandas and scikit-learn,
because it is copied verbatim next to generated code and imported there as
``metrics``.

Conventions
-----------
- ``auc``: ``y_true`` binary (0/1 or bool), ``y_pred`` the positive-class probability.
- ``auc_columnwise``: ``y_true`` and ``y_pred`` are (n, k); the mean per-column AUC
  (columns whose truth holds a single class are skipped).
- ``logloss``: ``y_true`` integer class indices 0..k-1 (a one-hot (n, k) matrix is
  accepted too), ``y_pred`` an (n, k) probability matrix; probabilities are clipped
  to [1e-15, 1 - 1e-15] and rows renormalised.
- ``accuracy``, ``f1_macro``, ``qwk``, ``mcc``: label arrays. When one side holds
  strings and the other numbers, both are compared as strings.
- ``rmsle``: negative predictions are treated as 0; uses ``log1p``.
- ``average_precision``: as ``auc``.
- ``precision``, ``recall``, ``f1`` (binary): label arrays, scored for ``positive_label``; without one
  the labels must read as 0/1 (1 the positive class).
- ``balanced_accuracy``: label arrays, the mean recall over the classes of y_true.
- ``r2``, ``mape`` (a fraction, rows whose truth is 0 are skipped), ``pinball_<alpha>``: numbers;
  ``pinball`` alone is the median's (alpha 0.5), ``pinball_0.9`` the 90th percentile's.

P_norm (``normalize``): ``exp(-score)`` for lower-is-better metrics,
``(score + 1) / 2`` for ``qwk`` and ``mcc``, the score itself otherwise (``r2`` below 0 gives 0).
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import (average_precision_score, balanced_accuracy_score, f1_score, matthews_corrcoef,
                             precision_score, r2_score, recall_score, roc_auc_score)

EPS = 1e-15


# ----------------------------------------------------------------------------- helpers


def _1d(values: Any) -> np.ndarray:
    if isinstance(values, (pd.DataFrame,)):
        if values.shape[1] != 1:
            raise ValueError(f"expected one column, got {values.shape[1]}")
        values = values.iloc[:, 0]
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-D array, got shape {arr.shape}")
    return arr


def _same_length(y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} rows but y_pred has {len(y_pred)}")
    if len(y_true) == 0:
        raise ValueError("cannot score an empty array")


def _is_numeric(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "biuf"


def _labels_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Two label arrays of comparable type: numbers stay numbers, else both strings."""
    t, p = _1d(y_true), _1d(y_pred)
    _same_length(t, p)
    if _is_numeric(t) and _is_numeric(p):
        return t, p
    return _as_str(t), _as_str(p)


def _as_str(arr: np.ndarray) -> np.ndarray:
    out = []
    for v in arr.tolist():
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        out.append(str(v))
    return np.asarray(out, dtype=object)


def _float(values: Any) -> np.ndarray:
    arr = _1d(values)
    return arr.astype(float)


def _binary(values: Any) -> np.ndarray:
    arr = _1d(values)
    if arr.dtype.kind == "b":
        return arr.astype(int)
    if arr.dtype.kind in "iuf":
        return arr.astype(float).astype(int)
    lowered = np.asarray([str(v).strip().lower() for v in arr.tolist()])
    mapping = {"1": 1, "0": 0, "true": 1, "false": 0, "1.0": 1, "0.0": 0}
    try:
        return np.asarray([mapping[v] for v in lowered], dtype=int)
    except KeyError as exc:
        raise ValueError(f"auc needs a binary 0/1 truth, got value {exc.args[0]!r}") from None


# ----------------------------------------------------------------------------- metrics


def accuracy(y_true: Any, y_pred: Any, labels: Sequence | None = None) -> float:
    t, p = _labels_pair(y_true, y_pred)
    return float(np.mean(t == p))


def f1_macro(y_true: Any, y_pred: Any, labels: Sequence | None = None) -> float:
    """Macro F1 over the labels present in y_true or y_pred."""
    t, p = _labels_pair(y_true, y_pred)
    return float(f1_score(t, p, average="macro", zero_division=0))


def auc(y_true: Any, y_pred: Any, labels: Sequence | None = None) -> float:
    t = _binary(y_true)
    p = _float(y_pred)
    _same_length(t, p)
    if len(np.unique(t)) < 2:
        raise ValueError("auc is undefined when y_true holds a single class")
    return float(roc_auc_score(t, p))


def auc_columnwise(y_true: Any, y_pred: Any, labels: Sequence | None = None) -> float:
    t = np.asarray(y_true)
    p = np.asarray(y_pred, dtype=float)
    if t.ndim == 1:
        t = t.reshape(-1, 1)
    if p.ndim == 1:
        p = p.reshape(-1, 1)
    if t.shape != p.shape:
        raise ValueError(f"y_true has shape {t.shape} but y_pred has shape {p.shape}")
    _same_length(t, p)
    scores = []
    for j in range(t.shape[1]):
        col = _binary(t[:, j])
        if len(np.unique(col)) < 2:
            continue
        scores.append(roc_auc_score(col, p[:, j]))
    if not scores:
        raise ValueError("auc_columnwise is undefined: every column of y_true holds a single class")
    return float(np.mean(scores))


def logloss(y_true: Any, y_pred: Any, labels: Sequence | None = None) -> float:
    p = np.asarray(y_pred, dtype=float)
    if p.ndim == 1:  # binary given as positive-class probability
        p = np.column_stack([1.0 - p, p])
    t = np.asarray(y_true)
    if t.ndim == 2 and t.shape[1] > 1:
        t = np.argmax(t.astype(float), axis=1)
    t = _1d(t).astype(float)
    if np.any(t != np.round(t)):
        raise ValueError("logloss needs integer class indices in y_true")
    t = t.astype(int)
    _same_length(t, p)
    k = p.shape[1]
    if t.min() < 0 or t.max() >= k:
        raise ValueError(f"logloss class index out of range 0..{k - 1}")
    p = np.clip(p, EPS, 1.0 - EPS)
    p = p / p.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(t)), t])))


def rmse(y_true: Any, y_pred: Any, labels: Sequence | None = None) -> float:
    t, p = _float(y_true), _float(y_pred)
    _same_length(t, p)
    return float(np.sqrt(np.mean((t - p) ** 2)))


def rmsle(y_true: Any, y_pred: Any, labels: Sequence | None = None) -> float:
    t, p = _float(y_true), _float(y_pred)
    _same_length(t, p)
    p = np.clip(p, 0.0, None)
    return float(np.sqrt(np.mean((np.log1p(t) - np.log1p(p)) ** 2)))


def mae(y_true: Any, y_pred: Any, labels: Sequence | None = None) -> float:
    t, p = _float(y_true), _float(y_pred)
    _same_length(t, p)
    return float(np.mean(np.abs(t - p)))


def _ordinal_order(values: Sequence) -> list:
    """Order ordinal labels: numerically when they all parse as numbers, else as given."""
    try:
        nums = [float(v) for v in values]
    except (TypeError, ValueError):
        return list(values)
    return [v for _, v in sorted(zip(nums, values), key=lambda pair: pair[0])]


def qwk(y_true: Any, y_pred: Any, labels: Sequence | None = None) -> float:
    """Quadratic weighted Cohen's kappa.

    Ordinal order: ``labels`` when given (sorted numerically if they are numbers),
    else the sorted union of the observed labels.
    """
    t, p = _labels_pair(y_true, y_pred)
    if labels is not None:
        order = list(labels)
        if not (_is_numeric(t) and _is_numeric(p)):
            order = list(_as_str(np.asarray(order, dtype=object)))
        order = _ordinal_order(order)
        # keep any observed label missing from `labels`, at the end, so nothing is dropped
        seen = set(order)
        order += sorted({v for v in np.concatenate([t, p]).tolist() if v not in seen}, key=str)
    else:
        order = _ordinal_order(sorted(set(np.concatenate([t, p]).tolist()), key=lambda v: (str(type(v)), v)))
    index = {v: i for i, v in enumerate(order)}
    k = len(order)
    ti = np.asarray([index[v] for v in t.tolist()])
    pi = np.asarray([index[v] for v in p.tolist()])
    observed = np.zeros((k, k), dtype=float)
    np.add.at(observed, (ti, pi), 1.0)
    n = observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / n
    if k <= 1:
        return 1.0
    grid = np.arange(k)
    weights = (grid[:, None] - grid[None, :]) ** 2 / float((k - 1) ** 2)
    denom = float((weights * expected).sum())
    num = float((weights * observed).sum())
    if denom == 0.0:
        return 1.0 if num == 0.0 else 0.0
    return float(1.0 - num / denom)


def mcc(y_true: Any, y_pred: Any, labels: Sequence | None = None) -> float:
    t, p = _labels_pair(y_true, y_pred)
    return float(matthews_corrcoef(t, p))


def _positive_pair(y_true: Any, y_pred: Any, positive_label: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Binary 0/1 truth and prediction: equal to ``positive_label``, or read as 0/1 without one."""
    if positive_label is None:
        t, p = _binary(y_true), _binary(y_pred)
    else:
        t, p = _labels_pair(y_true, y_pred)
        t, p = (_as_str(t) == str(positive_label)).astype(int), (_as_str(p) == str(positive_label)).astype(int)
    _same_length(t, p)
    return t, p


def balanced_accuracy(y_true: Any, y_pred: Any, labels: Sequence | None = None) -> float:
    t, p = _labels_pair(y_true, y_pred)
    return float(balanced_accuracy_score(t, p))


def precision(y_true: Any, y_pred: Any, labels: Sequence | None = None, positive_label: str | None = None) -> float:
    t, p = _positive_pair(y_true, y_pred, positive_label)
    return float(precision_score(t, p, zero_division=0))


def recall(y_true: Any, y_pred: Any, labels: Sequence | None = None, positive_label: str | None = None) -> float:
    t, p = _positive_pair(y_true, y_pred, positive_label)
    return float(recall_score(t, p, zero_division=0))


def f1(y_true: Any, y_pred: Any, labels: Sequence | None = None, positive_label: str | None = None) -> float:
    """F1 of the positive class (binary)."""
    t, p = _positive_pair(y_true, y_pred, positive_label)
    return float(f1_score(t, p, zero_division=0))


def average_precision(y_true: Any, y_pred: Any, labels: Sequence | None = None) -> float:
    t = _binary(y_true)
    p = _float(y_pred)
    _same_length(t, p)
    if t.sum() == 0:
        raise ValueError("average_precision is undefined when y_true holds no positive row")
    return float(average_precision_score(t, p))


def r2(y_true: Any, y_pred: Any, labels: Sequence | None = None) -> float:
    t, p = _float(y_true), _float(y_pred)
    _same_length(t, p)
    return float(r2_score(t, p))


def mape(y_true: Any, y_pred: Any, labels: Sequence | None = None) -> float:
    """Mean absolute percentage error as a fraction (0.1 is 10%), over the rows whose truth is not 0."""
    t, p = _float(y_true), _float(y_pred)
    _same_length(t, p)
    keep = t != 0
    if not keep.any():
        raise ValueError("mape is undefined when every true value is 0")
    return float(np.mean(np.abs((t[keep] - p[keep]) / t[keep])))


def pinball(y_true: Any, y_pred: Any, labels: Sequence | None = None, alpha: float = 0.5) -> float:
    """The quantile (pinball) loss of predicting the ``alpha`` quantile."""
    t, p = _float(y_true), _float(y_pred)
    _same_length(t, p)
    diff = t - p
    return float(np.mean(np.maximum(alpha * diff, (alpha - 1.0) * diff)))


# ----------------------------------------------------------------------------- registry

METRICS: dict[str, tuple[Callable[..., float], bool]] = {
    "accuracy": (accuracy, True),
    "f1_macro": (f1_macro, True),
    "auc": (auc, True),
    "auc_columnwise": (auc_columnwise, True),
    "logloss": (logloss, False),
    "rmse": (rmse, False),
    "rmsle": (rmsle, False),
    "mae": (mae, False),
    "qwk": (qwk, True),
    "mcc": (mcc, True),
    "balanced_accuracy": (balanced_accuracy, True),
    "precision": (precision, True),
    "recall": (recall, True),
    "f1": (f1, True),
    "average_precision": (average_precision, True),
    "r2": (r2, True),
    "mape": (mape, False),
    "pinball": (pinball, False),  # alpha 0.5; pinball_<alpha> for another quantile
}

LABEL_METRICS = frozenset({"accuracy", "f1_macro", "qwk", "mcc", "balanced_accuracy", "precision", "recall", "f1"})
POSITIVE_LABEL_METRICS = frozenset({"precision", "recall", "f1"})  # binary: scored for the positive class
BINARY_METRICS = POSITIVE_LABEL_METRICS | {"auc", "average_precision"}  # two classes only
PROBABILITY_METRICS = frozenset({"auc", "auc_columnwise", "logloss", "average_precision"})
REGRESSION_METRICS = frozenset({"rmse", "rmsle", "mae", "r2", "mape", "pinball"})
SIGNED_METRICS = frozenset({"qwk", "mcc"})  # range [-1, 1]
PINBALL = re.compile(r"^pinball(?:_(0?\.\d+))?$")


def canonical(metric_name: str) -> str:
    """The registry's name of a metric: lower case; ``pinball_0.90`` as ``pinball_0.9``, ``pinball_0.5`` as
    ``pinball``. Raises ValueError for a name it does not know."""
    key = str(metric_name).strip().lower()
    match = PINBALL.match(key)
    if match and match.group(1):
        alpha = float(match.group(1))
        if not 0 < alpha < 1:
            raise ValueError(f"pinball's quantile must lie in (0, 1), got {alpha}")
        return "pinball" if alpha == 0.5 else f"pinball_{alpha:g}"
    if key not in METRICS:
        known = ", ".join(sorted(METRICS))
        raise ValueError(f"unknown metric {metric_name!r}; known metrics: {known}, pinball_<alpha>")
    return key


def family(metric_name: str) -> str:
    """The registry entry a metric name belongs to (``pinball_0.9`` -> ``pinball``)."""
    key = canonical(metric_name)
    return "pinball" if key.startswith("pinball") else key


def quantile(metric_name: str) -> float | None:
    """The quantile a pinball metric asks for; None for the other metrics."""
    key = canonical(metric_name)
    if not key.startswith("pinball"):
        return None
    return float(key.split("_")[1]) if "_" in key else 0.5


def _lookup(metric_name: str) -> tuple[Callable[..., float], bool]:
    return METRICS[family(metric_name)]


def score(metric_name: str, y_true: Any, y_pred: Any, labels: Sequence | None = None,
          positive_label: str | None = None) -> float:
    """Compute ``metric_name`` on (y_true, y_pred); see the module docstring for conventions."""
    fn, _ = _lookup(metric_name)
    key = family(metric_name)
    if key == "pinball":
        return fn(y_true, y_pred, labels=labels, alpha=quantile(metric_name))
    if key in POSITIVE_LABEL_METRICS:
        return fn(y_true, y_pred, labels=labels, positive_label=positive_label)
    return fn(y_true, y_pred, labels=labels)


def greater_is_better(metric_name: str) -> bool:
    return _lookup(metric_name)[1]


def normalize(metric_name: str, score: float | None) -> float:
    """P_norm in [0, 1]: exp(-score) when lower is better, (score+1)/2 for qwk/mcc, else score.

    A missing or non-finite score normalises to 0.
    """
    fn, higher = _lookup(metric_name)
    key = family(metric_name)
    if score is None:
        return 0.0
    s = float(score)
    if math.isnan(s):
        return 0.0
    if not higher:
        value = math.exp(-s) if s != math.inf else 0.0
    elif key in SIGNED_METRICS:
        value = (s + 1.0) / 2.0
    else:
        value = s
    if not math.isfinite(value):
        return 0.0
    return float(min(max(value, 0.0), 1.0))


__all__ = [
    "METRICS",
    "LABEL_METRICS",
    "PROBABILITY_METRICS",
    "REGRESSION_METRICS",
    "POSITIVE_LABEL_METRICS",
    "BINARY_METRICS",
    "canonical",
    "family",
    "quantile",
    "score",
    "greater_is_better",
    "normalize",
    "accuracy",
    "f1_macro",
    "auc",
    "auc_columnwise",
    "logloss",
    "rmse",
    "rmsle",
    "mae",
    "qwk",
    "mcc",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "average_precision",
    "r2",
    "mape",
    "pinball",
]

"""The task's objective: how targets are encoded, how predictions are scored, which score is better.

Every comparison of two scores in the engine goes through :class:`Objective` (or the :class:`Score`
it makes), so the metric's direction is known in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import total_ordering
from typing import Callable, Iterable, Sequence, TypeVar

import numpy as np
import pandas as pd

from . import metrics

T = TypeVar("T")


class TargetError(ValueError):
    """The training target holds values the contract does not know: the data, not the code, needs attention."""


@total_ordering
@dataclass(frozen=True)
class Score:
    """A metric value that knows its direction: ``a < b`` means a is worse than b, so ``max`` is the best."""

    value: float
    greater_is_better: bool = True

    def __lt__(self, other: "Score") -> bool:
        if not isinstance(other, Score):
            return NotImplemented
        if np.isnan(self.value):  # a score that could not be computed is the worst of all
            return not np.isnan(other.value)
        if np.isnan(other.value):
            return False
        return self.value < other.value if self.greater_is_better else self.value > other.value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Score):
            return NotImplemented
        return self.value == other.value or (np.isnan(self.value) and np.isnan(other.value))

    def __hash__(self) -> int:
        # Consistent with __eq__: by value only, and every NaN alike (a NaN's own hash is its identity).
        return hash(None) if np.isnan(self.value) else hash(self.value)


def class_strings(y: pd.Series) -> pd.Series:
    """Labels as the contract's class strings: a 0/1 column that pandas read as floats (a missing target
    elsewhere in the file makes it 0.0/1.0) is '0'/'1', as perception named its classes."""
    if pd.api.types.is_float_dtype(y) and len(y) and y.notna().all() and np.all(np.mod(y, 1) == 0):
        y = y.astype("int64")
    return y.astype(str)


@dataclass(frozen=True)
class Objective:
    """Metric, direction and target coding of one task, as the blueprint's contract states them.

    ``classes`` is the class order of the contract (None for regression); class predictions are
    (n, len(classes)) probability matrices, regression predictions are values on the transformed
    scale (``target_transform``), decoded only for scoring and the submission.
    """

    metric: str
    greater_is_better: bool
    classes: Sequence[str] | None = None
    positive_label: str | None = None
    target_transform: str = "none"  # none | log1p
    min_value: float | None = None

    @classmethod
    def from_config(cls, config: dict) -> "Objective":
        return cls(metric=config["metric"], greater_is_better=config["greater_is_better"],
                   classes=config["classes"], positive_label=config.get("positive_label"),
                   target_transform=config.get("target_transform", "none"), min_value=config.get("min_value"))

    @property
    def classification(self) -> bool:
        return self.classes is not None

    @property
    def n_classes(self) -> int:
        return len(self.classes) if self.classes is not None else 0

    @property
    def direction(self) -> str:
        """Optuna's word for the direction."""
        return "maximize" if self.greater_is_better else "minimize"

    # ------------------------------------------------------------------ targets
    def encode_target(self, y: pd.Series) -> np.ndarray:
        """Class indices into ``classes``, or floats on the transformed scale."""
        if self.classification:
            index = {c: i for i, c in enumerate(self.classes)}
            labels = class_strings(pd.Series(y))
            unknown = sorted(set(labels) - set(index))
            if unknown:
                raise TargetError(f"target values {unknown[:5]} are not among the contract's classes "
                                 f"{list(self.classes)}")
            return labels.map(index).to_numpy(dtype=int)
        values = pd.to_numeric(pd.Series(y), errors="raise").to_numpy(dtype=float)
        return np.log1p(np.clip(values, 0, None)) if self.target_transform == "log1p" else values

    def decode_values(self, pred: np.ndarray) -> np.ndarray:
        """Regression predictions back on the target's own scale, clipped to the contract's minimum."""
        pred = np.asarray(pred, dtype=float)
        if self.target_transform == "log1p":
            pred = np.expm1(pred)
        if self.min_value is not None:
            pred = np.clip(pred, self.min_value, None)
        return pred

    def labels(self, pred: np.ndarray) -> np.ndarray:
        """The class label each probability row predicts."""
        return np.asarray(self.classes)[np.asarray(pred).argmax(axis=1)]

    # ------------------------------------------------------------------ scores
    def evaluate(self, y: np.ndarray, pred: np.ndarray) -> float:
        """The task's metric of predictions (probabilities, or values on the transformed scale)."""
        name = self.metric
        if not self.classification:
            truth = self.decode_values(y) if self.target_transform != "none" else np.asarray(y, dtype=float)
            return float(metrics.score(name, truth, self.decode_values(pred)))
        if name in ("auc", "average_precision"):
            pos = list(self.classes).index(self.positive_label)
            return float(metrics.score(name, (np.asarray(y) == pos).astype(int), np.asarray(pred)[:, pos]))
        if name == "logloss":
            return float(metrics.score(name, y, pred))
        return float(metrics.score(name, np.asarray(self.classes)[np.asarray(y)], self.labels(pred),
                                   positive_label=self.positive_label))

    def score(self, value: float) -> Score:
        return Score(float(value), self.greater_is_better)

    def better(self, a: float, b: float) -> bool:
        """a is strictly better than b."""
        return self.score(a) > self.score(b)

    def best(self, items: Iterable[T], value: Callable[[T], float]) -> T:
        """The item whose value scores best (the first of equals)."""
        items = list(items)
        if not items:
            raise ValueError("no items to choose from")
        return max(items, key=lambda item: self.score(value(item)))

    def ranked(self, items: Iterable[T], value: Callable[[T], float]) -> list[T]:
        """Items best first; a stable sort, so equals keep their order."""
        return sorted(items, key=lambda item: self.score(value(item)), reverse=True)

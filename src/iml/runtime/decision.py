"""The decision rule: how labels are made from class probabilities when the metric scores labels.

A label metric (accuracy, balanced accuracy, F1, macro F1, MCC, QWK) is rarely best served by the plain argmax: an
imbalanced binary task's best threshold is seldom 0.5, macro F1 rewards predicting rare classes
more often, and quadratic weighted kappa rewards cut-points on the expected class. A
:class:`DecisionRule`, fitted on out-of-fold probabilities, says how:

- binary: a threshold on the positive class's probability;
- multiclass: per-class multiplicative weights on the probabilities (coordinate search over a grid);
- qwk: cut-points on the expected class index (class order as the contract gives it).

:func:`decide` adopts a rule only when it earns its place honestly: fitted on one half of the
out-of-fold rows and applied to the other, both ways (stratified halves), it must beat the plain
argmax, and a paired bootstrap of that gain must say so with confidence; then the rule is fitted on
all rows. Metrics scored on probabilities (auc, logloss) and regression get no rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from . import metrics
from .folds import make_folds
from .objective import Objective

# The label metrics a rule is fitted for. Precision and recall alone are not: each is maximised by a
# degenerate rule (call only the surest row positive, or every row), which no one asking for them wants.
RULE_METRICS = frozenset({"accuracy", "balanced_accuracy", "f1", "f1_macro", "mcc", "qwk"})
WEIGHT_GRID = tuple(float(g) for g in np.round(np.geomspace(0.25, 4.0, 17), 4))  # includes 1.0
PASSES = 3  # coordinate-search passes (weights and cut-points)
THRESHOLDS = 200  # candidate thresholds (midpoints between quantiles of the positive probability)
CUT_CANDIDATES = 60  # candidate positions per cut-point and pass
MAX_ROWS = 200_000  # fits and the bootstrap use at most this many rows (a seeded sample)
MIN_ROWS = 40  # fewer out-of-fold rows than this: no rule
BOOTSTRAPS = 200
CONFIDENCE = 0.95  # the share of bootstrap resamples in which the cross-fitted rule must beat the argmax


@dataclass
class DecisionRule:
    """Labels from probabilities: ``kind`` threshold | weights | cuts.

    threshold: ``values == [t]``, class ``positive`` where its probability exceeds t, else the other;
    weights: one multiplier per class, the label is the argmax of the weighted probabilities;
    cuts: k-1 ascending cut-points on the expected class index ``proba @ range(k)``.
    """

    kind: str
    values: list[float]
    positive: int = 1

    def labels(self, proba: np.ndarray) -> np.ndarray:
        """Class indices, one per probability row."""
        proba = np.asarray(proba, dtype=float)
        if self.kind == "threshold":
            return np.where(proba[:, self.positive] > self.values[0], self.positive, 1 - self.positive)
        if self.kind == "weights":
            return (proba * np.asarray(self.values, dtype=float)).argmax(axis=1)
        if self.kind == "cuts":
            expected = proba @ np.arange(proba.shape[1], dtype=float)
            return np.searchsorted(np.asarray(self.values, dtype=float), expected, side="left")
        raise ValueError(f"unknown decision rule kind {self.kind!r}")

    def describe(self, classes: Sequence[str] | None = None) -> dict:
        """The rule as plain data (for the report), with a sentence a person reads."""
        values = [round(float(v), 6) for v in self.values]
        name = (lambda i: str(classes[i])) if classes is not None else str
        if self.kind == "threshold":
            text = f"'{name(self.positive)}' when its probability exceeds {values[0]:.4g}"
        elif self.kind == "weights":
            text = "argmax of the probabilities weighted " + ", ".join(
                f"{name(i)} x{v:.3g}" for i, v in enumerate(values))
        else:
            text = "cut-points " + ", ".join(f"{v:.4g}" for v in values) + " on the expected class index"
        return {"kind": self.kind, "values": values, "positive": int(self.positive), "text": text}


def applies(objective: Objective) -> bool:
    """Whether the objective's metric scores labels, so a rule may help."""
    return objective.classification and objective.metric in RULE_METRICS and objective.n_classes >= 2


def labels(objective: Objective, proba: np.ndarray, rule: DecisionRule | None) -> np.ndarray:
    """Class indices of probability rows: by the rule when there is one, else the argmax."""
    return np.asarray(proba).argmax(axis=1) if rule is None else rule.labels(proba)


def score(objective: Objective, y: np.ndarray, proba: np.ndarray, rule: DecisionRule | None) -> float:
    """The objective's score of predictions, with the rule's labels when there is one (as Objective.evaluate scores)."""
    if rule is None:
        return objective.evaluate(y, proba)
    classes = np.asarray(objective.classes)
    return float(metrics.score(objective.metric, classes[np.asarray(y)], classes[rule.labels(proba)],
                               positive_label=objective.positive_label))


# ---------------------------------------------------------------------------- fast label scores
def _qwk_order(objective: Objective) -> np.ndarray:
    """Class indices in the order the qwk metric ranks the class names: numerically when they all are
    numbers, else sorted as strings (as metrics.qwk orders the labels it sees)."""
    names = [str(c) for c in objective.classes]
    try:
        keys = [float(n) for n in names]
    except ValueError:
        keys = names
    return np.asarray(sorted(range(len(names)), key=lambda i: (keys[i], names[i])))


def label_scorer(objective: Objective) -> Callable[..., float]:
    """``f(y, pred, weight=None)``: the label metric of class indices, from a confusion matrix (fast, for
    searches; equal to Objective.evaluate's value on the same labels, a test checks it)."""
    k, metric = objective.n_classes, objective.metric
    order = _qwk_order(objective) if metric == "qwk" else None
    positive = _positive(objective)

    def f(y: np.ndarray, pred: np.ndarray, weight: np.ndarray | None = None) -> float:
        cm = np.bincount(np.asarray(y) * k + np.asarray(pred), weights=weight, minlength=k * k).reshape(k, k)
        return confusion_score(metric, cm, order, positive)

    return f


def confusion_score(metric: str, cm: np.ndarray, order: np.ndarray | None = None, positive: int = 1) -> float:
    """A label metric of a confusion matrix (rows: truth, columns: prediction); ``positive``: the class F1 scores."""
    cm = np.asarray(cm, dtype=float)
    n = cm.sum()
    rows, cols, tp = cm.sum(axis=1), cm.sum(axis=0), np.diag(cm)
    if metric == "accuracy":
        return float(tp.sum() / n)
    if metric == "balanced_accuracy":  # the mean recall over the classes in truth, as sklearn's
        present = rows > 0
        return float(np.mean(tp[present] / rows[present]))
    if metric == "f1":  # of the positive class; 0 when it is neither true nor predicted anywhere
        both = rows[positive] + cols[positive]
        return float(2 * tp[positive] / both) if both > 0 else 0.0
    if metric == "f1_macro":  # over the classes present in truth or prediction, as sklearn's macro F1
        present = rows + cols > 0
        return float(np.mean(2 * tp[present] / (rows + cols)[present]))
    if metric == "mcc":
        num = tp.sum() * n - rows @ cols
        den = np.sqrt((n * n - cols @ cols) * (n * n - rows @ rows))
        return float(num / den) if den > 0 else 0.0
    if metric == "qwk":
        idx = np.arange(len(cm)) if order is None else np.asarray(order)
        idx = idx[(rows + cols)[idx] > 0]  # the metric ranks the observed labels only
        k = len(idx)
        if k <= 1:
            return 1.0
        sub = cm[np.ix_(idx, idx)]
        expected = np.outer(sub.sum(axis=1), sub.sum(axis=0)) / n
        grid = np.arange(k)
        weights = (grid[:, None] - grid[None, :]) ** 2 / float((k - 1) ** 2)
        num, den = float((weights * sub).sum()), float((weights * expected).sum())
        if den == 0.0:
            return 1.0 if num == 0.0 else 0.0
        return float(1.0 - num / den)
    raise ValueError(f"{metric!r} is not a label metric")


# ---------------------------------------------------------------------------- fitting
def _positive(objective: Objective) -> int:
    classes = list(objective.classes)
    return classes.index(objective.positive_label) if objective.positive_label in classes else 1


def _sample(n: int, limit: int, seed: int) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def fit_rule(objective: Objective, y: np.ndarray, proba: np.ndarray, seed: int = 0) -> DecisionRule:
    """The rule that scores best on these rows (no honesty check: see :func:`decide`)."""
    y, proba = np.asarray(y, dtype=int), np.asarray(proba, dtype=float)
    rows = _sample(len(y), MAX_ROWS, seed)
    y, proba = y[rows], proba[rows]
    scorer = label_scorer(objective)
    better = objective.better
    if objective.metric == "qwk":
        return _fit_cuts(y, proba, scorer, better)
    if objective.n_classes == 2:
        return _fit_threshold(y, proba, _positive(objective), scorer, better)
    return _fit_weights(y, proba, scorer, better)


def _fit_threshold(y, proba, positive: int, scorer, better) -> DecisionRule:
    p = proba[:, positive]
    qs = np.unique(np.quantile(p, np.linspace(0.0, 1.0, THRESHOLDS + 1)))
    candidates = np.unique(np.concatenate([(qs[:-1] + qs[1:]) / 2, [0.5]]))
    candidates = candidates[np.argsort(np.abs(candidates - 0.5), kind="stable")]  # ties: nearest 0.5 wins
    best_t, best = 0.5, None
    for t in candidates:
        s = scorer(y, np.where(p > t, positive, 1 - positive))
        if best is None or better(s, best):
            best_t, best = float(t), s
    return DecisionRule("threshold", [best_t], positive)


def _fit_weights(y, proba, scorer, better) -> DecisionRule:
    k = proba.shape[1]
    grid = sorted(WEIGHT_GRID, key=lambda g: abs(np.log(g)))  # ties: the smallest change wins
    w = np.ones(k)
    best = scorer(y, proba.argmax(axis=1))
    for _ in range(PASSES):
        changed = False
        for c in range(k):
            for g in grid:
                if g == w[c]:
                    continue
                trial = w.copy()
                trial[c] = g
                s = scorer(y, (proba * trial).argmax(axis=1))
                if better(s, best):
                    w, best, changed = trial, s, True
        if not changed:
            break
    return DecisionRule("weights", [float(v) for v in w])


def _fit_cuts(y, proba, scorer, better) -> DecisionRule:
    k = proba.shape[1]
    expected = proba @ np.arange(k, dtype=float)
    cuts = np.arange(k - 1, dtype=float) + 0.5  # rounding the expected class
    best = scorer(y, np.searchsorted(cuts, expected, side="left"))
    for _ in range(PASSES):
        changed = False
        for j in range(k - 1):
            lo = cuts[j - 1] if j > 0 else -np.inf
            hi = cuts[j + 1] if j < k - 2 else np.inf
            inside = np.unique(expected[(expected > lo) & (expected < hi)])
            if len(inside) < 2:
                continue
            qs = np.unique(np.quantile(inside, np.linspace(0.0, 1.0, CUT_CANDIDATES + 1)))
            candidates = (qs[:-1] + qs[1:]) / 2
            candidates = candidates[np.argsort(np.abs(candidates - cuts[j]), kind="stable")]
            for c in candidates:
                trial = cuts.copy()
                trial[j] = c
                s = scorer(y, np.searchsorted(trial, expected, side="left"))
                if better(s, best):
                    cuts, best, changed = trial, s, True
        if not changed:
            break
    return DecisionRule("cuts", [float(c) for c in cuts])


@dataclass
class Decision:
    """What :func:`decide` found: the adopted rule (or None), its cross-fitted score and the argmax's."""

    rule: DecisionRule | None
    score: float  # the honest score: cross-fitted rule labels when adopted, else the argmax's
    score_argmax: float
    confidence: float = 0.0  # share of bootstrap resamples in which the cross-fitted rule beat the argmax
    details: dict = field(default_factory=dict)


def decide(objective: Objective, y: np.ndarray, proba: np.ndarray, seed: int = 0) -> Decision | None:
    """Adopt a rule only when it beats the argmax honestly; None when the metric takes no rule.

    Cross-fitting: a rule fitted on one stratified half of the rows labels the other half, both
    ways; the rule is adopted when those labels score better than the argmax and a paired bootstrap
    says so in at least ``CONFIDENCE`` of its resamples. The adopted rule is then fitted on all rows.
    """
    if not applies(objective) or proba is None:
        return None
    y, proba = np.asarray(y, dtype=int), np.asarray(proba, dtype=float)
    plain = proba.argmax(axis=1)
    argmax_score = objective.evaluate(y, proba)
    if len(y) < MIN_ROWS or proba.ndim != 2:
        return Decision(None, argmax_score, argmax_score)
    crossed = np.empty(len(y), dtype=int)
    for i, (fit_rows, score_rows) in enumerate(make_folds(y, 2, seed + 7, stratified=True)):
        rule = fit_rule(objective, y[fit_rows], proba[fit_rows], seed + i)
        crossed[score_rows] = rule.labels(proba[score_rows])
    confidence = _confidence(objective, y, crossed, plain, seed)
    if confidence < CONFIDENCE:
        return Decision(None, argmax_score, argmax_score, confidence)
    rule = fit_rule(objective, y, proba, seed)
    honest = float(metrics.score(objective.metric, np.asarray(objective.classes)[y],
                                 np.asarray(objective.classes)[crossed], positive_label=objective.positive_label))
    return Decision(rule, honest, argmax_score, confidence)


def _confidence(objective: Objective, y, ruled, plain, seed: int) -> float:
    """The share of paired bootstrap resamples where ``ruled`` scores better than ``plain`` (0 unless it
    does on the rows themselves)."""
    scorer = label_scorer(objective)
    rows = _sample(len(y), MAX_ROWS, seed + 3)
    y, ruled, plain = y[rows], ruled[rows], plain[rows]
    if not objective.better(scorer(y, ruled), scorer(y, plain)):
        return 0.0
    rng = np.random.default_rng(seed + 11)
    wins = 0
    for _ in range(BOOTSTRAPS):
        counts = np.bincount(rng.integers(0, len(y), len(y)), minlength=len(y)).astype(float)
        wins += objective.better(scorer(y, ruled, counts), scorer(y, plain, counts))
    return wins / BOOTSTRAPS

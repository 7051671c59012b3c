"""Selection: the best single candidate, a greedy weighted ensemble, or a stacker, by out-of-fold scores;
for a label metric also the decision rule that turns the selection's probabilities into labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from . import decision
from .folds import make_folds
from .objective import Objective

MODES = ("auto", "best", "greedy", "stacking")
GREEDY_ROUNDS = 40  # at most this many picks (with replacement)
GREEDY_PATIENCE = 5  # rounds without an improvement before the search stops
GREEDY_MAX_ROWS = 100_000  # larger data is searched on a seeded sample of rows


@dataclass
class CandidateResult:
    """One validated candidate: its fold models and predictions on the same rows as every other."""

    track: str
    learner: str
    models: list[Any]
    oof: np.ndarray | None  # out-of-fold predictions on the development rows; None when not every fold ran
    test: np.ndarray
    holdout: np.ndarray | None
    cv_mean: float
    oof_score: float
    params: dict = field(default_factory=dict)
    fold_scores: list[float] = field(default_factory=list)
    best_iterations: list[int] = field(default_factory=list)  # the rounds early stopping chose per fold
    refit: bool = False  # models is one model fitted on every row (else the fold models)
    rounds_param: str | None = "unknown"  # the learner's parameter for its rounds (validation.rounds_param)

    @property
    def name(self) -> str:
        return f"{self.track}/{self.learner}"


@dataclass
class Selection:
    """What a run submits: members, how they combine, and how labels are made from their probabilities.

    ``weights``: one per member, summing to one (a greedy ensemble's shares; equal for a stacker, which
    weighs its inputs itself). ``score``: the selection's cross-validated score, of the decision rule's
    labels (cross-fitted, see decision.decide) when one is adopted; ``score_argmax``: without it.
    """

    members: list[CandidateResult]
    stacker: Any | None
    score: float
    how: str  # best | greedy ensemble of k | stacking of k
    weights: list[float] = field(default_factory=list)
    rule: decision.DecisionRule | None = None  # for a label metric, when it beats the argmax
    score_argmax: float | None = None
    oof: np.ndarray | None = None  # the selection's out-of-fold predictions (a stacker's cross-fitted ones)

    def __post_init__(self) -> None:
        if not self.weights:
            self.weights = [1.0 / len(self.members)] * len(self.members)
        if self.score_argmax is None:
            self.score_argmax = self.score


def stack_features(parts: Sequence[np.ndarray], classification: bool) -> np.ndarray:
    """The stacker's inputs: members' predictions side by side (log-odds of probabilities for classes)."""
    if not classification:
        return np.column_stack(parts)
    clipped = [np.clip(p, 1e-6, 1 - 1e-6) for p in parts]
    return np.column_stack([np.log(p / (1 - p)) for p in clipped])


def combine(parts: Sequence[np.ndarray], weights: Sequence[float] | None, stacker: Any | None,
            classification: bool) -> np.ndarray:
    """Members' predictions as one: their weighted mean (``weights`` None: the plain mean), or the stacker's
    output on them (the weights are then not used)."""
    if stacker is None:
        return np.average(np.asarray(parts, dtype=float), axis=0,
                          weights=None if weights is None else np.asarray(weights, dtype=float))
    features = stack_features(parts, classification)
    return stacker.predict_proba(features) if classification else stacker.predict(features)


def fit_stacker(parts: Sequence[np.ndarray], y: np.ndarray, objective: Objective, seed: int) -> tuple[Any, float]:
    """A regularised linear model on out-of-fold predictions, and its score by its own cross-validation."""
    stacker, score, _honest = _fit_stacker(parts, y, objective, seed)
    return stacker, score


def _fit_stacker(parts: Sequence[np.ndarray], y: np.ndarray, objective: Objective,
                 seed: int) -> tuple[Any, float, np.ndarray]:
    """fit_stacker, also answering its cross-validated predictions (where a decision rule is fitted)."""
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.model_selection import cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    classification = objective.classification
    features = stack_features(parts, classification)
    # Standardised log-odds: L-BFGS converges in a sixth of the iterations (68 against 438 on 14k rows of
    # three 5-class members), the same fit; unscaled, each save of a large multiclass task took seconds.
    stacker = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000) if classification
                            else RidgeCV(alphas=(0.1, 1.0, 10.0)))
    folds = make_folds(y, 5, seed + 1, stratified=classification)
    method = "predict_proba" if classification else "predict"
    honest = cross_val_predict(stacker, features, y, cv=folds, method=method)
    return stacker.fit(features, y), objective.evaluate(y, honest), honest


def _search_scorer(objective: Objective) -> Callable[[np.ndarray, np.ndarray], float]:
    """The metric the greedy search compares: the objective's own, or for labels its fast equal."""
    if decision.applies(objective):
        fast = decision.label_scorer(objective)
        return lambda y, pred: fast(y, pred.argmax(axis=1))
    return objective.evaluate


def greedy_weights(parts: Sequence[np.ndarray], y: np.ndarray, objective: Objective, seed: int = 0,
                   rounds: int = GREEDY_ROUNDS, patience: int = GREEDY_PATIENCE) -> np.ndarray:
    """Greedy ensemble selection with replacement (Caruana et al. 2004): one weight per part, summing to one.

    It starts from the best single part and each round adds (again, if it is the best choice) the part
    whose addition makes the mean of the chosen ones score best; after ``patience`` rounds without an
    improvement it stops, and the weights are the chosen counts at the best round over their total.
    Large data is searched on a seeded sample of ``GREEDY_MAX_ROWS`` rows.
    """
    y = np.asarray(y)
    if len(y) > GREEDY_MAX_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(len(y), GREEDY_MAX_ROWS, replace=False))
        parts, y = [np.asarray(p)[rows] for p in parts], y[rows]
    parts = [np.asarray(p, dtype=float) for p in parts]
    evaluate = _search_scorer(objective)
    singles = [evaluate(y, p) for p in parts]
    first = max(range(len(parts)), key=lambda j: objective.score(singles[j]))  # the first of equals
    counts = np.zeros(len(parts))
    counts[first] = 1
    total = parts[first].copy()
    best, best_counts, stale = singles[first], counts.copy(), 0
    for size in range(2, rounds + 1):
        trials = [evaluate(y, (total + p) / size) for p in parts]
        j = max(range(len(parts)), key=lambda i: objective.score(trials[i]))
        total += parts[j]
        counts[j] += 1
        if objective.better(trials[j], best):
            best, best_counts, stale = trials[j], counts.copy(), 0
        else:
            stale += 1
            if stale >= patience:
                break
    return best_counts / best_counts.sum()


def _greedy_selection(full: list[CandidateResult], y: np.ndarray, objective: Objective,
                      seed: int) -> tuple[Selection, np.ndarray]:
    weights = greedy_weights([r.oof for r in full], y, objective, seed)
    order = sorted((j for j in range(len(full)) if weights[j] > 0), key=lambda j: -weights[j])  # stable
    members, shares = [full[j] for j in order], [float(weights[j]) for j in order]
    oof = combine([m.oof for m in members], shares, None, objective.classification)
    how = "best" if len(members) == 1 else f"greedy ensemble of {len(members)}"
    return Selection(members, None, objective.evaluate(y, oof), how, shares), oof


def choose_ensemble(results: Sequence[CandidateResult], y: np.ndarray, objective: Objective, mode: str,
                    seed: int, decide: bool = True) -> Selection:
    """``mode``: auto (the best of the single best, the greedy ensemble and the stacker) | best | greedy
    (``average``, the older name, means greedy) | stacking.

    Candidates are ranked by their mean fold score; the best single is the first. The greedy ensemble
    and the stacker need out-of-fold predictions, so they draw on the candidates that ran all their
    folds (two at least). In auto the stacker, scored by its own cross-validation, is chosen only when
    it beats the greedy ensemble (or the single best, when that scored better). ``decide``: for a label
    metric, fit a decision rule on the selection's out-of-fold probabilities (adopted only when it beats
    the argmax honestly; a caller whose submission holds no labels passes False).
    """
    if not results:
        raise ValueError("no validated candidate to select from")
    mode = "greedy" if mode == "average" else mode
    if mode not in MODES:
        raise ValueError(f"unknown ensemble mode {mode!r}; expected one of {MODES} (or 'average')")
    ranked = objective.ranked(results, lambda r: r.cv_mean)
    chosen, oof = Selection([ranked[0]], None, ranked[0].oof_score, "best", [1.0]), ranked[0].oof
    full = [r for r in ranked if r.oof is not None]
    if mode != "best" and len(full) >= 2:
        if mode in ("auto", "greedy"):
            greedy, greedy_oof = _greedy_selection(full, y, objective, seed)
            if mode == "greedy" or (len(greedy.members) > 1 and objective.better(greedy.score, chosen.score)):
                chosen, oof = greedy, greedy_oof
        if mode in ("auto", "stacking"):
            stacker, score, honest = _fit_stacker([r.oof for r in full], y, objective, seed)
            if mode == "stacking" or objective.better(score, chosen.score):
                chosen, oof = Selection(full, stacker, score, f"stacking of {len(full)}"), honest
    if decide and oof is not None:
        found = decision.decide(objective, y, oof, seed)
        if found is not None and found.rule is not None:
            chosen.rule, chosen.score_argmax, chosen.score = found.rule, chosen.score, found.score
    chosen.oof = oof
    return chosen

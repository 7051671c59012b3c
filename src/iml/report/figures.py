"""The report's plots, drawn with matplotlib into PNGs embedded in the page (no file beside it, no script).

Each function returns a Plot, or None when the run holds nothing to draw. Axes are honest: a bar's
length is its value from zero, and a score's axis ends at the metric's best possible value when it has
one, so small differences between candidates look as small as they are."""

from __future__ import annotations

import base64
import io
import math
from typing import Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel

# Metrics whose best possible value is 1 (their axis ends there); the others run to their largest value.
CEILING_ONE = frozenset({"accuracy", "balanced_accuracy", "f1", "f1_macro", "precision", "recall", "auc",
                         "auc_columnwise", "average_precision", "qwk", "mcc", "r2"})
BLUE, ORANGE, GREEN, RED, GREY = "#4c78a8", "#f58518", "#54a24b", "#e45756", "#9d9d9d"
MAX_BARS = 20  # columns or classes in one bar chart; the rest are named in the caption


class Plot(BaseModel):
    key: str  # a stable name, the img's id in the page
    title: str
    png: str  # base64
    caption: str = ""
    x_range: tuple[float, float] | None = None  # the score axis drawn, where the plot has one


def score_axis(values: Sequence[float], metric: str) -> tuple[float, float]:
    """The x range of a score chart: from zero (or the lowest value when a score is negative) to the
    metric's ceiling (1 for AUC, accuracy, ...) or a little past the largest value."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return 0.0, 1.0
    low, high = min(finite), max(finite)
    lo = min(0.0, low)
    if lo < 0:  # signed scores (mcc, qwk, r2) below zero: the axis shows how far, with a margin
        lo = max(-1.0, low - 0.05 * (high - low or 1.0)) if metric in CEILING_ONE else low - 0.05 * abs(low)
    if metric in CEILING_ONE and high <= 1.0:
        return lo, 1.0
    span = high - lo or abs(high) or 1.0
    return lo, high + 0.05 * span


# ----------------------------------------------------------------------------- drawing
def _figure(width: float, height: float):
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    fig = Figure(figsize=(width, height), dpi=100)
    return fig, fig.subplots()


def _encode(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _plot(key: str, title: str, fig, caption: str = "") -> Plot:
    return Plot(key=key, title=title, png=_encode(fig), caption=caption)


def leaderboard(candidates, metric: str, greater_is_better: bool, floor: float | None) -> Plot | None:
    """Each validated candidate's CV mean (bar, ± std), its fold scores (dots) and holdout (diamond)."""
    ok = [c for c in candidates if c.status == "ok" and c.cv_score is not None]
    if not ok:
        return None
    ok.sort(key=lambda c: c.cv_score, reverse=not greater_is_better)  # the best last: at the top of the chart
    values = [c.cv_score for c in ok] + [s for c in ok for s in c.fold_scores] + \
             [c.holdout for c in ok if c.holdout is not None] + ([floor] if floor is not None else [])
    lo, hi = score_axis(values, metric)
    fig, ax = _figure(7, 0.9 + 0.5 * len(ok))
    y = np.arange(len(ok))
    colors = [ORANGE if c.weight else BLUE for c in ok]
    ax.barh(y, [c.cv_score for c in ok], left=0.0, color=colors, alpha=0.85,
            xerr=[c.cv_std or 0.0 for c in ok], ecolor="#333", capsize=3, label="CV mean ± std (orange: selected)")
    for i, c in enumerate(ok):
        if c.fold_scores:
            ax.scatter(c.fold_scores, [i] * len(c.fold_scores), s=12, color="#222", zorder=3,
                       label="fold scores" if i == 0 else None)
    held = [(i, c.holdout) for i, c in enumerate(ok) if c.holdout is not None]
    if held:
        ax.scatter([h for _, h in held], [i for i, _ in held], marker="D", s=36, color=GREEN, zorder=4,
                   label="holdout")
    if floor is not None:
        ax.axvline(floor, color=GREY, linestyle="--", label=f"floor {floor:.3f}")
    ax.set_yticks(y, [c.name for c in ok])
    ax.set_xlim(lo, hi)
    ax.set_xlabel(f"{metric} ({'higher' if greater_is_better else 'lower'} is better)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(ok) < 3 else -0.18), ncol=2, fontsize=8,
              frameon=False)
    plot = _plot("leaderboard", "Candidates by cross-validation", fig,
                 f"Bars start at 0; the axis runs from {lo:.3g} to {hi:.3g}.")
    plot.x_range = (lo, hi)
    return plot


def target_distribution(profile, predictions: pd.DataFrame | None) -> Plot | None:
    """Class counts, or a histogram of a numeric target (its values from the saved predictions' truth)."""
    if not profile.targets:
        return None
    target = profile.targets[0]
    if target.class_counts:
        items = sorted(target.class_counts.items(), key=lambda kv: kv[1])
        shown = items[-MAX_BARS:]
        fig, ax = _figure(6, 0.8 + 0.35 * len(shown))
        total = sum(target.class_counts.values())
        ax.barh([str(k) for k, _ in shown], [v for _, v in shown], color=GREEN)
        for i, (_, v) in enumerate(shown):
            ax.text(v, i, f" {v:,} ({v / total:.0%})", va="center", fontsize=8)
        ax.set_xlim(0, max(v for _, v in shown) * 1.25)
        ax.set_xlabel("training rows")
        more = f"; {len(items) - len(shown)} rarer classes not shown" if len(items) > len(shown) else ""
        return _plot("target", f"Target: {target.name}", fig, f"{len(items)} classes{more}.")
    if predictions is None or "y" not in predictions:
        return None
    fig, ax = _figure(6, 3)
    ax.hist(predictions["y"].astype(float), bins=40, color=GREEN)
    ax.set_xlabel(target.name)
    ax.set_ylabel("training rows")
    return _plot("target", f"Target: {target.name}", fig,
                 f"mean {target.mean:.4g}, std {target.std:.4g}, skew {target.skew:.2f}"
                 if target.mean is not None and target.std is not None and target.skew is not None else "")


def missingness(profile) -> Plot | None:
    """Share of missing values per column, train beside test; None when nothing is missing."""
    cols = [c for c in profile.columns if c.missing_rate > 0 or (c.test_missing_rate or 0) > 0]
    if not cols:
        return None
    cols.sort(key=lambda c: max(c.missing_rate, c.test_missing_rate or 0))
    shown = cols[-MAX_BARS:]
    fig, ax = _figure(6, 0.8 + 0.4 * len(shown))
    y = np.arange(len(shown))
    ax.barh(y - 0.2, [c.missing_rate for c in shown], height=0.4, color=BLUE, label="train")
    ax.barh(y + 0.2, [c.test_missing_rate or 0 for c in shown], height=0.4, color=ORANGE, label="test")
    ax.set_yticks(y, [c.name for c in shown])
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of rows missing")
    ax.legend(fontsize=8, loc="lower right")
    more = f" {len(cols) - len(shown)} more columns have some missing values." if len(cols) > len(shown) else ""
    return _plot("missingness", "Missing values", fig,
                 f"{len(cols)} of {len(profile.columns)} columns have missing values.{more}")


def associations(profile) -> Plot | None:
    """The columns most associated with the target (|Pearson r| or a mutual-information-like score, 0..1)."""
    cols = [c for c in profile.columns if c.target_association is not None]
    if not cols:
        return None
    cols.sort(key=lambda c: c.target_association)
    shown = cols[-15:]
    fig, ax = _figure(6, 0.8 + 0.35 * len(shown))
    ax.barh([c.name for c in shown], [c.target_association for c in shown],
            color=[RED if c.leak_suspect else BLUE for c in shown])
    ax.set_xlim(0, 1)
    ax.set_xlabel("association with the target (0: none, 1: determines it)")
    return _plot("associations", "Strongest associations with the target", fig,
                 "Red: a leak suspect (too strong to be true on new data)."
                 if any(c.leak_suspect for c in shown) else "")


def importance(rows: list[dict], metric: str) -> Plot | None:
    """Permutation importance: how much the score worsens when a column's values are shuffled."""
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: r["importance"])[-MAX_BARS:]
    fig, ax = _figure(6, 0.8 + 0.35 * len(rows))
    values = [r["importance"] for r in rows]
    ax.barh([r["column"] for r in rows], values, xerr=[r.get("std", 0.0) for r in rows],
            color=[BLUE if v >= 0 else GREY for v in values], ecolor="#333", capsize=2)
    low = min(0.0, min(values))
    ax.set_xlim(low, max(max(values), 1e-9) * 1.15 + (-low * 0.05))
    ax.axvline(0, color="#333", linewidth=0.8)
    ax.set_xlabel(f"loss of {metric} when the column is shuffled")
    return _plot("importance", "Feature importance of the selection", fig)


def confusion(predictions: pd.DataFrame, rule: dict | None = None) -> Plot | None:
    """Rows: the true class; columns: the predicted (the submission's labels, the decision rule's when
    one is adopted); cells: the share of the true class, with counts."""
    cv = predictions[predictions["part"] == "cv"]
    if "label" not in cv or cv.empty:
        return None
    order = list(cv["y"].astype(str).value_counts().index[:MAX_BARS])
    truth, pred = cv["y"].astype(str), cv["label"].astype(str)
    keep = truth.isin(order) & pred.isin(order)
    table = pd.crosstab(truth[keep], pred[keep]).reindex(index=order, columns=order, fill_value=0)
    shares = table.div(table.sum(axis=1).replace(0, 1), axis=0)
    size = 1.6 + 0.5 * len(order)
    fig, ax = _figure(size + 1, size)
    image = ax.imshow(shares.to_numpy(), cmap="Blues", vmin=0, vmax=1)
    if len(order) <= 12:
        for i in range(len(order)):
            for j in range(len(order)):
                share = shares.iat[i, j]
                ax.text(j, i, f"{table.iat[i, j]:,}\n{share:.0%}", ha="center", va="center", fontsize=8,
                        color="white" if share > 0.6 else "#222")
    ax.set_xticks(range(len(order)), order, rotation=45 if len(order) > 4 else 0, ha="right" if len(order) > 4 else "center")
    ax.set_yticks(range(len(order)), order)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    accuracy = float((truth == pred).mean())
    how = f"the decision rule's ({rule.get('text') or rule.get('kind')})" if rule else "the most probable class"
    return _plot("confusion", "Confusion matrix (out-of-fold)", fig,
                 f"{len(cv):,} development rows; predicted label: {how}; accuracy {accuracy:.3f}.")


def _positive(predictions: pd.DataFrame, positive: str | None) -> str | None:
    classes = [c[2:] for c in predictions.columns if c.startswith("p_")]
    if len(classes) != 2:
        return None
    return positive if positive in classes else classes[-1]


def curves(truth: np.ndarray, score: np.ndarray) -> dict[str, np.ndarray | float]:
    """ROC (fpr, tpr, auc) and precision-recall (recall, precision, average precision) at every distinct
    score, in numpy (scikit-learn's metrics take seconds to import, inside the run's budget)."""
    order = np.argsort(-np.asarray(score, dtype=float), kind="mergesort")
    truth, score = np.asarray(truth, dtype=float)[order], np.asarray(score, dtype=float)[order]
    last = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]  # the last row of each distinct score
    tp, fp = np.cumsum(truth)[last], np.cumsum(1 - truth)[last]
    fpr, tpr = np.r_[0.0, fp / max(fp[-1], 1)], np.r_[0.0, tp / max(tp[-1], 1)]
    precision, recall = tp / (tp + fp), tp / max(tp[-1], 1)
    return {"fpr": fpr, "tpr": tpr, "auc": float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)),
            "recall": np.r_[0.0, recall], "precision": np.r_[1.0, precision],
            "ap": float(np.sum(np.diff(np.r_[0.0, recall]) * precision))}


def roc_pr(predictions: pd.DataFrame, positive: str | None) -> list[Plot]:
    """ROC and precision-recall curves of a binary selection, out-of-fold and on the holdout."""
    pos = _positive(predictions, positive)
    if pos is None:
        return []
    roc_fig, roc_ax = _figure(4.6, 4.2)
    pr_fig, pr_ax = _figure(4.6, 4.2)
    for part, color in (("cv", BLUE), ("holdout", GREEN)):
        rows = predictions[predictions["part"] == part]
        truth = (rows["y"].astype(str) == pos).astype(int)
        if rows.empty or truth.nunique() < 2:
            continue
        found, name = curves(truth.to_numpy(), rows[f"p_{pos}"].to_numpy()), ("out-of-fold" if part == "cv"
                                                                             else "holdout")
        roc_ax.plot(found["fpr"], found["tpr"], color=color, label=f"{name} (AUC {found['auc']:.3f})")
        pr_ax.plot(found["recall"], found["precision"], color=color, label=f"{name} (AP {found['ap']:.3f})")
    cv_truth = predictions.loc[predictions["part"] == "cv", "y"].astype(str) == pos
    roc_ax.plot([0, 1], [0, 1], color=GREY, linestyle="--", label="chance")
    pr_ax.axhline(float(cv_truth.mean()), color=GREY, linestyle="--", label=f"chance ({cv_truth.mean():.2f})")
    for ax, (x, y) in ((roc_ax, ("false positive rate", "true positive rate")), (pr_ax, ("recall", "precision"))):
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.legend(fontsize=8, loc="lower right" if ax is roc_ax else "lower left")
    return [_plot("roc", f"ROC curve (positive class: {pos})", roc_fig),
            _plot("precision_recall", f"Precision-recall (positive class: {pos})", pr_fig)]


def calibration(predictions: pd.DataFrame, positive: str | None, bins: int = 10) -> Plot | None:
    """Predicted probability against the observed frequency in quantile bins (binary: of the positive
    class; multiclass: the top class's probability against how often it is right)."""
    cv = predictions[predictions["part"] == "cv"]
    columns = [c for c in cv.columns if c.startswith("p_")]
    if len(columns) < 2 or cv.empty:
        return None
    pos = _positive(cv, positive)
    if pos is not None:
        prob, hit, what = cv[f"p_{pos}"].to_numpy(), (cv["y"].astype(str) == pos).to_numpy(), f"P({pos})"
    else:
        matrix = cv[columns].to_numpy()
        names = np.asarray([c[2:] for c in columns])
        prob, hit = matrix.max(axis=1), names[matrix.argmax(axis=1)] == cv["y"].astype(str).to_numpy()
        what = "the top class's probability"
    edges = np.unique(np.quantile(prob, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, prob, side="right") - 1, 0, max(len(edges) - 2, 0))
    frame = pd.DataFrame({"bin": which, "prob": prob, "hit": hit.astype(float)}).groupby("bin").agg(
        prob=("prob", "mean"), hit=("hit", "mean"), n=("hit", "size"))
    fig, ax = _figure(4.6, 4.2)
    ax.plot([0, 1], [0, 1], color=GREY, linestyle="--", label="perfectly calibrated")
    ax.plot(frame["prob"], frame["hit"], marker="o", color=BLUE, label="out-of-fold")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"predicted {what}")
    ax.set_ylabel("observed frequency")
    ax.legend(fontsize=8, loc="upper left")
    gap = float(np.average(np.abs(frame["prob"] - frame["hit"]), weights=frame["n"]))
    return _plot("calibration", "Calibration", fig,
                 f"{len(frame)} bins of equal size; mean gap {gap:.3f} (expected calibration error).")


def residuals(predictions: pd.DataFrame, target: str) -> list[Plot]:
    """A regression's residuals against its predictions, and predicted against true values."""
    if "prediction" not in predictions:
        return []
    cv = predictions[predictions["part"] == "cv"]
    if cv.empty:
        return []
    truth, pred = cv["y"].astype(float).to_numpy(), cv["prediction"].astype(float).to_numpy()
    fig, ax = _figure(5.5, 3.8)
    ax.scatter(pred, truth - pred, s=6, alpha=0.4, color=BLUE)
    ax.axhline(0, color="#333", linewidth=0.8)
    ax.set_xlabel(f"predicted {target}")
    ax.set_ylabel("residual (true - predicted)")
    fig2, ax2 = _figure(4.6, 4.2)
    ax2.scatter(truth, pred, s=6, alpha=0.4, color=BLUE)
    low, high = float(min(truth.min(), pred.min())), float(max(truth.max(), pred.max()))
    ax2.plot([low, high], [low, high], color=GREY, linestyle="--", label="perfect")
    ax2.set_xlabel(f"true {target}")
    ax2.set_ylabel(f"predicted {target}")
    ax2.legend(fontsize=8)
    return [_plot("residuals", "Residuals against predictions (out-of-fold)", fig,
                  f"{len(cv):,} development rows; residual mean {float(np.mean(truth - pred)):.4g}, "
                  f"std {float(np.std(truth - pred)):.4g}."),
            _plot("predicted_vs_true", "Predicted against true (out-of-fold)", fig2)]


def timeline(steps, marks) -> Plot | None:
    """Phases, sandboxed executions and candidates on the run's clock; repairs and failures as marks."""
    if not steps:
        return None
    lanes = ["phase", "attempt", "candidate"]
    rows: list[tuple[str, list]] = []
    for lane in lanes:
        for name in dict.fromkeys(s.name for s in steps if s.lane == lane):
            rows.append((f"{lane}: {name}" if lane != "phase" else name,
                         [s for s in steps if s.lane == lane and s.name == name]))
    fig, ax = _figure(7.5, 0.9 + 0.3 * len(rows))
    status_color = {"ok": BLUE, "failed": RED, "skipped": GREY, "timed out": ORANGE}
    for i, (_, parts) in enumerate(rows):
        for s in parts:
            color = GREEN if s.lane == "phase" else status_color.get(s.status, BLUE)
            ax.barh(len(rows) - 1 - i, max(s.end_s - s.start_s, 0.05), left=s.start_s, color=color, height=0.6)
    for m in marks:
        ax.axvline(m.at_s, color=RED if m.kind == "failure" else ORANGE, linestyle=":", linewidth=1.2)
    ax.set_yticks(range(len(rows)), [label for label, _ in rows][::-1], fontsize=8)
    ax.set_xlim(0, max(s.end_s for s in steps) * 1.02)
    ax.set_xlabel("seconds since the run started")
    return _plot("timeline", "Timeline", fig,
                 "Green: phases; blue: finished, grey: skipped, red: failed, orange: timed out; dotted lines: "
                 "repairs (orange) and failures (red)." if marks else
                 "Green: phases; blue: finished, grey: skipped, red: failed, orange: timed out.")

"""Sentences of the report that depend on its figures: each one is chosen by the numbers beside it, so
the page never says what its own table contradicts."""

from __future__ import annotations

# A holdout within this many of the folds' standard deviations of the CV score is what fold noise gives.
AGREE_STDS = 2.0
# When the folds agree too closely to measure their spread, a gap below this share of the score is noise.
AGREE_SHARE = 0.01


def holdout_verdict(cv: float | None, holdout: float | None, std: float | None, greater_is_better: bool,
                    holdout_rows: int | None = None) -> str:
    """What the locked holdout says about the CV score: agreement, over-fitted folds, or a lucky holdout."""
    if cv is None:
        return "No candidate was validated, so there is no score to compare."
    if holdout is None:
        return ("There is no locked holdout (it is kept only on 2,000 training rows or more), so the CV score "
                "is the only estimate; with many tuning trials it can be a little optimistic.")
    gap = holdout - cv if greater_is_better else cv - holdout  # > 0: the holdout is better
    tolerance = max(AGREE_STDS * (std or 0.0), AGREE_SHARE * abs(cv), 1e-12)
    rows = f" ({holdout_rows:,} rows)" if holdout_rows else ""
    if abs(gap) <= tolerance:
        return (f"The holdout{rows} ({holdout:.5f}) agrees with the CV score ({cv:.5f}): the difference "
                f"{abs(holdout - cv):.5f} is within the spread of the folds, so there is no sign that the "
                "search over-fitted the folds.")
    if gap < 0:
        return (f"The holdout{rows} ({holdout:.5f}) is worse than the CV score ({cv:.5f}) by "
                f"{abs(holdout - cv):.5f}, more than the folds' spread: the search may have over-fitted the "
                "folds; expect the holdout's figure on new data.")
    return (f"The holdout{rows} ({holdout:.5f}) is better than the CV score ({cv:.5f}) by {abs(holdout - cv):.5f}, "
            "more than the folds' spread: a small holdout varies by chance, so read it as no sign of "
            "over-fitting, not as a gain to expect.")


def explanation_author(by: str) -> str:
    """Who wrote the selection's explanation, in the page's words."""
    if by == "llm":
        return "written by the LLM; the choice itself is by the numbers"
    return "written by the expert brain's rules from the numbers"

"""Place a score on a task's leaderboard of reference scores, as MLE-bench does.

A task folder may carry ``leaderboard.csv`` (MLE-bench's competitions do) with a
``score`` column, one row per team. The medal thresholds follow Kaggle's progression
system as MLE-bench applies it: the positions that earn gold, silver and bronze
depend on how many teams took part; "above median" is strictly better than the
median team.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from iml.runtime import metrics as M


class Ranking(BaseModel):
    medal: str  # gold | silver | bronze | none
    above_median: bool
    teams: int


def _threshold_positions(teams: int) -> tuple[int, int, int]:
    """1-based leaderboard positions of the last gold, silver and bronze medal."""
    if teams < 100:
        return max(1, int(teams * 0.1)), max(1, int(teams * 0.2)), max(1, int(teams * 0.4))
    if teams < 250:
        return 10, max(1, int(teams * 0.2)), max(1, int(teams * 0.4))
    if teams < 1000:
        return 10 + int(teams * 0.002), 50, 100
    return 10 + int(teams * 0.002), max(1, int(teams * 0.05)), max(1, int(teams * 0.1))


def load_leaderboard(task_dir: Path) -> pd.Series | None:
    path = Path(task_dir) / "leaderboard.csv"
    if not path.exists():
        return None
    scores = pd.to_numeric(pd.read_csv(path)["score"], errors="coerce").dropna()
    return scores if len(scores) else None


def rank(score: float | None, leaderboard: pd.Series, metric: str) -> Ranking:
    higher = M.greater_is_better(metric)
    ordered = leaderboard.sort_values(ascending=not higher).reset_index(drop=True)
    teams = len(ordered)
    if score is None:
        return Ranking(medal="none", above_median=False, teams=teams)

    def reaches(position: int) -> bool:
        threshold = ordered.iloc[min(position, teams) - 1]
        return score >= threshold if higher else score <= threshold

    gold, silver, bronze = _threshold_positions(teams)
    medal = next((name for name, pos in (("gold", gold), ("silver", silver), ("bronze", bronze)) if reaches(pos)),
                 "none")
    median = ordered.median()
    return Ranking(medal=medal, above_median=bool(score > median if higher else score < median), teams=teams)

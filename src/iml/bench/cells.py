"""One bench cell: one system on one task folder, graded and measured by the harness."""

from __future__ import annotations

from pydantic import BaseModel

STRIPPED_SENTENCE = ("Analyze the provided data files and execute the appropriate predictive task "
                     "for the target variable.")


class CellSetting(BaseModel):
    """What makes two cells the same experiment, so a re-run can skip a finished one."""

    task: str
    system: str
    stripped: bool = False
    variant: str = "full"
    tracks: str = ""
    time_budget: float


class CellKey(CellSetting, frozen=True):
    """A cell's setting, hashable."""


class BenchCell(CellSetting):
    supported: bool = True
    score: float | None
    p_norm: float
    valid: bool
    reason: str
    wall_s: float
    first_submission_s: float | None
    # iml only, from its run's events: when a model (not the floor) was first submitted, and the
    # seconds of every phase but training (perceive, plan, code, verify, select, report).
    first_model_s: float | None = None
    orchestration_s: float | None = None
    peak_memory_mb: float | None = None
    timed_out: bool = False
    llm_tokens: int = 0
    llm_cost_usd: float = 0.0
    submission: str = ""
    run_dir: str
    # Ranking against the task's leaderboard.csv of reference scores, when it has one.
    above_median: bool | None = None
    medal: str | None = None  # gold | silver | bronze | none

    @property
    def key(self) -> CellKey:
        return CellKey(**self.model_dump(include=set(CellSetting.model_fields)))

    @property
    def column(self) -> str:
        """The table column this cell belongs to: the system, with its ablation settings."""
        name = self.system
        if self.variant != "full":
            name += f" ({self.variant})"
        if self.stripped:
            name += " (stripped)"
        return name

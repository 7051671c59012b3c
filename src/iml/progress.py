"""Progress on the terminal: one line per phase, the pipeline's own lines while it trains."""

from __future__ import annotations

import time

from rich.console import Console

from iml.runtime import events as ev

PHASE_TITLES = {
    "perceive": "Perception: reading the task and profiling the data",
    "plan": "Planning: writing the blueprint and its contract",
    "code": "Coding: rendering preprocess, model and pipeline modules",
    "verify": "Integration: verifying the pipeline on a row sample",
    "train": "Training: cross-validating and tuning every candidate",
    "select": "Selection: leaderboard and submission checks",
    "report": "Report",
}


class Progress:
    def __init__(self, console: Console | None = None, quiet: bool = False):
        self.console = console or Console(stderr=True, highlight=False, soft_wrap=True)
        self.quiet = quiet
        self.started = time.monotonic()

    def _stamp(self) -> str:
        return f"[dim]{time.monotonic() - self.started:6.1f}s[/dim]"

    def phase(self, name: str) -> None:
        if not self.quiet:
            self.console.print(f"{self._stamp()} [bold cyan]{PHASE_TITLES.get(name, name)}[/bold cyan]")

    def info(self, message: str) -> None:
        if not self.quiet:
            self.console.print(f"{self._stamp()}   ", end="")
            self.console.print(message, markup=False)

    def warn(self, message: str) -> None:
        if self.quiet:
            return
        self.console.print(f"{self._stamp()}   [yellow]![/yellow] ", end="")
        self.console.print(message, markup=False)

    def pipeline_event(self, event: ev.Event) -> None:
        """One dim line per typed event of the training pipeline that a person wants to see."""
        line = describe(event)
        if line and not self.quiet:
            self.console.print(f"{self._stamp()}   ", end="")
            self.console.print(line, markup=False, style="dim")


def describe(event: ev.Event) -> str | None:
    """A pipeline event in words, or None for the ones not worth a line."""
    if isinstance(event, ev.Featurized):
        return (f"features ({event.feature_set}): {event.rows} rows x {event.columns} columns; "
                f"test {event.test_rows} rows; holdout {event.holdout_rows} rows")
    if isinstance(event, ev.FeaturizeFailed):
        return f"feature set {event.feature_set} failed: {event.error}"
    if isinstance(event, ev.CandidateStarted):
        return f"fitting {event.track}/{event.learner} (time share {event.share_s:.0f}s)"
    if isinstance(event, ev.CandidateFinished):
        return (f"{event.track}/{event.learner}: CV {event.cv_mean:.5f} ± {event.cv_std:.5f} "
                f"in {event.seconds:.1f}s")
    if isinstance(event, ev.CandidateFailed):
        return f"{event.track}/{event.learner} failed: {event.error}"
    if isinstance(event, ev.CandidateSkipped):
        return f"{event.track}/{event.learner} skipped: {event.reason}"
    if isinstance(event, ev.SubmissionSaved):
        score = f", CV {event.cv_score:.5f}" if event.cv_score is not None else ""
        return f"saved submission and pipeline: {event.members} ({event.how}){score}"
    if isinstance(event, ev.PipelineFailed):
        return f"pipeline failed: {event.error}"
    return None

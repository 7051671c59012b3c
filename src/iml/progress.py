"""Progress on the terminal, driven by the run's typed events, never by its prose.

Two sources feed it: the run journal's records (``RunFolder.event``: phases, repairs, LLM calls),
which it hears as they are written, and the pipeline's typed events (iml.runtime.events:
candidates, scores, saves), which the flow tails from the running pipeline. From them it keeps a
:class:`RunView`. On a terminal the view is a live panel (phase, elapsed / budget bar, current
candidate, best score so far, repairs, LLM spend); elsewhere (a pipe, CI, a log file) each change
is one plain line. The flow's own sentences (``info``, ``warn``) are printed as they are.

Levels: ``quiet`` prints nothing; ``normal`` the view and the flow's sentences; ``verbose`` also
one line for every event of the journal and the pipeline.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from iml.runtime import events as ev

if TYPE_CHECKING:
    from iml.runfolder import RunFolder

Level = Literal["quiet", "normal", "verbose"]

PHASE_TITLES = {
    "perceive": "Perception: reading the task and profiling the data",
    "plan": "Planning: writing the blueprint and its contract",
    "code": "Coding: rendering preprocess, model and pipeline modules",
    "verify": "Integration: verifying the pipeline on a row sample",
    "train": "Training: cross-validating and tuning every candidate",
    "select": "Selection: leaderboard and submission checks",
    "report": "Report",
}
# Journal records a verbose line leaves out: their payloads are long and another line already says it.
VERBOSE_SKIPPED = {"llm_call"}


class RunView(BaseModel):
    """What the terminal shows of a run at one moment."""

    phase: str | None = None
    time_budget: float | None = None
    metric: str | None = None
    candidate: str | None = None  # track/learner being fitted
    finished: int = 0
    failed: int = 0
    skipped: int = 0
    best_score: float | None = None  # CV score of the last saved pipeline: the best the pipeline has found so far
    best_members: list[str] = []
    best_how: str | None = None
    repairs: int = 0
    llm_calls: int = 0
    llm_cost_usd: float = 0.0
    llm_tokens: int = 0


class Progress:
    def __init__(self, level: Level = "normal", console: Console | None = None, live: bool | None = None,
                 quiet: bool = False):
        self.console = console or Console(stderr=True, highlight=False, soft_wrap=True)
        self.level: Level = "quiet" if quiet else level  # quiet=True: what runs inside tests and the API pass
        # The live panel needs a terminal that redraws; a pipe or a log file gets plain lines.
        self.live = (self.console.is_terminal if live is None else live) and level != "quiet"
        self.view = RunView()
        self.started = time.monotonic()
        self._live: Live | None = None

    @property
    def quiet(self) -> bool:
        return self.level == "quiet"

    # ------------------------------------------------------------ lifetime
    def __enter__(self) -> "Progress":
        if self.live:
            self._live = Live(console=self.console, get_renderable=self.panel, refresh_per_second=4,
                              transient=False, redirect_stdout=False, redirect_stderr=False)
            self._live.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def watch(self, folder: "RunFolder", time_budget: float, metric: str | None) -> None:
        """Follow one run: hear its journal's records, measure elapsed time against its budget."""
        self.started = time.monotonic()
        self.view.time_budget, self.view.metric = time_budget, metric
        folder.listeners.append(self.run_event)

    # ------------------------------------------------------------ the flow's calls
    def phase(self, name: str) -> None:
        self.view.phase, self.view.candidate = name, None
        self._line(f"[bold cyan]{escape(PHASE_TITLES.get(name, name))}[/bold cyan]", indent=False)

    def info(self, message: str) -> None:
        self._line(escape(message))

    def warn(self, message: str) -> None:
        self._line(f"[yellow]![/yellow] {escape(message)}")

    # ------------------------------------------------------------ events
    def run_event(self, record: dict) -> None:
        """One record of the run journal, as RunFolder.event writes it."""
        kind = record.get("event")
        if kind == "repair":
            self.view.repairs += 1  # the flow says what the repair does in its own line
        elif kind == "llm_call":
            self.view.llm_calls += 1
            self.view.llm_cost_usd += record.get("cost_usd") or 0.0
            self.view.llm_tokens += (record.get("prompt_tokens") or 0) + (record.get("completion_tokens") or 0)
            if not self.live:
                self._line(escape(f"LLM call {self.view.llm_calls} ({record.get('purpose', '?')}): "
                                  f"{record.get('outcome', '?')}; {self._llm_spend()}"), style="dim")
        if self.level == "verbose" and kind not in VERBOSE_SKIPPED:
            self._line(escape(_fields(kind, {k: v for k, v in record.items() if k not in ("event", "time")})),
                       style="dim")

    def pipeline_event(self, event: ev.Event) -> None:
        """One typed event of the running pipeline."""
        view = self.view
        if isinstance(event, ev.CandidateStarted):
            view.candidate = f"{event.track}/{event.learner}"
        elif isinstance(event, ev.CandidateFinished):
            view.finished += 1
        elif isinstance(event, ev.CandidateFailed):
            view.failed += 1
        elif isinstance(event, ev.CandidateSkipped):
            view.skipped += 1
        elif isinstance(event, ev.SubmissionSaved) and event.cv_score is not None and event.how != "floor":
            view.best_score, view.best_members, view.best_how = event.cv_score, list(event.members), event.how
        line = describe(event)
        if isinstance(event, ev.SubmissionSaved) and event.how != "floor" and view.best_score is not None:
            line = f"saved submission and pipeline; best so far: {self._best()}"
        if line is None and self.level == "verbose":
            line = _fields(event.kind, {k: v for k, v in vars(event).items()})
        # The panel shows the candidate being fitted; results scroll above it.
        shown_live = not isinstance(event, ev.CandidateStarted) or self.level == "verbose"
        if line is not None and (not self.live or shown_live):
            self._line(escape(line), style="dim")

    # ------------------------------------------------------------ rendering
    def panel(self) -> Group:
        """The live view: phase, elapsed / budget, candidate, best score, repairs, LLM spend."""
        view, elapsed = self.view, time.monotonic() - self.started
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold")
        grid.add_column()
        budget = view.time_budget
        bar = ProgressBar(total=budget or 1.0, completed=min(elapsed, budget or 0.0), width=40)
        grid.add_row("phase", Text(PHASE_TITLES.get(view.phase or "", view.phase or "starting")))
        clock = Table.grid(padding=(0, 1))
        clock.add_row(bar, Text(f"{elapsed:.0f}s of {budget:.0f}s" if budget else f"{elapsed:.0f}s"))
        grid.add_row("time", clock)
        if view.candidate or view.finished or view.failed or view.skipped:
            grid.add_row("candidate", Text(f"{view.candidate or '-'}  ({view.finished} done, {view.failed} failed, "
                                           f"{view.skipped} skipped)"))
        grid.add_row("best", Text(self._best() if view.best_score is not None else "none yet"))
        grid.add_row("repairs", Text(str(view.repairs)))
        if view.llm_calls:
            grid.add_row("LLM", Text(self._llm_spend()))
        return Group(grid)

    def _best(self) -> str:
        view = self.view
        return (f"CV {view.metric or 'score'} {view.best_score:.5f} "
                f"({' + '.join(view.best_members)}, {view.best_how})")

    def _llm_spend(self) -> str:
        view = self.view
        return f"{view.llm_calls} calls, {view.llm_tokens} tokens, ${view.llm_cost_usd:.4f}"

    def _stamp(self) -> str:
        limit = f"/{self.view.time_budget:.0f}s" if self.view.time_budget else ""
        return f"[dim]{time.monotonic() - self.started:6.1f}s{limit}[/dim]"

    def _line(self, markup: str, indent: bool = True, style: str | None = None) -> None:
        """One line above the live panel, or in the plain stream; ``markup`` has its user text escaped."""
        if self.quiet:
            return
        self.console.print(f"{self._stamp()} {'  ' if indent else ''}{markup}", style=style)


def describe(event: ev.Event) -> str | None:
    """A pipeline event in words, or None for the ones not worth a line."""
    if isinstance(event, ev.Featurized):
        return (f"features ({event.feature_set}): {event.rows} rows x {event.columns} columns; "
                f"test {event.test_rows} rows; holdout {event.holdout_rows} rows")
    if isinstance(event, ev.FeaturizeFailed):
        return f"feature set {event.feature_set} failed: {event.error}"
    if isinstance(event, ev.ExecutorStarted) and event.requested != event.executor:
        return f"{event.requested} executor unavailable ({event.error}); fitting in {event.executor} processes"
    if isinstance(event, ev.ExecutorStarted) and event.executor == "ray":
        return f"fitting on Ray ({event.address}): {event.workers} workers, started in {event.seconds:.1f}s"
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


def _fields(kind: str, fields: dict) -> str:
    """A verbose line: the event's kind and its short fields (long ones, such as tracebacks, cut)."""
    parts = []
    for key, value in fields.items():
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        parts.append(f"{key}={text if len(text) <= 120 else text[:117] + '...'}")
    return f"{kind}: {' '.join(parts)}"

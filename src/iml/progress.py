"""Progress on the terminal: one line per phase, the pipeline's own lines while it trains."""

from __future__ import annotations

import time

from rich.console import Console

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

    def pipeline_line(self, line: str) -> None:
        if not self.quiet and line.startswith("[pipeline"):
            self.console.print(f"{self._stamp()}   ", end="")
            self.console.print(line.split("] ", 1)[-1], markup=False, style="dim")

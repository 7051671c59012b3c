"""`iml rerun RUN --from plan|code|verify|train`: re-run a run from a phase after a person edited an artifact.

What counts as edited is what differs from the code that last ran: every sandboxed execution keeps
its modules and blueprint.json in ``attempts/<n>/code_version``. The phases that write those
artifacts keep an edited one (the plan phase an edited blueprint.json, the code phase an edited
module) and it is verified like generated code. The earlier attempt's results (submission,
leaderboard, report, model, kept candidates) move to ``history/<n>/`` first, so the run's root only
ever holds the current attempt's, and nothing of the earlier one is lost.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from iml.errors import IMLError
from iml.runfolder import PHASES, RunFolder
from iml.runtime.names import PIPELINE

FROM_PHASES = ("plan", "code", "verify", "train")
BLUEPRINT = "blueprint.json"
# A sandboxed execution's snapshot of what it ran, inside its attempt folder.
CODE_VERSION = "code_version"
# The results of one attempt at training; a rerun moves them into history/<n>/.
RESULTS = ("submission.csv", "leaderboard.csv", "pipeline_report.json", "report.html", "selection_explained.md",
           "model", "oof", "candidates")
# The earliest phase that carries an edit of this kind into what is trained.
PHASE_FOR_EDIT = {BLUEPRINT: "code"}  # a module: "verify"


def last_executed(folder: RunFolder) -> Path | None:
    """The snapshot of the code that ran last (the newest attempt's), or None before any execution."""
    snapshots = sorted(folder.file("attempts").glob(f"*/{CODE_VERSION}"), key=lambda p: p.parent.name)
    return snapshots[-1] if snapshots else None


def differs(folder: RunFolder, snapshot: Path, artifact: str) -> bool:
    """The artifact is not what last ran; an artifact the snapshot lacks (an older run's) counts as edited."""
    kept = snapshot / artifact
    current = folder.file(artifact)
    return current.exists() and (not kept.exists() or kept.read_bytes() != current.read_bytes())


def edited(folder: RunFolder) -> list[str]:
    """blueprint.json, pipeline.py and the code/ modules that differ from what last ran."""
    snapshot = last_executed(folder)
    if snapshot is None:
        return []
    candidates = [BLUEPRINT, PIPELINE, *(str(p.relative_to(folder.path)) for p in sorted(folder.path.glob("code/*.py")))]
    return [a for a in candidates if differs(folder, snapshot, a)]


def prepare(folder: RunFolder, requested: str) -> dict:
    """Archive the current results and roll the run back to just before the phase to re-run.

    The phase is the requested one, or an earlier one when an edit needs it (a blueprint edit reaches
    the code only through the code phase, a module edit is verified before it trains), or when the run
    never got that far. Returns what was decided, as recorded in events.jsonl and history/<n>/rerun.json.
    """
    if requested not in FROM_PHASES:
        raise IMLError(f"cannot re-run from {requested!r}.", hint=f"choose one of {', '.join(FROM_PHASES)}")
    state = folder.state()
    changes = edited(folder)
    reached = PHASES.index(state.phase_done) + 1 if state.phase_done else 0
    needed = [PHASES.index(PHASE_FOR_EDIT.get(a, "verify")) for a in changes]
    start = PHASES[min([PHASES.index(requested), reached, *needed])]
    history = _archive(folder)
    decision = {"requested": requested, "start": start, "edited": changes, "history": history,
                "phase_done_before": state.phase_done, "status_before": state.status,
                "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if history:
        folder.write_text(f"{history}/rerun.json", json.dumps(decision, indent=2))
    state.phase_done = PHASES[PHASES.index(start) - 1] if PHASES.index(start) else None
    state.status, state.message = "running", ""
    folder.save_state(state)
    folder.event("rerun", **decision)
    return decision


def _archive(folder: RunFolder) -> str | None:
    """Move the results into a new history/<n>/; None when there are none."""
    present = [name for name in RESULTS if folder.file(name).exists()]
    if not present:
        return None
    n = len(list(folder.file("history").glob("*"))) + 1 if folder.file("history").exists() else 1
    target = folder.file("history") / f"{n:03d}"
    target.mkdir(parents=True)
    shutil.copy(folder.file("state.json"), target / "state.json")
    for name in present:
        folder.file(name).rename(target / name)
    return str(target.relative_to(folder.path))

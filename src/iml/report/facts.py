"""What a finished run folder says about itself, gathered once for the page: candidates, selection, timeline,
skipped tracks, LLM use, versions and budget. Everything here is read from the folder's artifacts, so
`iml report RUN` rebuilds the same page from the folder alone."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from iml.perception.profile import Profile
from iml.perception.summary import TaskSummary
from iml.planning.blueprint import Blueprint
from iml.runfolder import PHASES, PIPELINE_EVENTS, RunFolder, RunState
from iml.runtime.events import read_events
from iml.runtime import events as pev

SELECTION_PREDICTIONS = "oof/selection.csv"  # written by the runtime beside each candidate's out-of-fold array


class Candidate(BaseModel):
    track: str
    model: str
    status: str  # ok | skipped | failed
    cv_score: float | None = None
    cv_std: float | None = None
    fold_scores: list[float] = []
    holdout: float | None = None
    seconds: float | None = None
    trials: int | None = None
    error: str = ""
    weight: float | None = None  # its share of the selection, when it is a member

    @property
    def name(self) -> str:
        return f"{self.track}/{self.model}"


class Selection(BaseModel):
    members: list[str] = []
    how: str = ""
    weights: dict[str, float] = {}
    cv_score: float | None = None
    cv_score_argmax: float | None = None
    rule: dict | None = None
    holdout_score: float | None = None


class Explanation(BaseModel):
    text: str
    by: str  # expert | llm: which brain wrote it


class Step(BaseModel):
    """One bar of the timeline, in seconds since the run started."""

    lane: str  # phase | candidate | attempt
    name: str
    start_s: float
    end_s: float
    status: str = "ok"  # ok | failed | skipped | timed out
    detail: str = ""


class Mark(BaseModel):
    """One moment of the timeline: a repair or a failed verification."""

    kind: str
    at_s: float
    text: str


class Skip(BaseModel):
    what: str
    reason: str


class LlmUse(BaseModel):
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    stopped: bool = False
    by_purpose: list[dict] = []  # purpose, calls, tokens, cost_usd, failures


class RunFacts(BaseModel):
    run_dir: str
    summary: TaskSummary
    profile: Profile
    blueprint: Blueprint
    state: RunState
    candidates: list[Candidate]
    selection: Selection | None
    floor_cv: float | None = None
    explanation: Explanation | None = None
    steps: list[Step] = []
    marks: list[Mark] = []
    repairs: list[dict] = []
    skipped: list[Skip] = []
    llm: LlmUse | None = None
    versions: dict[str, str] = {}
    seconds_used: float | None = None
    training_seconds: float | None = None

    @property
    def winner(self) -> Candidate | None:
        members = [c for c in self.candidates if self.selection and c.name in self.selection.members]
        return members[0] if members else None

    @property
    def members_std(self) -> float | None:
        """The members' fold spread, weighted by their shares: the yardstick for holdout-vs-CV gaps."""
        members = [c for c in self.candidates if c.weight and c.cv_std is not None]
        if not members:
            return None
        return sum(c.weight * c.cv_std for c in members) / sum(c.weight for c in members)


def gather(folder: RunFolder) -> RunFacts:
    events = folder.events()
    report = _json(folder.file("pipeline_report.json")) or {}
    selection = Selection.model_validate(report["selection"]) if report.get("selection") else None
    candidates = _candidates(folder, report, selection)
    start = events[0]["time"] if events else 0.0
    steps, marks = _timeline(folder, events, start)
    finished = [e for e in events if e["event"] == "run_finished"]
    train = [e for e in events if e["event"] == "phase_done" and e.get("phase") == "train"]
    return RunFacts(
        run_dir=str(folder.path),
        summary=folder.read_model("task_summary.json", TaskSummary),
        profile=folder.read_model("profile.json", Profile),
        blueprint=folder.read_model("blueprint.json", Blueprint),
        state=folder.state(),
        candidates=candidates,
        selection=selection,
        floor_cv=report.get("floor_cv"),
        explanation=_explanation(folder, events),
        steps=steps,
        marks=marks,
        repairs=[e for e in events if e["event"] == "repair"],
        skipped=_skipped(folder, events, candidates),
        llm=_llm(events),
        versions=report.get("versions") or {},
        seconds_used=round(finished[-1]["time"] - start, 1) if finished else None,
        training_seconds=sum(e["seconds"] for e in train) or None,
    )


def selection_predictions(folder: RunFolder) -> pd.DataFrame | None:
    """The selection's out-of-fold (and holdout) predictions beside the truth; None for runs from before."""
    path = folder.file(SELECTION_PREDICTIONS)
    return pd.read_csv(path) if path.exists() else None


# ----------------------------------------------------------------------------- parts
def _json(path: Path):
    return json.loads(path.read_text()) if path.exists() else None


def _candidates(folder: RunFolder, report: dict, selection: Selection | None) -> list[Candidate]:
    """leaderboard.csv's rows (candidates removed by a repair included), with the fold scores of
    pipeline_report.json and each member's weight."""
    folds = {(r["track"], r["model"]): r.get("fold_scores") or [] for r in report.get("leaderboard", [])}
    path = folder.file("leaderboard.csv")
    rows = pd.read_csv(path).to_dict("records") if path.exists() else []
    out = []
    for row in rows:
        clean = {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in row.items()}
        candidate = Candidate(track=clean["track"], model=clean["model"], status=clean["status"],
                              cv_score=clean.get("cv_score"), cv_std=clean.get("cv_std"),
                              holdout=clean.get("holdout"), seconds=clean.get("seconds"),
                              trials=None if clean.get("trials") is None else int(clean["trials"]),
                              error=clean.get("error") or "",
                              fold_scores=folds.get((clean["track"], clean["model"]), []))
        if selection is not None and candidate.name in selection.members:
            candidate.weight = selection.weights.get(candidate.name, 1.0 / len(selection.members))
        out.append(candidate)
    return out


def _explanation(folder: RunFolder, events: list[dict]) -> Explanation | None:
    path = folder.file("selection_explained.md")
    if not path.exists():
        return None
    said = [e for e in events if e["event"] == "selection_explained"]
    # Runs from before the event named its author wrote the file only in llm mode.
    by = said[-1].get("by", "llm") if said else "llm"
    return Explanation(text=path.read_text().strip(), by=by)


def _timeline(folder: RunFolder, events: list[dict], start: float) -> tuple[list[Step], list[Mark]]:
    steps, marks = [], []
    for e in events:
        if e["event"] == "phase_done":
            steps.append(Step(lane="phase", name=e["phase"], start_s=e["time"] - e["seconds"] - start,
                              end_s=e["time"] - start))
        elif e["event"] == "run_failed":
            marks.append(Mark(kind="failure", at_s=e["time"] - start, text=e.get("error", "")[:200]))
        elif e["event"] == "repair":
            marks.append(Mark(kind="repair", at_s=e["time"] - start,
                              text=f"repair {e.get('round')}: {e.get('module')}: {e.get('action')}"))
        elif e["event"] in ("verification_failed", "full_run_failed"):
            first = (e.get("diagnoses") or [{}])[0]
            marks.append(Mark(kind="failure", at_s=e["time"] - start,
                              text=f"{e['event'].replace('_', ' ')}: {first.get('module', '')}: "
                                   f"{first.get('failure', '')} ({first.get('cause', '')})"))
    launched = {e["attempt"]: e for e in events if e["event"] == "execute"}
    for e in events:
        if e["event"] != "executed" or e["attempt"] not in launched:
            continue
        status = "timed out" if e.get("timed_out") else ("ok" if e.get("returncode") == 0 else "failed")
        steps.append(Step(lane="attempt", name=e["attempt"], start_s=launched[e["attempt"]]["time"] - start,
                          end_s=e["time"] - start, status=status,
                          detail=f"exit {e.get('returncode')}, {e.get('seconds')}s"))
        if e["attempt"].endswith("-full"):
            steps += _candidate_steps(folder.file("attempts") / e["attempt"] / PIPELINE_EVENTS, e["time"] - start)
    return steps, marks


def _candidate_steps(path: Path, attempt_end_s: float) -> list[Step]:
    """The full run's candidates, placed on the run's clock (its events count from the pipeline's start)."""
    typed = read_events(path)
    ends = [e.t for e in typed if isinstance(e, pev.PipelineFinished)]
    offset = attempt_end_s - (ends[-1] if ends else max((e.t for e in typed), default=0.0))
    begun: dict[str, float] = {}
    steps = []
    for e in typed:
        name = f"{getattr(e, 'track', '')}/{getattr(e, 'learner', '')}"
        if isinstance(e, pev.CandidateStarted):
            begun[name] = e.t
        elif isinstance(e, (pev.CandidateFinished, pev.CandidateSkipped, pev.CandidateFailed)) and name in begun:
            status = {pev.CandidateFinished: "ok", pev.CandidateSkipped: "skipped"}.get(type(e), "failed")
            detail = f"CV {e.cv_mean:.5f}" if isinstance(e, pev.CandidateFinished) else getattr(
                e, "reason", getattr(e, "error", ""))
            steps.append(Step(lane="candidate", name=name, start_s=begun.pop(name) + offset, end_s=e.t + offset,
                              status=status, detail=str(detail)[:200]))
    return steps


def _skipped(folder: RunFolder, events: list[dict], candidates: list[Candidate]) -> list[Skip]:
    bp_skips = folder.read_model("blueprint.json", Blueprint).model.skipped
    out = [Skip(what=f"track {d.column}", reason=d.reason) for d in bp_skips]
    out += [Skip(what="llm track", reason=e["reason"]) for e in events if e["event"] == "llm_track_skipped"]
    out += [Skip(what="verification", reason=e["reason"]) for e in events if e["event"] == "verification_skipped"]
    out += [Skip(what=f"candidate {c.name} ({c.status})", reason=c.error or "no reason recorded")
            for c in candidates if c.status != "ok"]
    retrieval = _json(folder.file("retrieval.json")) or {}
    out += [Skip(what=f"{c.get('modality', '')} encoder {c.get('name', '?')}", reason=c.get("reason") or "not loadable")
            for c in retrieval.get("checkpoints", []) if not c.get("loadable")]
    return out


def _llm(events: list[dict]) -> LlmUse | None:
    calls = [e for e in events if e["event"] == "llm_call"]
    if not calls:
        return None
    purposes: dict[str, dict] = {}
    for c in calls:
        p = purposes.setdefault(c.get("purpose", "?"), {"purpose": c.get("purpose", "?"), "calls": 0, "tokens": 0,
                                                         "cost_usd": 0.0, "failures": 0})
        p["calls"] += 1
        p["tokens"] += (c.get("prompt_tokens") or 0) + (c.get("completion_tokens") or 0)
        p["cost_usd"] += c.get("cost_usd") or 0.0
        p["failures"] += c.get("outcome", "ok") not in ("ok", "reasked")
    summary = [e for e in events if e["event"] == "llm_summary"]
    return LlmUse(calls=len(calls), prompt_tokens=sum(c.get("prompt_tokens") or 0 for c in calls),
                  completion_tokens=sum(c.get("completion_tokens") or 0 for c in calls),
                  cost_usd=sum(c.get("cost_usd") or 0.0 for c in calls),
                  stopped=bool(summary and summary[-1].get("stopped")), by_purpose=list(purposes.values()))


__all__ = ["RunFacts", "gather", "selection_predictions", "PHASES"]

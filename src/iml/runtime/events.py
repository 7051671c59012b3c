"""Typed events from the pipeline to iml: one JSON object per line, one schema both sides import.

The pipeline (``iml_runtime`` in a run folder) writes them with :class:`EventLog`; iml reads them
with :func:`read_events` or :class:`EventTail` to diagnose, verify and show progress. Nothing on
either side parses log prose: the log is for people, the events are for programs.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

SCHEMA_VERSION = 1


@dataclass
class Event:
    """Base of every event; ``t`` is seconds since the pipeline started."""

    kind: ClassVar[str] = "event"
    t: float = 0.0

    def to_json(self) -> str:
        return json.dumps({"event": self.kind, **dataclasses.asdict(self)}, default=_plain)


@dataclass
class PipelineStarted(Event):
    kind: ClassVar[str] = "pipeline_started"
    mode: str = "train"  # train | sample (a verification run on a row sample) | predict
    time_budget: float = 0.0
    schema: int = SCHEMA_VERSION


@dataclass
class DataLoaded(Event):
    kind: ClassVar[str] = "data_loaded"
    train_rows: int = 0
    test_rows: int = 0
    holdout_rows: int = 0
    folds: int = 0


@dataclass
class ExecutorStarted(Event):
    """Where the fits run: forked local workers, Ray tasks (local or a cluster), or this process."""

    kind: ClassVar[str] = "executor_started"
    executor: str = "local"  # local | ray | in_process
    workers: int = 1
    address: str = ""
    requested: str = "local"
    seconds: float = 0.0
    error: str = ""


@dataclass
class FeaturizeStarted(Event):
    kind: ClassVar[str] = "featurize_started"
    feature_set: str = ""


@dataclass
class Featurized(Event):
    kind: ClassVar[str] = "featurized"
    feature_set: str = ""
    rows: int = 0
    columns: int = 0
    test_rows: int = 0
    holdout_rows: int = 0
    seconds: float = 0.0


@dataclass
class FeaturizeFailed(Event):
    """The feature set's module raised: every candidate reading it fails with this."""

    kind: ClassVar[str] = "featurize_failed"
    feature_set: str = ""
    exception: str = ""  # the exception's class name
    error: str = ""
    traceback: str = ""


@dataclass
class CandidateStarted(Event):
    kind: ClassVar[str] = "candidate_started"
    track: str = ""
    learner: str = ""
    share_s: float = 0.0


@dataclass
class CandidateFinished(Event):
    kind: ClassVar[str] = "candidate_finished"
    track: str = ""
    learner: str = ""
    cv_mean: float = 0.0
    cv_std: float = 0.0
    holdout: float | None = None
    folds: int = 0
    seconds: float = 0.0
    trials: int = 0
    params: dict = field(default_factory=dict)
    predictions_file: str | None = None  # test predictions, dumped by a verification run


@dataclass
class CandidateFailed(Event):
    kind: ClassVar[str] = "candidate_failed"
    track: str = ""
    learner: str = ""
    stage: str = "fit"  # featurize | fit | save
    exception: str = ""
    error: str = ""
    traceback: str = ""
    seconds: float = 0.0


@dataclass
class CandidateSkipped(Event):
    """Out of time: not a defect of any module."""

    kind: ClassVar[str] = "candidate_skipped"
    track: str = ""
    learner: str = ""
    reason: str = ""


@dataclass
class CandidateReused(Event):
    """Finished and saved by an earlier execution of the same code on the same rows (a resumed run)."""

    kind: ClassVar[str] = "candidate_reused"
    track: str = ""
    learner: str = ""
    cv_mean: float = 0.0
    cv_std: float = 0.0
    holdout: float | None = None


@dataclass
class SubmissionSaved(Event):
    kind: ClassVar[str] = "submission_saved"
    members: list = field(default_factory=list)
    how: str = ""
    cv_score: float | None = None
    holdout_score: float | None = None
    path: str = ""


@dataclass
class PipelineFailed(Event):
    """An exception outside any candidate (loading the data, the program itself)."""

    kind: ClassVar[str] = "pipeline_failed"
    exception: str = ""
    error: str = ""
    traceback: str = ""


@dataclass
class PipelineFinished(Event):
    kind: ClassVar[str] = "pipeline_finished"
    succeeded: int = 0
    seconds: float = 0.0


EVENT_TYPES: dict[str, type[Event]] = {cls.kind: cls for cls in (
    PipelineStarted, DataLoaded, ExecutorStarted, FeaturizeStarted, Featurized, FeaturizeFailed, CandidateStarted,
    CandidateFinished, CandidateFailed, CandidateSkipped, CandidateReused, SubmissionSaved, PipelineFailed, PipelineFinished)}


def from_dict(record: dict) -> Event:
    """The typed event of one decoded line; fields a newer writer added are ignored."""
    cls = EVENT_TYPES[record["event"]]
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in record.items() if k in names})


def parse_line(line: str) -> Event | None:
    """One line's event, or None for a blank, torn or unknown line (a killed writer leaves a torn last line)."""
    line = line.strip()
    if not line:
        return None
    try:
        record = json.loads(line)
        return from_dict(record)
    except (ValueError, KeyError, TypeError):
        return None


def read_events(path: str | Path) -> list[Event]:
    """Every readable event of a file; [] when the file does not exist."""
    path = Path(path)
    if not path.exists():
        return []
    return [e for e in map(parse_line, path.read_text(errors="replace").splitlines()) if e is not None]


class EventLog:
    """Appends events to a JSON-lines file, flushed per event so a kill loses at most the line being written."""

    def __init__(self, path: str | Path | None, started: float | None = None):
        self.path = Path(path) if path else None
        self.started = time.time() if started is None else started
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def emit(self, event: Event) -> Event:
        event.t = round(time.time() - self.started, 3)
        if self.path is not None:
            with self.path.open("a") as fh:
                fh.write(event.to_json() + "\n")
        return event


class EventTail:
    """Reads the events appended to a file since the last call (the host's live view of a running pipeline)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._offset = 0
        self._partial = ""

    def new(self) -> list[Event]:
        if not self.path.exists():
            return []
        with self.path.open("r", errors="replace") as fh:
            fh.seek(self._offset)
            chunk = fh.read()
            self._offset = fh.tell()
        text = self._partial + chunk
        lines = text.split("\n")
        self._partial = lines.pop()  # an unfinished line waits for its end
        return [e for e in map(parse_line, lines) if e is not None]


def _plain(value: Any):
    """numpy scalars and paths as JSON."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)

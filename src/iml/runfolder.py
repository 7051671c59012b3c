"""The run folder: every phase's artifact, the event journal and the phase reached.

A run folder is created once and never reused: a second run gets a new folder,
so nothing of an earlier run is ever overwritten.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

from pydantic import BaseModel, ValidationError

from iml.errors import RunFolderError

PHASES = ("perceive", "plan", "code", "verify", "train", "select", "report", "done")
PIPELINE_EVENTS = "pipeline_events.jsonl"  # the typed events of one execution, in its attempt folder


class RunState(BaseModel):
    phase_done: str | None = None  # last phase whose artifacts are complete
    data_dir: str
    options: dict
    started_at: str
    updated_at: str
    status: str = "running"  # running | succeeded | failed
    message: str = ""


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:60] or "task"


class RunFolder:
    def __init__(self, path: Path):
        # Absolute: generated code runs with its attempt folder as cwd, so relative paths would break.
        self.path = Path(path).resolve()
        # Called with each journal record as it is written (the terminal's progress view listens here).
        self.listeners: list[Callable[[dict], None]] = []

    # -- creation ---------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path | None, name: str, explicit: Path | None = None) -> "RunFolder":
        if explicit is not None:
            path = Path(explicit)
            if path.exists() and any(path.iterdir()):
                raise RunFolderError(f"run folder {path} already exists and is not empty.",
                                     hint="choose a new --run-dir, or continue that run with `iml resume`")
        else:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            base = Path(root or "runs") / f"{stamp}-{_slug(name)}"
            path, n = base, 1
            while path.exists():
                n += 1
                path = base.with_name(f"{base.name}-{n}")
        path.mkdir(parents=True, exist_ok=True)
        (path / "code").mkdir(exist_ok=True)
        (path / "attempts").mkdir(exist_ok=True)
        return cls(path)

    @classmethod
    def open(cls, path: Path) -> "RunFolder":
        folder = cls(Path(path))
        if not (folder.path / "state.json").exists():
            raise RunFolderError(f"{path} is not an iml run folder (no state.json).",
                                 hint="pass the folder printed at the end of `iml run`")
        return folder

    # -- artifacts --------------------------------------------------------------------
    def file(self, name: str) -> Path:
        return self.path / name

    def write_text(self, name: str, text: str) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(text)
        tmp.replace(target)
        return target

    def write_model(self, name: str, model: BaseModel) -> Path:
        return self.write_text(name, model.model_dump_json(indent=2))

    def read_model(self, name: str, cls: type[BaseModel]) -> BaseModel:
        path = self.path / name
        if not path.exists():
            raise RunFolderError(f"{path} is missing.", hint="re-run the phase that writes it (`iml resume`)")
        return _parse(path, cls)

    def new_attempt(self, label: str) -> Path:
        n = len(list((self.path / "attempts").glob("*"))) + 1
        path = self.path / "attempts" / f"{n:03d}-{_slug(label)}"
        path.mkdir(parents=True)
        return path

    # -- journal and state ------------------------------------------------------------
    def event(self, kind: str, /, **fields) -> None:  # positional: a field may be called kind
        record = {"time": round(time.time(), 3), "event": kind, **fields}
        with open(self.path / "events.jsonl", "a") as fh:
            fh.write(json.dumps(record, default=str) + "\n")
        for listener in self.listeners:
            listener(record)

    def events(self) -> list[dict]:
        path = self.path / "events.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def state(self) -> RunState:
        return _parse(self.path / "state.json", RunState)

    def save_state(self, state: RunState) -> None:
        state.updated_at = datetime.now().isoformat(timespec="seconds")
        self.write_model("state.json", state)


def _parse(path: Path, cls: type[BaseModel]) -> BaseModel:
    """A hand-edited or half-written artifact gives a clear error, not a traceback."""
    try:
        return cls.model_validate_json(path.read_text())
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors()[:3])
        raise RunFolderError(f"{path} is not a valid {cls.__name__}: {problems}",
                             hint="fix the file by hand (it is JSON), or start a new run") from None

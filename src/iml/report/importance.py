"""The selection's feature importance for the report: the probe, run in the sandbox on the run's fitted
pipeline, its answer kept in the run folder (so a rebuilt report need not measure it again)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from pydantic import BaseModel

from iml.integration import sandbox
from iml.runfolder import RunFolder

SAVED = "model/importance.json"
PROBE = Path(__file__).with_name("importance_probe.py")
MIN_SECONDS = 8.0  # less time than this left in a run: the report says how to measure it later


class Importance(BaseModel):
    columns: list[dict] = []  # column, importance, std
    rows: int = 0
    repeats: int = 0
    left_out: list[str] = []  # columns the time did not allow
    reason: str = ""  # why there is none
    model_stamp: str = ""  # the pickle measured (size and time), so a retrained run is measured again


def _stamp(model: Path) -> str:
    stat = model.stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def measure(folder: RunFolder, seconds: float | None) -> Importance:
    """Measured once per run folder and saved; ``seconds`` None: no time limit beyond the probe's own."""
    saved, model = folder.file(SAVED), folder.file("model") / "pipeline.pkl"
    if not model.exists():
        return Importance(reason="the run saved no fitted pipeline")
    if saved.exists():
        earlier = Importance.model_validate_json(saved.read_text())
        if earlier.model_stamp == _stamp(model):
            return earlier
    data = Path(folder.state().data_dir)
    if not data.is_dir():
        return Importance(reason=f"the data folder {data} is gone")
    if seconds is not None and seconds < MIN_SECONDS:
        return Importance(reason=f"not measured: the run's time budget was spent; `iml report {folder.path}` "
                                 "measures it")
    limit = 60.0 if seconds is None else min(60.0, seconds)
    with tempfile.TemporaryDirectory(prefix="iml-importance-") as work:
        out = Path(work) / "importance.json"
        result = sandbox.run([str(PROBE), "--code", str(folder.file("code")), "--model", str(model),
                              "--data", str(data), "--out", str(out), "--seconds", f"{limit * 0.6:.1f}"],
                             workdir=Path(work), log_dir=Path(work), timeout_s=limit, watch=data)
        if not result.ok or not out.exists():
            why = "timed out" if result.timed_out else (result.stderr_tail(300).strip().splitlines() or ["?"])[-1]
            return Importance(reason=f"could not be measured: {why}")
        found = json.loads(out.read_text())
    importance = Importance(columns=found["columns"], rows=found["rows"], repeats=found["repeats"],
                            left_out=found["left_out"], model_stamp=_stamp(model))
    folder.write_model(SAVED, importance)
    return importance

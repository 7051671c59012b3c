"""Fault injection: planted defects in generated modules are classified, blamed, repaired or contained.

Each case pauses a real run after the coding phase, plants a defect in one
module (as a person or an LLM might write it), and resumes the run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from iml.errors import PipelineFailed
from iml.flow import Run
from iml.options import RunOptions
from iml.progress import Progress

PREP = "code/preprocess.py"
MODEL = "code/model_traditional.py"


@dataclass
class Defect:
    """A defect planted at the end of a module, as a person or an LLM might patch it in.

    ``patch`` wraps one of the module's own names (its contract: ``load``, ``Preprocessor.transform``,
    ``Model.predict_proba``), so it does not depend on how the rest of the module is written.
    """

    name: str
    module: str
    patch: str
    failure: str  # expected class
    cause: str


def _wrap_transform(body: str) -> str:
    return ("\n\nimport numpy as _np  # planted\n_planted_transform = Preprocessor.transform\n\n\n"
            "def _planted(self, frame):\n    out = _planted_transform(self, frame)\n" + body + "    return out\n\n\n"
            "Preprocessor.transform = _planted\n")


DEFECTS = [
    Defect("nan_leak", PREP, _wrap_transform("    out.iloc[::7, 0] = _np.nan\n"), "contract_fulfillment", "contract"),
    Defect("missing_column", PREP,
           "\n\n_planted_load = load\n\n\ndef load(data_dir):\n    raw = _planted_load(data_dir)\n"
           "    raw.test = raw.test.drop(columns=[NUMERIC[0]])\n    return raw\n",
           "contract_fulfillment", "exception"),
    Defect("wrong_dtype", PREP, _wrap_transform("    out[out.columns[0]] = 'x'\n"), "contract_fulfillment", "contract"),
    Defect("proba_shape", MODEL,
           "\n\n_planted_proba = Model.predict_proba\n\n\ndef _planted(self, X):\n"
           "    return _planted_proba(self, X)[:, :1]\n\n\nModel.predict_proba = _planted\n",
           "contract_usage", "exception"),
    Defect("fails_beyond_sample", PREP,
           _wrap_transform("    if len(frame) > 400:\n        raise RuntimeError('row 401 is malformed')\n"),
           "contract_fulfillment", "exception"),
    Defect("infinite_loop", PREP, _wrap_transform("    while True:\n        pass\n"), "environment", "timeout"),
    Defect("memory_hog", PREP, _wrap_transform("    hog = [bytearray(256 * 2**20) for _ in range(200)]\n"),
           "environment", "memory"),
]


def start_run(data: Path, run_dir: Path, **overrides) -> Run:
    options = RunOptions(data_dir=str(data), run_dir=str(run_dir), time_budget=overrides.pop("time_budget", 25),
                         memory_mb=3000, tracks=overrides.pop("tracks", ["traditional"]), **overrides)
    return Run.start(options, Progress(quiet=True))


def plant(run: Run, defect: Defect) -> None:
    path = run.folder.file(defect.module)
    path.write_text(path.read_text() + defect.patch)


def failures(run: Run) -> list[dict]:
    return [d for e in run.folder.events() if e["event"].endswith("_failed") and "diagnoses" in e
            for d in e["diagnoses"][:1]]


def fault_row(defect: Defect, run: Run, outcome: str) -> dict:
    first = failures(run)[0] if failures(run) else {}
    repairs = [e for e in run.folder.events() if e["event"] == "repair"]
    return {"defect": defect.name, "class": first.get("failure"), "cause": first.get("cause"),
            "blamed": first.get("module"), "outcome": outcome, "rounds": len(repairs)}


@pytest.mark.slow
@pytest.mark.parametrize("defect", DEFECTS, ids=[d.name for d in DEFECTS])
def test_planted_defect_is_blamed_and_repaired(defect: Defect, binary_task: Path, tmp_path: Path) -> None:
    run = start_run(binary_task, tmp_path / "run")
    run.execute(stop_after="code")
    plant(run, defect)
    outcome = run.execute()

    row = fault_row(defect, run, outcome.status)
    print(json.dumps(row))
    assert outcome.status == "succeeded"
    assert row["class"] == defect.failure and row["cause"] == defect.cause, row
    assert row["blamed"] == defect.module, row
    assert 1 <= row["rounds"] <= 3, row
    repaired = run.folder.file(defect.module).read_text()
    assert defect.patch not in repaired  # the defect is gone from the module
    submission = pd.read_csv(outcome.submission)
    assert list(submission.columns) == ["row_id", "left"]
    assert len(submission) == 200 and submission["left"].between(0, 1).all()


def test_no_repair_rounds_means_a_clear_failure(binary_task: Path, tmp_path: Path) -> None:
    run = start_run(binary_task, tmp_path / "run", debug_rounds=0)
    run.execute(stop_after="code")
    plant(run, DEFECTS[0])
    with pytest.raises(PipelineFailed) as info:
        run.execute()
    assert "after 0 repair round(s)" in info.value.message
    assert "code/preprocess.py" in info.value.message and "missing" in info.value.message
    assert run.folder.state().status == "failed"
    # the run failed, and still leaves a valid submission: the floor, the training rows' share of "left"
    floor = pd.read_csv(run.folder.file("submission.csv"))
    assert list(floor.columns) == ["row_id", "left"] and len(floor) == 200 and floor["left"].nunique() == 1
    assert "floor_only" in [e["event"] for e in run.folder.events()]
    assert [e["source"] for e in run.folder.events() if e["event"] == "floor_saved"] == ["host"]  # the early floor


def test_a_candidate_that_always_fails_is_contained(binary_task: Path, tmp_path: Path) -> None:
    run = start_run(binary_task, tmp_path / "run")
    run.execute(stop_after="plan")
    blueprint = json.loads(run.folder.file("blueprint.json").read_text())
    blueprint["model"]["candidates"].append({"track": "traditional", "learner": "no_such_learner", "params": {},
                                             "search": False, "weight": 1.0})
    run.folder.write_text("blueprint.json", json.dumps(blueprint))
    outcome = run.execute()

    assert outcome.status == "succeeded"
    board = pd.read_csv(run.folder.file("leaderboard.csv"))
    failed = board[board["model"] == "no_such_learner"]
    assert len(failed) == 1 and failed["status"].iloc[0] == "failed"
    assert "unknown learner" in failed["error"].iloc[0]
    assert (board["status"] == "ok").any()
    assert len(pd.read_csv(outcome.submission)) == 200

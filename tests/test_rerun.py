"""Edit and re-run through the real CLI: `iml rerun --from code` after a hand edit of code/preprocess.py (a good
edit is verified and trains, a broken one is caught and repaired), and `iml resume` after a kill mid-training
takes back the candidates already saved. One finished run is copied for each case."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import make_binary_task

GOOD_EDIT = """

# hand edit: ages above 75 tell no more than 75
_hand_transform = Preprocessor.transform


def _clipped(self, frame):
    out = _hand_transform(self, frame)
    if "age" in out.columns:
        out["age"] = out["age"].clip(upper=75)
    return out


Preprocessor.transform = _clipped
"""

BROKEN_EDIT = """

def _unfinished(self, frame):
    raise ValueError("hand edit: not finished yet")


Preprocessor.transform = _unfinished
"""


def iml(*args, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "iml.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def journal(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines() if line.strip()]


def since_last(run: Path, kind: str) -> list[dict]:
    records = journal(run)
    start = max(i for i, e in enumerate(records) if e["event"] == kind)
    return records[start:]


def attempts_after(run: Path, before: set[str]) -> list[Path]:
    return sorted(p for p in (run / "attempts").iterdir() if p.is_dir() and p.name not in before)


def pipeline_events(attempt: Path) -> list[dict]:
    """The typed events of one execution; a line being written is skipped."""
    records = []
    for line in (attempt / "pipeline_events.jsonl").read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("rerun")
    data = make_binary_task(base / "data")
    iml("run", data, "--run-dir", base / "run", "--time-budget", 20, "--tracks", "traditional", "--presets", "fast",
        cwd=base)
    return base / "run"


@pytest.fixture
def run(finished: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(finished, copy)
    return copy


def test_rerun_from_code_keeps_a_good_edit_verifies_it_and_trains_with_it(run: Path, tmp_path: Path) -> None:
    prep = run / "code" / "preprocess.py"
    prep.write_text(prep.read_text() + GOOD_EDIT)
    earlier = {name: (run / name).read_bytes() for name in ("submission.csv", "leaderboard.csv")}
    before = {p.name for p in (run / "attempts").iterdir()}

    proc = iml("rerun", run, "--from", "code", "--time-budget", 12, cwd=tmp_path)
    assert "code/preprocess.py" in proc.stderr

    assert prep.read_text().endswith(GOOD_EDIT)  # the final code is the person's
    records = since_last(run, "rerun")
    assert records[0]["start"] == "code" and records[0]["edited"] == ["code/preprocess.py"]
    kinds = [e["event"] for e in records]
    assert {"artifact": "code/preprocess.py", "phase": "code"}.items() <= next(
        e for e in records if e["event"] == "edit_kept").items()
    assert "verification_failed" not in kinds and "repair" not in kinds
    assert [e["phase"] for e in records if e["event"] == "phase_done"] == ["code", "verify", "train", "select",
                                                                          "report"]
    assert json.loads((run / "state.json").read_text())["status"] == "succeeded"
    new = attempts_after(run, before)
    assert [p.name.split("-", 1)[1] for p in new] == ["verify", "full"]
    for attempt in new:  # what was verified and what trained is the edited module
        assert (attempt / "code_version" / "code" / "preprocess.py").read_text().endswith(GOOD_EDIT)
    assert any(e["event"] == "submission_saved" and e["how"] != "floor" for e in pipeline_events(new[-1]))

    # The earlier attempt's results stay in the run's history.
    history = run / records[0]["history"]
    assert {name: (history / name).read_bytes() for name in earlier} == earlier
    assert (history / "model" / "pipeline.pkl").is_file()
    assert json.loads((history / "rerun.json").read_text())["edited"] == ["code/preprocess.py"]
    assert (run / "submission.csv").is_file() and (run / "model" / "pipeline.pkl").is_file()


def test_rerun_catches_a_broken_edit_in_verification_and_repairs_it(run: Path, tmp_path: Path) -> None:
    prep = run / "code" / "preprocess.py"
    prep.write_text(prep.read_text() + BROKEN_EDIT)

    iml("rerun", run, "--from", "code", "--time-budget", 16, cwd=tmp_path)

    records = since_last(run, "rerun")
    assert any(e["event"] == "edit_kept" and e["artifact"] == "code/preprocess.py" for e in records)
    failed = next(e for e in records if e["event"] == "verification_failed")
    blamed = failed["diagnoses"][0]
    assert blamed["module"] == "code/preprocess.py"
    assert "hand edit: not finished yet" in blamed["evidence"] + (blamed.get("traceback") or "")
    repair = next(e for e in records if e["event"] == "repair")
    assert repair["module"] == "code/preprocess.py" and repair["kind"] == "regenerate"
    diff = run / next(e for e in records if e["event"] == "repair_diff")["file"]
    assert "-    raise ValueError(\"hand edit: not finished yet\")" in diff.read_text()
    assert "hand edit" not in prep.read_text()
    assert json.loads((run / "state.json").read_text())["status"] == "succeeded"


def _pipeline_processes(run: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if str(run / "pipeline.py") in " ".join(proc.info["cmdline"] or []) \
                    and proc.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def _saved_a_candidate(run: Path, before: set[str]) -> bool:
    full = [p for p in attempts_after(run, before) if (p / "pipeline_events.jsonl").exists() and "-full" in p.name]
    return bool(full and list((run / "candidates").glob("*.pkl"))
                and any(e["event"] == "candidate_finished" for e in pipeline_events(full[-1])))


def test_resume_after_a_kill_mid_training_reuses_the_saved_candidates(run: Path, tmp_path: Path) -> None:
    kept_dir = run / "candidates"
    before = {p.name for p in (run / "attempts").iterdir()}
    proc = subprocess.Popen([sys.executable, "-m", "iml.cli", "rerun", str(run), "--from", "train",
                             "--time-budget", "20"], cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        # Kill once the new full run has saved its first candidate (the copied run's were moved to history/).
        while time.monotonic() < deadline and not _saved_a_candidate(run, before):
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    kept = sorted(p.name for p in kept_dir.glob("*.pkl"))
    assert kept, "no candidate was saved before the kill"
    killed = attempts_after(run, before)[-1]
    finished_before = {e["learner"] for e in pipeline_events(killed) if e["event"] == "candidate_finished"}
    assert "pipeline_finished" not in {e["event"] for e in pipeline_events(killed)}, "killed too late"
    deadline = time.monotonic() + 10
    while _pipeline_processes(run) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _pipeline_processes(run), "the sandboxed pipeline outlived the killed iml process"

    iml("resume", run, "--time-budget", 10, cwd=tmp_path)

    resumed = sorted((run / "attempts").glob("*-full"))[-1]
    assert resumed != killed
    events = pipeline_events(resumed)
    reused = {e["learner"] for e in events if e["event"] == "candidate_reused"}
    started = {e["learner"] for e in events if e["event"] == "candidate_started"}
    assert reused and reused <= finished_before
    assert len(reused) == len(kept)
    assert not reused & started  # nothing saved was fitted again
    assert "linear" in reused | started | {e["learner"] for e in events if e["event"] == "candidate_skipped"}
    assert json.loads((run / "state.json").read_text())["status"] == "succeeded"
    board = (run / "leaderboard.csv").read_text()
    assert all(f"traditional,{learner},ok" in board for learner in reused)


def test_an_edited_blueprint_moves_the_rerun_back_to_the_code_phase(run: Path) -> None:
    from iml.rerun import prepare
    from iml.runfolder import RunFolder

    blueprint = json.loads((run / "blueprint.json").read_text())
    blueprint["model"]["candidates"] = blueprint["model"]["candidates"][:1]
    (run / "blueprint.json").write_text(json.dumps(blueprint, indent=1))

    decision = prepare(RunFolder.open(run), "train")

    assert decision["start"] == "code" and decision["edited"] == ["blueprint.json"]
    assert json.loads((run / "state.json").read_text())["phase_done"] == "plan"
    assert not (run / "submission.csv").exists() and (run / decision["history"] / "submission.csv").is_file()
    assert not (run / "model").exists() and (run / decision["history"] / "model" / "pipeline.pkl").is_file()

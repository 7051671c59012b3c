"""`iml bench`: run systems on task folders (TASK_FORMAT.md) and grade every submission.

Each system sees a copy of the task's prepared/public folder only, so nothing can
write into the task; wall time, peak memory and time to the first valid submission
are measured here, not taken from the system's word. Finished cells are appended to
``results.jsonl`` as they end, so a re-run skips them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from pydantic import BaseModel

from iml.bench import systems
from iml.bench.cells import BenchCell, CellKey
from iml.bench.measure import run_measured
from iml.bench.outputs import write_outputs
from iml.bench.ranking import load_leaderboard, rank
from iml.grading import GradeReport, grade_submission, load_task_facts

# A system gets this much longer than its budget before the harness kills it: iml and
# the baselines all stop themselves, the allowance only catches one that does not.
_GRACE = 1.5
_GRACE_S = 60.0


class BenchSettings(BaseModel):
    time_budget: float = 120.0
    systems: list[str] = ["iml"]
    stripped: bool = False  # also run the systems that read descriptions with the stripped one
    variant: str = "full"
    tracks: str = ""
    jobs: int = 1
    pythons: dict[str, str] = {}
    seed: int = 0


def task_dirs(root: Path) -> list[Path]:
    root = Path(root)
    if (root / "prepared" / "public").is_dir():
        return [root]
    return sorted(p for p in root.iterdir() if (p / "prepared" / "public").is_dir())


def planned_keys(tasks: list[Path], settings: BenchSettings) -> list[tuple[Path, CellKey]]:
    keys = []
    for task_dir in tasks:
        for system in settings.systems:
            # Only iml reads descriptions; a baseline's stripped cell would be the same experiment.
            for strip in ([False, True] if settings.stripped and system == "iml" else [False]):
                keys.append((task_dir, CellKey(task=task_dir.name, system=system, stripped=strip,
                                               variant=settings.variant if system == "iml" else "full",
                                               tracks=settings.tracks if system == "iml" else "",
                                               time_budget=settings.time_budget)))
    return keys


def _run_timings(run_dir: Path) -> tuple[float | None, float | None]:
    """(seconds to the first model submission, seconds of every phase but training), from a run's events."""
    events = run_dir / "events.jsonl"
    if not events.exists():
        return None, None
    first, phases = None, 0.0
    for line in events.read_text().splitlines():
        record = json.loads(line)
        if record["event"] == "first_model_submission" and first is None:
            first = float(record["seconds"])
        elif record["event"] == "phase_done" and record.get("phase") != "train":
            phases += float(record.get("seconds", 0.0))
    return first, round(phases, 2)


def _llm_usage(run_dir: Path) -> tuple[int, float]:
    """LLM tokens and cost, from the calls a run recorded in its events."""
    tokens, cost = 0, 0.0
    events = run_dir / "events.jsonl"
    if events.exists():
        for line in events.read_text().splitlines():
            record = json.loads(line)
            if record["event"] == "llm_call":
                tokens += int(record.get("prompt_tokens", 0)) + int(record.get("completion_tokens", 0))
                cost += float(record.get("cost_usd") or 0.0)
    return tokens, round(cost, 6)


def run_cell(task_dir: Path, key: CellKey, out_dir: Path, settings: BenchSettings) -> BenchCell:
    # MLE-bench's own competition folders have no task.yaml: iml still runs on them and its
    # submission goes to mlebench/*.jsonl for `mlebench grade`; our grader needs the facts.
    facts = load_task_facts(task_dir) if (task_dir / "task.yaml").is_file() else None
    cell_dir = out_dir / "runs" / key.system / (key.task + ("-stripped" if key.stripped else "")
                                                + (f"-{key.variant}" if key.variant != "full" else ""))
    if cell_dir.exists():  # an unfinished earlier attempt: its results were never recorded
        shutil.rmtree(cell_dir)
    common = dict(key.model_dump(), run_dir=str(cell_dir))
    reason = systems.unsupported(key.system, facts) if facts else (
        None if key.system == "iml" else f"{key.system} needs the task's label: add a task.yaml (TASK_FORMAT.md)")
    if reason:
        return BenchCell(**common, supported=False, score=None, p_norm=0.0, valid=False, reason=reason,
                         wall_s=0.0, first_submission_s=None)
    log = out_dir / "logs" / f"{cell_dir.parent.name}-{cell_dir.name}.txt"
    with tempfile.TemporaryDirectory(prefix="iml-bench-") as tmp:
        public = Path(tmp) / task_dir.name
        shutil.copytree(task_dir / "prepared" / "public", public)
        if key.system == "iml":
            args = systems.iml_command(public, cell_dir, key.time_budget, key.stripped, key.variant, key.tracks)
        else:
            python = systems.python_for(key.system, settings.pythons)
            args = systems.baseline_command(key.system, python, facts, public, cell_dir, key.time_budget,
                                            settings.seed)
        submission = cell_dir / "submission.csv"
        measured = run_measured(args, log, key.time_budget * _GRACE + _GRACE_S, watch=submission)
    if facts is None:
        report = GradeReport(task_id=key.task, metric="?", valid=False,
                             reason="not graded here (no task.yaml): grade it with `mlebench grade`")
    else:
        report = grade_submission(task_dir, submission)
    tokens, cost = _llm_usage(cell_dir) if key.system == "iml" else (0, 0.0)
    first_model, orchestration = _run_timings(cell_dir) if key.system == "iml" else (None, None)
    # When the submission file first appeared, seen from outside; it counts only if it is valid.
    first = (measured.first_file_s or measured.wall_s) if report.valid else None
    reason = report.reason
    if not report.valid and measured.returncode not in (0, None):
        tail = [line for line in log.read_text(errors="replace").splitlines() if line.strip()][-1:] or [""]
        reason = f"{reason} (exit {measured.returncode}: {tail[0][:200]})"
    if measured.timed_out:
        reason = f"killed after {measured.wall_s:.0f}s; {reason}"
    ranking = {}
    leaderboard = load_leaderboard(task_dir)
    if leaderboard is not None and facts is not None:
        placed = rank(report.score if report.valid else None, leaderboard, facts.metric)
        ranking = dict(above_median=placed.above_median, medal=placed.medal)
    return BenchCell(**common, score=report.score, p_norm=report.p_norm, valid=report.valid, reason=reason,
                     wall_s=measured.wall_s, first_submission_s=first, peak_memory_mb=measured.peak_memory_mb,
                     first_model_s=first_model if report.valid else None, orchestration_s=orchestration,
                     timed_out=measured.timed_out, llm_tokens=tokens, llm_cost_usd=cost,
                     submission=str(submission) if submission.exists() else "", **ranking)


def load_results(path: Path) -> dict[CellKey, BenchCell]:
    done = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                cell = BenchCell.model_validate_json(line)
                done[cell.key] = cell
    return done


def run_bench(tasks_root: Path, out_dir: Path, settings: BenchSettings,
              on_cell: Callable[[BenchCell], None] | None = None) -> list[BenchCell]:
    for system in settings.systems:
        systems.check_installed(system, systems.python_for(system, settings.pythons))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / "results.jsonl"
    done = load_results(results_path)
    plan = planned_keys(task_dirs(tasks_root), settings)
    lock = threading.Lock()

    def one(item: tuple[Path, CellKey]) -> BenchCell:
        task_dir, key = item
        cell = done.get(key)
        if cell is None:
            cell = run_cell(task_dir, key, out_dir, settings)
            with lock, open(results_path, "a") as fh:
                fh.write(cell.model_dump_json() + "\n")
        if on_cell:
            with lock:
                on_cell(cell)
        return cell

    with ThreadPoolExecutor(max_workers=max(1, settings.jobs)) as pool:
        cells = list(pool.map(one, plan))
    write_outputs(cells, out_dir, settings.time_budget)
    return cells

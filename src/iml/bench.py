"""`iml bench`: run iml on task folders (TASK_FORMAT.md) and grade every submission.

Each run sees a copy of the task's prepared/public folder only, so nothing can
write into the task; wall time and time to the first valid submission are
measured here, not taken from the run's word.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel

from iml.grading import grade_submission

STRIPPED_SENTENCE = ("Analyze the provided data files and execute the appropriate predictive task "
                     "for the target variable.")


class BenchCell(BaseModel):
    task: str
    system: str
    stripped: bool
    score: float | None
    p_norm: float
    valid: bool
    reason: str
    wall_s: float
    first_submission_s: float | None
    run_dir: str


def task_dirs(root: Path) -> list[Path]:
    root = Path(root)
    if (root / "prepared" / "public").is_dir():
        return [root]
    return sorted(p for p in root.iterdir() if (p / "prepared" / "public").is_dir())


def run_cell(task_dir: Path, out_dir: Path, time_budget: float, stripped: bool, extra: list[str]) -> BenchCell:
    name = task_dir.name + ("-stripped" if stripped else "")
    run_dir = out_dir / "runs" / name
    if run_dir.exists():
        shutil.rmtree(run_dir)
    with tempfile.TemporaryDirectory(prefix="iml-bench-") as tmp:
        public = Path(tmp) / task_dir.name
        shutil.copytree(task_dir / "prepared" / "public", public)
        args = [sys.executable, "-m", "iml.cli", "run", str(public), "--time-budget", str(time_budget),
                "--run-dir", str(run_dir), "--quiet", *extra]
        if stripped:
            args += ["--goal", STRIPPED_SENTENCE]
        started = time.monotonic()
        proc = subprocess.run(args, capture_output=True, text=True)
        wall = time.monotonic() - started
    (out_dir / "logs").mkdir(parents=True, exist_ok=True)
    (out_dir / "logs" / f"{name}.txt").write_text(proc.stdout + "\n" + proc.stderr)
    report = grade_submission(task_dir, run_dir / "submission.csv")
    first = None
    events = run_dir / "events.jsonl"
    if events.exists():
        for line in events.read_text().splitlines():
            record = json.loads(line)
            if record["event"] == "first_submission":
                first = record["seconds"]
                break
    return BenchCell(task=task_dir.name, system="iml", stripped=stripped, score=report.score, p_norm=report.p_norm,
                     valid=report.valid, reason=report.reason or (proc.stderr.strip().splitlines() or [""])[-1],
                     wall_s=round(wall, 1), first_submission_s=first, run_dir=str(run_dir))


def markdown_table(cells: list[BenchCell], time_budget: float) -> str:
    lines = [f"| task | stripped | score | P_norm | valid | wall s (budget {time_budget:.0f}) | first submission s |",
             "|---|---|---|---|---|---|---|"]
    for c in cells:
        score = f"{c.score:.5f}" if c.score is not None else "-"
        first = f"{c.first_submission_s:.1f}" if c.first_submission_s is not None else "-"
        lines.append(f"| {c.task} | {'yes' if c.stripped else 'no'} | {score} | {c.p_norm:.4f} | "
                     f"{'yes' if c.valid else 'no: ' + c.reason} | {c.wall_s:.1f} | {first} |")
    if cells:
        aps = sum(c.p_norm for c in cells) / len(cells)
        lines.append(f"| **APS** | | | **{aps:.4f}** | {sum(c.valid for c in cells)}/{len(cells)} | | |")
    return "\n".join(lines)


def run_bench(tasks_root: Path, out_dir: Path, time_budget: float, stripped: bool = False,
              extra: list[str] | None = None, on_cell=None) -> list[BenchCell]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / "results.jsonl"
    done = {}
    if results_path.exists():  # resumable: finished cells are kept
        for line in results_path.read_text().splitlines():
            cell = BenchCell.model_validate_json(line)
            done[(cell.task, cell.stripped)] = cell
    cells = []
    for task_dir in task_dirs(tasks_root):
        for strip in ([False, True] if stripped else [False]):
            cell = done.get((task_dir.name, strip))
            if cell is None:
                cell = run_cell(task_dir, out_dir, time_budget, strip, extra or [])
                with open(results_path, "a") as fh:
                    fh.write(cell.model_dump_json() + "\n")
            cells.append(cell)
            if on_cell:
                on_cell(cell)
    (out_dir / "results.md").write_text(markdown_table(cells, time_budget) + "\n")
    return cells

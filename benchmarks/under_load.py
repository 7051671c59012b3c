"""Several iml runs at once on one machine, sharing its cores: each must end with a valid result.

    python benchmarks/under_load.py [TASK_DIR ...] [--runs 4] [--time-budget 60] [--out DIR]

TASK_DIR is a task folder of TASK_FORMAT.md (``prepared/public`` is what iml reads; ``prepared/private``
grades the submission). Without one, the first ``--runs`` tasks of ``../shared/tasks`` are used. All
runs start together, each an ``iml run`` in its own process with the same budget; every half second the
resident memory of each run's whole process tree (iml, the sandboxed pipeline, its workers) is summed.
The table (``under_load.md`` in ``--out``, and JSON beside it) gives per run: wall time against the
budget, peak memory of the tree, exit code, whether the submission is valid, and its graded score.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SHARED_TASKS = ROOT.parent / "shared" / "tasks"


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants (those that exit between the reads count 0)."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass
    return total


def start(task: Path, out: Path, budget: float) -> dict:
    run_dir = out / f"run-{task.name}"
    log = open(out / f"{task.name}.log", "w")
    command = [sys.executable, "-m", "iml.cli", "run", str(task / "prepared" / "public"), "--time-budget",
               str(budget), "--run-dir", str(run_dir), "--quiet"]
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=out)
    return {"task": task.name, "run_dir": run_dir, "proc": proc, "ps": psutil.Process(proc.pid),
            "started": time.monotonic(), "peak": 0, "log": log}


def grade(task: Path, run_dir: Path) -> tuple[bool, float | None, str]:
    from iml.grading import grade_submission

    submission = run_dir / "submission.csv"
    if not submission.is_file():
        return False, None, "no submission.csv"
    report = grade_submission(task, submission)
    return report.valid, report.score, report.reason


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tasks", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=4, help="runs at once when no task is named")
    parser.add_argument("--time-budget", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "under_load")
    args = parser.parse_args(argv)
    tasks = args.tasks or sorted(p for p in SHARED_TASKS.iterdir() if (p / "task.yaml").is_file())[:args.runs]
    args.out.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    runs = [start(task.resolve(), args.out.resolve(), args.time_budget) for task in tasks]
    while any(r["proc"].poll() is None for r in runs):
        for r in runs:
            if r["proc"].poll() is None:
                r["peak"] = max(r["peak"], tree_rss(r["ps"]))
            elif "wall" not in r:
                r["wall"] = time.monotonic() - r["started"]
        time.sleep(0.5)
    rows = []
    for task, r in zip(tasks, runs):
        r["log"].close()
        wall = r.get("wall", time.monotonic() - r["started"])
        valid, score, reason = grade(task, r["run_dir"])
        rows.append({"task": r["task"], "budget_s": args.time_budget, "wall_s": round(wall, 1),
                     "peak_mb": round(r["peak"] / 2**20), "exit": r["proc"].returncode, "valid": valid,
                     "score": score, "reason": reason})
    total = time.monotonic() - began
    cores = psutil.cpu_count()
    lines = [f"# {len(rows)} iml runs at once on {cores} cores, {args.time_budget:.0f} s budget each",
             "", f"All started together; the last ended after {total:.0f} s.", "",
             "| task | wall (s) | over budget | peak memory (MB) | exit | valid | score |",
             "|---|---:|---:|---:|---:|---|---:|"]
    for row in rows:
        over = row["wall_s"] - row["budget_s"]
        score = "" if row["score"] is None else f"{row['score']:.4f}"
        lines.append(f"| {row['task']} | {row['wall_s']} | {over:+.1f} | {row['peak_mb']} | {row['exit']} | "
                     f"{'yes' if row['valid'] else 'no: ' + row['reason']} | {score} |")
    (args.out / "under_load.md").write_text("\n".join(lines) + "\n")
    (args.out / "under_load.json").write_text(json.dumps(rows, indent=2))
    print("\n".join(lines))
    return 0 if all(row["valid"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Run iml on the development tasks and print score, P_norm, wall time and time to first submission.

    python benchmarks/dev_tasks.py [--tasks ../shared/tasks] [--time-budget 120] [--stripped] [--out bench-out]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from iml.bench import markdown_table, run_bench

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=Path, default=ROOT.parent / "shared" / "tasks")
    parser.add_argument("--time-budget", type=float, default=120.0)
    parser.add_argument("--stripped", action="store_true", help="also run every task with the stripped description")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-out")
    args = parser.parse_args()
    cells = run_bench(args.tasks, args.out, args.time_budget, args.stripped,
                      on_cell=lambda c: print(f"  {c.task}{' (stripped)' if c.stripped else ''}: "
                                              f"P_norm {c.p_norm:.4f}, {c.wall_s:.0f}s", flush=True))
    print(f"\n{os.cpu_count()} cores, budget {args.time_budget:.0f}s per run\n")
    print(markdown_table(cells, args.time_budget))


if __name__ == "__main__":
    main()

"""Run systems on the development tasks and print the bench tables.

    python benchmarks/dev_tasks.py [--tasks ../shared/tasks] [--time-budget 300] [--stripped]
                                   [--systems iml,floor] [--out bench-out] [--jobs 1]

The same as `iml bench`, with the development tasks as the default folder.
Baselines need their own interpreters: --system-python autogluon=PATH (see `iml bench --help`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from iml.bench import BenchSettings, markdown_report, run_bench
from iml.bench.systems import parse_pythons, parse_systems

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=Path, default=ROOT.parent / "shared" / "tasks")
    parser.add_argument("--time-budget", type=float, default=300.0)
    parser.add_argument("--stripped", action="store_true", help="also run iml with the stripped description")
    parser.add_argument("--systems", default="iml,floor")
    parser.add_argument("--tracks", default="")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--system-python", action="append", default=[])
    parser.add_argument("--out", type=Path, default=ROOT / "bench-out")
    args = parser.parse_args()
    settings = BenchSettings(time_budget=args.time_budget, systems=parse_systems(args.systems),
                             stripped=args.stripped, tracks=args.tracks, jobs=args.jobs,
                             pythons=parse_pythons(args.system_python))
    cells = run_bench(args.tasks, args.out, settings,
                      on_cell=lambda c: print(f"  {c.task} / {c.column}: P_norm {c.p_norm:.4f}, {c.wall_s:.0f}s",
                                              flush=True))
    print()
    print(markdown_report(cells, args.time_budget))


if __name__ == "__main__":
    main()

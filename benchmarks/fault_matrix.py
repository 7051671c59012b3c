"""Print the fault matrix: planted defect -> failure class -> blamed module -> outcome -> repair rounds.

    python benchmarks/fault_matrix.py [--debug-rounds K]

Uses the defects and helpers of tests/test_faults.py on a generated task.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug-rounds", type=int, default=10)
    args = parser.parse_args()
    conftest, faults = _load("conftest"), _load("test_faults")
    from iml.errors import IMLError

    print("| defect | class | cause | blamed module | outcome | rounds |")
    print("|---|---|---|---|---|---|")
    for defect in faults.DEFECTS:
        with tempfile.TemporaryDirectory() as tmp:
            data = conftest.make_binary_task(Path(tmp) / "data")
            run = faults.start_run(data, Path(tmp) / "run", debug_rounds=args.debug_rounds)
            run.execute(stop_after="code")
            faults.plant(run, defect)
            try:
                outcome = run.execute().status
            except IMLError as exc:
                outcome = f"failed cleanly: {exc.message[:60]}"
            row = faults.fault_row(defect, run, outcome)
            print(f"| {row['defect']} | {row['class']} | {row['cause']} | {row['blamed']} | {row['outcome']} | "
                  f"{row['rounds']} |", flush=True)


if __name__ == "__main__":
    main()

"""Permutation importance of a run's fitted pipeline, per input column: run by iml in the sandbox (the
pipeline is generated code), with the run's own code on the path, and it imports nothing of iml.

python importance_probe.py --code RUN/code --model RUN/model/pipeline.pkl --data DATA_DIR --out FILE.json
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--code", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.seconds
    sys.path.insert(0, args.code)
    import preprocess  # the run's own module: how its tables are read
    from iml_runtime.decision import score
    from iml_runtime.importance import permutation_importance

    with open(args.model, "rb") as fh:
        fitted = pickle.load(fh)
    raw = preprocess.load(args.data)
    rng = np.random.default_rng(args.seed)
    rows = np.sort(rng.choice(len(raw.train), min(args.rows, len(raw.train)), replace=False))
    frame, y = raw.train.iloc[rows].reset_index(drop=True), raw.y.iloc[rows]
    objective, rule = fitted.objective, getattr(fitted, "rule", None)
    truth = objective.encode_target(y)
    skip = {preprocess.TARGET, getattr(preprocess, "ID_COLUMN", None)}
    columns = [c for c in frame.columns if c not in skip]
    base, results, left_out = permutation_importance(
        lambda data: score(objective, truth, fitted.predict_matrix(data), rule), frame, columns,
        objective.greater_is_better, repeats=args.repeats, seed=args.seed, deadline=deadline)
    with open(args.out, "w") as fh:
        json.dump({"rows": len(frame), "repeats": args.repeats, "baseline": float(base), "metric": objective.metric,
                   "columns": results, "left_out": left_out}, fh)


if __name__ == "__main__":
    main()

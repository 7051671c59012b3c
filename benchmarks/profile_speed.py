"""How long the Profiling Agent takes on a generated 100k x 50 table (train + 25% test).

    python benchmarks/profile_speed.py [--rows 100000]

Columns: id, 30 float (some missing, one skewed), 6 int, 10 categorical (3 to 5,000
values), 1 date string, 1 free-text column, binary target. Prints elapsed seconds of
profile_task on frames already in memory, and again reading the CSV files.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from iml.perception.profiling import profile_task
from iml.perception.summary import SubmissionFormat, TaskSummary

WORDS = np.array("the a model data signal noise price market river cloud quick brown fox jumps over lazy dog".split())


def make_frame(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """n_rows x 50: id, 30 float, 6 int, 10 categorical, date, text, binary target."""
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {"id": np.arange(n_rows)}
    for i in range(30):
        x = rng.lognormal(size=n_rows) if i == 0 else rng.normal(i, 1 + i % 3, size=n_rows)
        x[rng.random(n_rows) < (i % 5) * 0.05] = np.nan
        cols[f"num_{i}"] = x
    for i in range(6):
        cols[f"int_{i}"] = rng.integers(0, 3 + 10 ** (i % 4), size=n_rows)
    for i in range(10):
        k = [3, 5, 10, 20, 50, 100, 300, 1000, 2000, 5000][i]
        cols[f"cat_{i}"] = np.char.add("c", rng.integers(0, k, size=n_rows).astype(str))
    start = np.datetime64("2015-01-01")
    cols["date"] = np.datetime_as_string(start + rng.integers(0, 3000, size=n_rows).astype("timedelta64[D]"))
    n_words = rng.integers(5, 30, size=n_rows)
    picks = rng.integers(0, len(WORDS), size=(n_rows, 30))
    cols["text"] = [" ".join(WORDS[picks[r, : n_words[r]]]) for r in range(n_rows)]
    logit = 0.8 * cols["num_1"] - 0.8 + 0.3 * (cols["cat_0"] == "c1")
    cols["target"] = np.where(rng.random(n_rows) < 1 / (1 + np.exp(-np.nan_to_num(logit))), "yes", "no")
    return pd.DataFrame(cols)


def make_summary(data_dir: Path) -> TaskSummary:
    return TaskSummary(
        name="speed", data_dir=str(data_dir), description="", stripped=False, train_file="train.csv",
        test_file="test.csv", sample_submission_file=None, target_columns=["target"], id_column="id",
        task_type="binary", metric="auc", greater_is_better=True, classes=["no", "yes"], positive_label="yes",
        submission=SubmissionFormat(columns=["id", "target"], id_column="id", kind="probability",
                                    prediction_columns=["target"], positive_label="yes"),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    train = make_frame(args.rows, seed=0)
    test = make_frame(args.rows // 4, seed=1).drop(columns=["target"])
    with tempfile.TemporaryDirectory() as tmp:
        train.to_csv(Path(tmp) / "train.csv", index=False)
        test.to_csv(Path(tmp) / "test.csv", index=False)
        summary = make_summary(Path(tmp))
        t0 = time.perf_counter()
        profile = profile_task(summary, train, test)
        in_memory = time.perf_counter() - t0
        t0 = time.perf_counter()
        profile_task(summary)
        with_read = time.perf_counter() - t0
    print(f"rows={len(train):,} columns={train.shape[1]} kinds={sorted({c.kind for c in profile.columns})}")
    print(f"profile_task on frames: {in_memory:.2f} s")
    print(f"profile_task reading the CSVs: {with_read:.2f} s")


if __name__ == "__main__":
    main()

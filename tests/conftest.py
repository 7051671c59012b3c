"""Shared fixtures: small task folders generated on the fly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def make_binary_task(folder: Path, n_train: int = 600, n_test: int = 200, seed: int = 0) -> Path:
    """A churn-like binary task with numeric, categorical and date columns and a learnable signal."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    frame = pd.DataFrame({
        "row_id": np.arange(1, n + 1),
        "age": rng.integers(18, 80, n),
        "balance": np.round(rng.gamma(2.0, 500.0, n), 2),
        "plan": rng.choice(["basic", "plus", "pro"], n),
        "city": rng.choice([f"city_{i}" for i in range(30)], n),
        "joined": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D"),
    })
    frame.loc[rng.random(n) < 0.1, "balance"] = np.nan
    logit = 0.04 * (frame["age"] - 50) - 0.001 * frame["balance"].fillna(1000) + (frame["plan"] == "basic") * 1.2
    frame["joined"] = frame["joined"].dt.strftime("%Y-%m-%d")
    frame["left"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    folder.mkdir(parents=True, exist_ok=True)
    train, test = frame.iloc[:n_train], frame.iloc[n_train:]
    train.to_csv(folder / "train.csv", index=False)
    test.drop(columns=["left"]).to_csv(folder / "test.csv", index=False)
    pd.DataFrame({"row_id": test["row_id"], "left": 0.5}).to_csv(folder / "sample_submission.csv", index=False)
    (folder / "description.md").write_text(
        "# Who leaves?\n\nPredict the probability that a customer left (`left` = \"yes\").\n\n"
        "## Evaluation\n\nSubmissions are scored by the area under the ROC curve (AUC).\n")
    answers = folder.parent / "answers.csv"
    test[["row_id", "left"]].to_csv(answers, index=False)
    return folder


@pytest.fixture
def binary_task(tmp_path: Path) -> Path:
    return make_binary_task(tmp_path / "data")

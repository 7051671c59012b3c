"""Verifier: checks the real intermediate outputs of a sample run against the InterfaceContract.

The pipeline dumps what Preprocessor.transform returned and what each model
predicted (as plain arrays, no pickles); this module reads them and compares
them field by field with the contract. The same functions back the tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from iml.errors import ContractViolation
from iml.planning.blueprint import InterfaceContract
from iml.runtime.names import FEATURE_MODULES, PIPELINE, PREPROCESS, feature_module


def check_features(contract: InterfaceContract, verify_dir: Path) -> list[ContractViolation]:
    """Q_post: the transform outputs of every feature set, train and test.

    Float columns plus pandas category columns (dumped as their codes, their categories in the index):
    a float column must be finite and complete; a category column must have the same categories for
    train and test (its codes mean the same levels), and a missing level there is the learners' own
    missing value, not a gap.
    """
    index_path = verify_dir / "features.json"
    if not index_path.exists():
        return [ContractViolation("features", "transform outputs dumped by the sample run", "nothing", PREPROCESS)]
    problems = []
    for name, info in json.loads(index_path.read_text()).items():
        problems += _check_feature_set(contract, verify_dir, name, info)
    # Blame the module that computed the feature set.
    # (feature sets other than code/preprocess.py's: the llm track's own preprocessing)
    return [ContractViolation(p.field, p.expected, p.got, feature_module(_feature_set(p.field)))
            if _feature_set(p.field) in FEATURE_MODULES else p for p in problems]


def _feature_set(field: str) -> str:
    """'transform[llm](train).rows' -> 'llm'."""
    return field.split("[", 1)[1].split("]", 1)[0] if "[" in field else ""


def _check_feature_set(contract: InterfaceContract, verify_dir: Path, name: str, info: dict) -> list[ContractViolation]:
    spec = contract.features
    problems = []
    widths = {}
    for part in ("train", "test"):
        values = np.load(verify_dir / f"features_{name}_{part}.npy", allow_pickle=False)
        where = f"transform[{name}]({part})"
        expected_rows = info["input_rows"][part]
        if values.ndim != 2:
            problems.append(ContractViolation(f"{where}.ndim", "2 (rows x features)", str(values.ndim), PREPROCESS))
            continue
        widths[part] = values.shape[1]
        if values.shape[0] != expected_rows:
            problems.append(ContractViolation(f"{where}.rows", f"{expected_rows} (one per input row)",
                                              str(values.shape[0]), PREPROCESS))
        if values.shape[1] < spec.min_features:
            problems.append(ContractViolation(f"{where}.columns", f">= {spec.min_features} features",
                                              str(values.shape[1]), PREPROCESS))
        if not np.issubdtype(values.dtype, np.number):
            problems.append(ContractViolation(f"{where}.dtype", "numeric (float)", str(values.dtype), PREPROCESS))
            continue
        categorical = [i for i, c in enumerate(info["columns_" + part]) if c in info.get("categories_" + part, {})]
        if categorical and not spec.allow_category:
            problems.append(ContractViolation(f"{where}.dtype", "float columns only",
                                              f"category columns {[info['columns_' + part][i] for i in categorical[:5]]}",
                                              PREPROCESS))
        if categorical and values.dtype.kind == "f":  # codes: -1 is a missing level, never a NaN float
            values = values.copy()
            values[:, [i for i in categorical if i < values.shape[1]]] = 0.0
        n_missing = int(np.isnan(values).sum()) if values.dtype.kind == "f" else 0
        if n_missing and not spec.allow_missing:
            cols = np.flatnonzero(np.isnan(values).any(axis=0))[:5]
            names = [info["columns_" + part][i] for i in cols if i < len(info["columns_" + part])]
            problems.append(ContractViolation(f"{where}.missing", "no missing values",
                                              f"{n_missing} missing, e.g. in columns {names or list(cols)}",
                                              PREPROCESS))
        n_inf = int(np.isinf(values).sum()) if values.dtype.kind == "f" else 0
        if n_inf and not spec.allow_infinite:
            problems.append(ContractViolation(f"{where}.infinite", "finite values", f"{n_inf} infinite",
                                              PREPROCESS))
    if spec.same_columns_train_test and info["columns_train"] != info["columns_test"]:
        only = sorted(set(info["columns_train"]) ^ set(info["columns_test"]))[:5]
        problems.append(ContractViolation(f"transform[{name}].columns", "the same columns for train and test",
                                          f"different columns, e.g. {only}" if only else "a different order",
                                          PREPROCESS))
    elif len(set(widths.values())) > 1:
        problems.append(ContractViolation(f"transform[{name}].columns", "the same width for train and test",
                                          f"{widths}", PREPROCESS))
    levels = {part: info.get("categories_" + part, {}) for part in ("train", "test")}
    differ = [c for c in levels["train"] if c in levels["test"] and levels["train"][c] != levels["test"][c]]
    if differ:
        problems.append(ContractViolation(f"transform[{name}].categories",
                                          "the same categories for train and test in each category column",
                                          f"different categories in {differ[:5]}", PREPROCESS))
    return problems


def check_predictions(contract: InterfaceContract, pred: np.ndarray, n_rows: int, module: str) -> list[ContractViolation]:
    """R_post of a model: shape, probabilities, range."""
    spec = contract.prediction
    problems = []
    if pred.shape[0] != n_rows:
        problems.append(ContractViolation("predict.rows", f"{n_rows} (one per input row)", str(pred.shape[0]), module))
    if not np.issubdtype(pred.dtype, np.number):
        return problems + [ContractViolation("predict.dtype", "numbers", str(pred.dtype), module)]
    if not np.isfinite(pred).all():
        problems.append(ContractViolation("predict.values", "finite numbers",
                                          f"{int((~np.isfinite(pred)).sum())} NaN/infinite", module))
    if spec.proba_columns is not None:
        if pred.ndim != 2 or pred.shape[1] != spec.proba_columns:
            problems.append(ContractViolation("predict_proba.shape", f"(rows, {spec.proba_columns})",
                                              str(pred.shape), module))
        elif spec.proba_rows_sum_to_one:
            worst = float(np.abs(pred.sum(axis=1) - 1).max()) if len(pred) else 0.0
            if worst > 1e-3 or pred.min(initial=0) < 0 or pred.max(initial=0) > 1:
                problems.append(ContractViolation("predict_proba.values", "probabilities in [0, 1], rows summing to 1",
                                                  f"row sums off by up to {worst:.3g}", module))
    return problems


def check_submission(contract: InterfaceContract, path: Path, n_rows: int) -> list[ContractViolation]:
    spec = contract.submission
    where = PIPELINE
    if not path.exists():
        return [ContractViolation("submission", f"a file at {path.name}", "no file", where)]
    frame = pd.read_csv(path)
    problems = []
    if list(frame.columns) != spec.columns:
        problems.append(ContractViolation("submission.columns", str(spec.columns), str(list(frame.columns)), where))
    if len(frame) != n_rows:
        problems.append(ContractViolation("submission.rows", str(n_rows), str(len(frame)), where))
    if frame.isna().any().any():
        problems.append(ContractViolation("submission.missing", "no missing values",
                                          f"{int(frame.isna().sum().sum())} missing", where))
    return problems

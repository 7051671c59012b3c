"""Grade a submission against a task folder, as /work/shared/TASK_FORMAT.md specifies.

A task folder holds ``task.yaml`` (the grading facts), ``prepared/public/`` (what the
agent sees, including ``sample_submission.csv``) and ``prepared/private/test.csv``
(the answers). ``grade_submission`` never raises on a bad submission: it returns a
``GradeReport`` with ``valid=False``, ``p_norm=0`` and a reason that says exactly
what is wrong.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from iml.runtime import metrics as M
from iml.errors import DataError

_EXAMPLES = 5  # how many offending values a reason quotes


# ----------------------------------------------------------------------------- task facts


class _TaskYamlLoader(yaml.SafeLoader):
    """SafeLoader that keeps yes/no/on/off as strings (YAML 1.1 would make them bools);
    only true/false are booleans. So ``positive_label: yes`` stays ``"yes"``."""


_TaskYamlLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_TaskYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _label_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class TaskFacts(BaseModel):
    """The parsed ``task.yaml``. Unknown keys (split, source, n_train, ...) are kept."""

    model_config = ConfigDict(extra="allow")

    id: str
    modality: str = "tabular"
    metric: str
    id_column: str
    target_columns: list[str]
    task_type: str | None = None
    label_column: str | None = None
    positive_label: str | None = None
    classes: list[str] | None = None
    media: dict[str, Any] | None = None

    @field_validator("id", "id_column", "label_column", "positive_label", "metric", mode="before")
    @classmethod
    def _to_str(cls, value: Any) -> Any:
        return None if value is None else _label_str(value)

    @field_validator("target_columns", mode="before")
    @classmethod
    def _targets(cls, value: Any) -> Any:
        if isinstance(value, (str, int, float)):
            value = [value]
        return None if value is None else [_label_str(v) for v in value]

    @field_validator("classes", mode="before")
    @classmethod
    def _classes(cls, value: Any) -> Any:
        return None if value is None else [_label_str(v) for v in value]

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        return M.canonical(value)  # a ValueError names the known metrics

    @property
    def answer_column(self) -> str:
        """The target's name: ``label_column`` when given, else the first target column."""
        return self.label_column or self.target_columns[0]


def load_task_facts(task_dir: str | Path) -> TaskFacts:
    """Parse ``<task_dir>/task.yaml``; a missing or malformed file raises DataError."""
    path = Path(task_dir) / "task.yaml"
    if not path.is_file():
        raise DataError(f"{path} does not exist.", hint="a task folder needs a task.yaml (see TASK_FORMAT.md)")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_TaskYamlLoader)
    except yaml.YAMLError as exc:
        raise DataError(f"{path} is not valid YAML: {exc}", hint="fix the YAML syntax") from exc
    if not isinstance(raw, dict):
        raise DataError(f"{path} must hold a mapping of keys, got {type(raw).__name__}.")
    try:
        return TaskFacts.model_validate(raw)
    except ValueError as exc:
        raise DataError(f"{path} does not describe a task: {exc}", hint="see TASK_FORMAT.md for the keys") from exc


# ----------------------------------------------------------------------------- report


class GradeReport(BaseModel):
    task_id: str
    metric: str
    score: float | None = None
    p_norm: float = 0.0
    valid: bool = False
    reason: str = ""
    n_rows: int = 0


# ----------------------------------------------------------------------------- reading

_NA_STRINGS = ["", "nan", "NaN", "NA", "N/A", "n/a", "null", "NULL", "None", "<NA>", "#N/A"]


def _read_str_csv(path: Path, keep: set[str] = frozenset()) -> pd.DataFrame:
    """Read every cell as a stripped string; the usual NA spellings (minus ``keep``) become NaN."""
    na_values = [v for v in _NA_STRINGS if v not in keep]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=na_values, skipinitialspace=False)
    frame.columns = [str(c).strip() for c in frame.columns]
    for col in frame.columns:
        frame[col] = frame[col].str.strip()
    return frame


def _header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        first = next(csv.reader(fh), [])
    return [c.strip() for c in first]


def _examples(values: Any) -> list[str]:
    return [str(v) for v in list(values)[:_EXAMPLES]]


def _sorted_ids(values: set[str]) -> list[str]:
    def key(v: str):
        try:
            return (0, float(v), v)
        except ValueError:
            return (1, 0.0, v)

    return sorted(values, key=key)


def _canonical_label(value: str, classes: set[str]) -> str:
    """Map e.g. '1.0' to '1' when only the latter is a class; otherwise leave as is."""
    if value in classes:
        return value
    try:
        num = float(value)
    except ValueError:
        return value
    if math.isfinite(num) and num.is_integer() and str(int(num)) in classes:
        return str(int(num))
    return value


def _allowed_classes(facts: TaskFacts, task_dir: Path, answers: pd.DataFrame) -> list[str]:
    """The labels a submission may hold: task.yaml's ``classes``, else the training labels."""
    if facts.classes:
        return list(facts.classes)
    train = task_dir / "prepared" / "public" / "train.csv"
    col = facts.answer_column
    if train.is_file():
        try:
            head = pd.read_csv(train, nrows=0)
            if col in head.columns:
                values = _read_str_csv(train)[col].dropna().unique().tolist()
                return sorted({_label_str(v) for v in values})
        except (pd.errors.ParserError, ValueError, OSError):
            pass
    answer_col = _answer_col(answers, facts, facts.target_columns[0])
    return sorted(set(answers[answer_col].dropna().tolist()))


def _answer_col(answers: pd.DataFrame, facts: TaskFacts, target: str) -> str:
    """The answers' column for submission column ``target`` (its own name, else label_column)."""
    if target in answers.columns:
        return target
    if facts.label_column and facts.label_column in answers.columns and len(facts.target_columns) == 1:
        return facts.label_column
    others = [c for c in answers.columns if c != facts.id_column]
    if len(others) == 1 and len(facts.target_columns) == 1:
        return others[0]
    raise DataError(f"the answers (prepared/private/test.csv) have no column for target {target!r}")


# ----------------------------------------------------------------------------- checks


def _check_values(metric: str, sub: pd.DataFrame, targets: list[str], classes: list[str] | None) -> list[str]:
    problems: list[str] = []
    metric = M.family(metric)  # pinball_0.9 is checked as pinball
    if metric in M.PROBABILITY_METRICS or metric in M.REGRESSION_METRICS:
        for col in targets:
            raw = sub[col]
            nums = pd.to_numeric(raw, errors="coerce")
            bad = raw[nums.isna()]
            if len(bad):
                problems.append(
                    f"column {col!r} has {len(bad)} non-numeric values, e.g. {_examples(bad.unique())}"
                )
                continue
            nums = nums.astype(float)
            inf = raw[~np.isfinite(nums)]
            if len(inf):
                problems.append(f"column {col!r} has {len(inf)} infinite values, e.g. {_examples(inf.unique())}")
                continue
            if metric in M.PROBABILITY_METRICS:
                out = raw[(nums < 0) | (nums > 1)]
                if len(out):
                    problems.append(
                        f"column {col!r} has {len(out)} probabilities outside [0, 1], e.g. {_examples(out.unique())}"
                    )
            elif metric == "rmsle":
                neg = raw[nums < 0]
                if len(neg):
                    problems.append(
                        f"column {col!r} has {len(neg)} negative values (rmsle needs >= 0), "
                        f"e.g. {_examples(neg.unique())}"
                    )
    elif metric in M.LABEL_METRICS:
        allowed = set(classes or [])
        for col in targets:
            values = sub[col].map(lambda v: _canonical_label(v, allowed))
            unknown = values[~values.isin(allowed)]
            if len(unknown):
                problems.append(
                    f"column {col!r} has {len(unknown)} unknown labels, e.g. {_examples(unknown.unique())}; "
                    f"allowed labels: {sorted(allowed)}"
                )
    return problems


def _truth_binary(values: pd.Series, positive_label: str | None) -> np.ndarray:
    """0/1 truth for AUC: equal to positive_label; else numeric 0/1 or true/false spellings."""
    if positive_label is not None and values.isin([positive_label]).any():
        return (values == positive_label).to_numpy(dtype=int)
    lowered = values.str.lower()
    mapping = {"1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0, "yes": 1, "no": 0}
    if lowered.isin(list(mapping)).all():
        return lowered.map(mapping).to_numpy(dtype=int)
    if positive_label is not None:
        return (values == positive_label).to_numpy(dtype=int)
    raise DataError(f"cannot read the answers as a binary target: values {_examples(values.unique())}")


def _compute(facts: TaskFacts, answers: pd.DataFrame, sub: pd.DataFrame, targets: list[str],
             classes: list[str] | None) -> float:
    metric = facts.metric
    id_col = facts.id_column
    sub = sub.set_index(id_col).loc[answers[id_col].tolist()]
    if metric in ("auc", "average_precision"):
        truth_col = _answer_col(answers, facts, targets[0])
        y_true = _truth_binary(answers[truth_col], facts.positive_label)
        return M.score(metric, y_true, sub[targets[0]].astype(float).to_numpy())
    if metric == "auc_columnwise":
        y_true = np.column_stack(
            [_truth_binary(answers[_answer_col(answers, facts, t)], facts.positive_label) for t in targets]
        )
        return M.score("auc_columnwise", y_true, sub[targets].astype(float).to_numpy())
    if metric == "logloss":
        onehot = answers[[_answer_col(answers, facts, t) for t in targets]].astype(float).to_numpy()
        y_true = np.argmax(onehot, axis=1)
        return M.score("logloss", y_true, sub[targets].astype(float).to_numpy())
    if M.family(metric) in M.REGRESSION_METRICS:
        truth_col = _answer_col(answers, facts, targets[0])
        return M.score(metric, answers[truth_col].astype(float).to_numpy(), sub[targets[0]].astype(float).to_numpy())
    # label metrics
    allowed = set(classes or [])
    truth_col = _answer_col(answers, facts, targets[0])
    y_true = answers[truth_col].map(lambda v: _canonical_label(v, allowed)).to_numpy(dtype=object)
    y_pred = sub[targets[0]].map(lambda v: _canonical_label(v, allowed)).to_numpy(dtype=object)
    return M.score(metric, y_true, y_pred, labels=classes, positive_label=facts.positive_label)


# ----------------------------------------------------------------------------- grading


def grade_submission(task_dir: str | Path, submission_path: str | Path) -> GradeReport:
    """Grade ``submission_path`` against the task folder ``task_dir``.

    Problems with the submission give ``valid=False`` (never an exception); a broken
    task folder (no task.yaml, no answers) raises DataError.
    """
    task_dir = Path(task_dir)
    submission_path = Path(submission_path)
    facts = load_task_facts(task_dir)
    metric = facts.metric
    answers_path = task_dir / "prepared" / "private" / "test.csv"
    sample_path = task_dir / "prepared" / "public" / "sample_submission.csv"
    for needed in (answers_path, sample_path):
        if not needed.is_file():
            raise DataError(f"{needed} does not exist.", hint="a task folder needs it (see TASK_FORMAT.md)")

    keep = set(facts.classes or []) | ({facts.positive_label} if facts.positive_label else set())
    answers = _read_str_csv(answers_path, keep)
    sample_cols = [str(c).strip() for c in pd.read_csv(sample_path, nrows=0).columns]
    id_col = facts.id_column
    if id_col not in sample_cols:
        raise DataError(f"{sample_path} has no id column {id_col!r}")
    if id_col not in answers.columns:
        raise DataError(f"{answers_path} has no id column {id_col!r}")
    targets = [c for c in sample_cols if c != id_col]

    def invalid(reason: str, n_rows: int = 0) -> GradeReport:
        return GradeReport(task_id=facts.id, metric=metric, score=None, p_norm=0.0, valid=False,
                           reason=reason, n_rows=n_rows)

    if not submission_path.is_file():
        return invalid(f"submission file not found: {submission_path}")
    if submission_path.stat().st_size == 0:
        return invalid("submission file is empty (0 bytes)")
    try:
        sub = _read_str_csv(submission_path, keep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError, OSError) as exc:
        return invalid(f"submission could not be read as CSV: {str(exc).splitlines()[0] if str(exc) else exc}")
    n_rows = int(len(sub))

    # columns
    problems: list[str] = []
    cols = list(sub.columns)
    header = _header(submission_path)
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        problems.append(f"duplicate columns {dupes}")
    for col in sample_cols:
        if col not in cols:
            problems.append(f"missing column {col!r}")
    for col in cols:
        # pandas renames a repeated header 'x' to 'x.1': report it as a duplicate only
        if col not in sample_cols and not (dupes and re.sub(r"\.\d+$", "", col) in dupes):
            problems.append(f"extra column {col!r}")
    if problems:
        return invalid("; ".join(problems), n_rows)
    if n_rows == 0:
        return invalid("submission has a header but no rows", n_rows)

    # missing values
    for col in sample_cols:
        n_missing = int(sub[col].isna().sum())
        if n_missing:
            rows = (sub.index[sub[col].isna()] + 2).tolist()  # file line numbers (header is line 1)
            problems.append(f"{n_missing} missing values in column {col!r} (lines {_examples(rows)})")
    if problems:
        return invalid("; ".join(problems), n_rows)

    # ids
    ids = sub[id_col]
    duplicated = ids[ids.duplicated()].unique()
    if len(duplicated):
        problems.append(f"{len(duplicated)} duplicate ids, e.g. {_examples(_sorted_ids(set(duplicated)))}")
    expected = set(answers[id_col].tolist())
    got = set(ids.tolist())
    missing = expected - got
    extra = got - expected
    if missing:
        problems.append(f"{len(missing)} test ids missing, e.g. {_examples(_sorted_ids(missing))}")
    if extra:
        problems.append(f"{len(extra)} ids not in the test set, e.g. {_examples(_sorted_ids(extra))}")
    if problems:
        return invalid("; ".join(problems), n_rows)

    # values
    classes = _allowed_classes(facts, task_dir, answers) if metric in M.LABEL_METRICS else facts.classes
    problems = _check_values(metric, sub, targets, classes)
    if problems:
        return invalid("; ".join(problems), n_rows)

    try:
        value = _compute(facts, answers, sub, targets, classes)
    except (ValueError, KeyError) as exc:
        return invalid(f"the metric could not be computed: {exc}", n_rows)
    if value is None or not math.isfinite(value):
        return invalid(f"the metric {metric} came out as {value}", n_rows)
    return GradeReport(task_id=facts.id, metric=metric, score=float(value), p_norm=M.normalize(metric, value),
                       valid=True, reason="", n_rows=n_rows)


__all__ = ["TaskFacts", "GradeReport", "load_task_facts", "grade_submission"]

"""Description Analyzer, expert brain: rules over the description text and the files.

Facts come from the strongest source available: the user (``target=``), the sample
submission, the columns of train missing from test, the description's words, the
target's values, and last a default. Every fact is recorded as Evidence so a person
can see why the analyzer decided what it did. No task-specific knowledge lives here.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from iml.data_io import read_with_format, table_stem, table_suffix
from iml.runtime.tables import decode_text
from iml.errors import DataError, TaskInferenceError
from iml.perception.input_checks import check_features, check_rows, check_test, separator_clue
from iml.perception.media import MODALITY_EXT, find_joins
from iml.perception.summary import Evidence, MediaRef, SubmissionFormat, TaskSummary, TaskType
from iml.runtime import metrics

DESCRIPTION_NAMES = ("description.md", "description.txt", "readme.md", "readme.txt")
# Ordered so that a longer name wins over its prefix (RMSLE before RMSE, column-wise AUC before AUC).
METRIC_PATTERNS = [
    ("auc_columnwise", r"column[- ]?wise (roc )?auc|auc (of|over|across) (each|all|the) (columns|labels|targets)"),
    ("rmsle", r"\brmsle\b|root mean squared? log(arithmic)? error|squared log(arithmic)? error"),
    ("rmse", r"\brmse\b|root mean squared? error"),
    ("mape", r"\bmape\b|mean absolute percentage error"),
    ("mae", r"\bmae\b|mean absolute error"),
    ("r2", r"\br2\b|\br²|r-squared|coefficient of determination"),
    ("logloss", r"\blog[- ]?loss\b|logarithmic loss|cross[- ]entropy"),
    ("auc", r"\b(roc[- ])?auc\b|\broc\b|area under the (roc |receiver operating characteristic )?curve|\bgini\b"),
    ("qwk", r"quadratic(ally)? weighted kappa|\bqwk\b|cohen'?s kappa|\bkappa\b"),
    ("mcc", r"matthews|\bmcc\b"),
    ("f1_macro", r"\bf1\b|\bf-?score\b|\bf-measure\b"),
    ("balanced_accuracy", r"\bbalanced accuracy\b"),
    ("accuracy", r"\baccuracy\b"),
]
REGRESSION_WORDS = (r"\b(predict|estimate|forecast)\w*\s+(the\s+|a\s+)?(\w+\s+)?(price|value|amount|cost|"
                    r"revenue|sales|count|number|quantity|duration|age)\b|how (much|many)|continuous")
CLASSIFICATION_WORDS = r"probabilit|\bclass(es|ify|ification)?\b|\bcategor|\bwhich\b|\bwhether\b|\btype of\b"
YES_LIKE = {"1", "yes", "y", "true", "t", "positive", "pos"}
ID_NAME = re.compile(r"(^|_)id$|^id_|[a-z]Id$|ID$", re.IGNORECASE)
# Words that introduce the metric a description names, known or not: "evaluated on the Brier score".
METRIC_PHRASE = re.compile(
    r"(?:evaluated|scored|measured|judged|ranked|assessed)\s+(?:on|by|using|with|via|according to|in terms of)\s+"
    r"(?:the\s+|a\s+|an\s+)?(?P<a>[^.,;:()\n]{2,60}?)(?=\s+(?:between|of|on|for|computed|calculated|over)\b|[.,;:()\n]|$)"
    r"|(?:evaluation\s+)?metric\s+(?:is|will be|used is|:)\s*(?:the\s+)?(?P<b>[^.,;:()\n]{2,60}?)(?=[.,;:()\n]|$)",
    re.IGNORECASE)
# What such a phrase may name that is no metric: the validation scheme or the rows scored.
NOT_A_METRIC = re.compile(r"cross[- ]?validation|\bfolds?\b|hold[- ]?out|test (set|data)|leaderboard|\bprivate\b|"
                          r"\bpublic\b|\bsubset\b", re.IGNORECASE)


def analyze_task(data_dir, description: str | None = None, name: str | None = None,
                 target: str | None = None, *, metric: str | None = None, problem_type: str | None = None,
                 id_column: str | None = None) -> TaskSummary:
    """Read a task folder and say what the task is; raise DataError/TaskInferenceError with a hint.

    A folder with a training table only is a task too (no submission is made); the target must then be
    named, by ``target`` or the description. ``metric``, ``problem_type`` and ``id_column`` are facts the
    user gives: they win over what the files suggest and are recorded as the user's.
    """
    root = _check_dir(data_dir)
    train_path, test_path, sample_path = _find_tables(root)
    text = description if description is not None else _read_description(root)
    warnings: list[str] = []
    train_table = read_with_format(train_path)
    train = train_table.frame
    # One table: inference reads the training table where it would read the test table (no column is
    # "missing from test"), so the target has to be named.
    test_table = read_with_format(test_path) if test_path else train_table
    test = test_table.frame
    sample_table = read_with_format(sample_path) if sample_path else None
    sample = sample_table.frame if sample_table else None
    for table in [train_table, test_table if test_path else None, sample_table]:
        warnings += table.format.notes if table else []
    if test_path and not set(train.columns) & set(test.columns):
        raise DataError(f"{train_path.name} and {test_path.name} share no column"
                        f"{separator_clue(train_table.format, test_table.format)}.",
                        hint="train and test must describe the same rows with the same feature columns")
    if test_path is None and not target and not _names_in_text(text, train, test):
        raise TaskInferenceError(f"{root} holds one table ({train_path.name}), no test table, and nothing "
                                 "names its target.",
                                 hint="pass --target COLUMN (iml.fit(train, label=COLUMN)), or add a test table")
    ev: list[Evidence] = []
    sample_id = _id_from_sample(sample, train, test)
    targets, class_cols, named_in_text = _find_targets(train, test, sample, sample_id, text, target, ev)
    warnings += check_rows(train, targets, train_path.name)
    if (constant := [t for t in targets if train[t].nunique() < 2]):
        raise DataError(f"target {constant[0]!r} has fewer than 2 distinct values in {train_path.name}: "
                        "nothing to learn.", hint="check the train file, or name the real target with --target")
    if id_column is not None:
        if id_column not in train.columns and id_column not in test.columns:
            raise TaskInferenceError(f"id column {id_column!r} is not a column of the data; available: "
                                     f"{', '.join(map(str, test.columns))}.", hint="pass one of them with --id")
        if id_column in targets:
            raise TaskInferenceError(f"{id_column!r} is the target; it cannot be the id column too.",
                                     hint="pass another column with --id")
        id_col = id_column
        _note(ev, "id_column", id_col, "user", "named by the user")
    else:
        id_col = sample_id or _id_by_name(train, test, targets)
        _note(ev, "id_column", id_col, "sample_submission" if sample_id else "value_types",
              "first column of the sample submission, also in test" if sample_id else
              "a unique-valued column named like an id" if id_col else "no id-like column found")
    if sample is not None and id_col in sample.columns and id_col in test.columns:
        _check_sample_ids(sample[id_col], test[id_col], sample_path.name, test_path.name)
    if test_path is not None:
        warnings += check_test(train, test, targets, id_col, test_path.name)

    if metric is not None:
        try:
            metric, metric_src = metrics.canonical(metric), "given by the user"
        except ValueError as exc:
            raise TaskInferenceError(str(exc), hint="pass one of the listed metrics with --metric") from None
    else:
        metric, metric_src = _metric_from_text(text)
    unknown = _unknown_metric(text) if metric is None else None
    if problem_type is not None:
        task_type = _user_task_type(problem_type, train[targets[0]], targets, ev)
    else:
        task_type = _task_type(train, targets, class_cols, sample, metric, text, ev)
    if metric == "auc" and task_type is TaskType.multilabel:
        metric = "auc_columnwise"  # AUC over several targets is averaged per column
    if metric:
        user = metric_src == "given by the user"
        if user:  # a description's metric words are weaker: they stay as they always were
            _check_metric_fits(metric, task_type)
        _note(ev, "metric", metric, "user" if user else "description", metric_src)
    else:
        metric = _default_metric(task_type, train[targets[0]], sample, targets, class_cols, ev, unknown)
        if unknown:
            warnings.append(f"the description's evaluation ({unknown!r}) names no metric iml knows; iml optimises "
                            f"{metric} instead, the default for a {task_type.value} task. Metrics iml knows: "
                            f"{', '.join(sorted(metrics.METRICS))}, pinball_<alpha>; pass one with --metric to choose")

    classes = positive = None
    if task_type in (TaskType.binary, TaskType.multiclass):
        classes = sorted(set(label_strings(train[targets[0]])))
        _note(ev, "classes", ", ".join(classes), "value_types", f"the distinct values of {targets[0]}")
        if task_type is TaskType.binary:
            positive = _positive_label(classes, label_strings(train[targets[0]]), text, ev)
    if class_cols is not None:
        class_cols = _map_class_columns(class_cols, classes or [])

    submission = _submission(sample, id_col, targets, class_cols, metric, task_type, classes, positive, ev)
    media = _find_media(train, test, root, targets, id_col, ev)
    check_features(train, targets, id_col, bool(media), train_path.name)
    return TaskSummary(
        name=name or _task_name(root), data_dir=str(root), description=text,
        stripped=not named_in_text and metric_src is None,
        train_file=train_path.name, test_file=test_path.name if test_path else None,
        sample_submission_file=sample_path.name if sample_path else None,
        target_columns=targets, id_column=id_col, task_type=task_type, metric=metric,
        greater_is_better=metrics.greater_is_better(metric), classes=classes, positive_label=positive,
        submission=submission, media=media, evidence=ev, warnings=warnings,
    )


def _note(ev: list[Evidence], fact: str, value, source: str, detail: str) -> None:
    ev.append(Evidence(fact=fact, value=str(value), source=source, detail=detail))


# ---------------------------------------------------------------- files

def _check_dir(data_dir) -> Path:
    root = Path(data_dir).expanduser()
    hint = "pass the folder that holds the train and test files"
    if not root.exists():
        raise DataError(f"data folder {root} does not exist.", hint=hint)
    if not root.is_dir():
        raise DataError(f"{root} is not a folder.", hint=hint + ", not a file")
    return root.resolve()


def _find_tables(root: Path) -> tuple[Path, Path | None, Path | None]:
    """(train, test or None, sample submission or None)."""
    tables = [p for p in sorted(root.iterdir()) if p.is_file() and table_suffix(p)]
    stem = {p: table_stem(p).lower() for p in tables}
    samples = [p for p in tables if "sample" in stem[p] or "submission" in stem[p]]
    rest = [p for p in tables if p not in samples]
    found = {}
    for role in ("train", "test"):
        # exact name first, then names starting with it, then any name containing it; shortest wins
        hits = sorted((p for p in rest if role in stem[p]),
                      key=lambda p: (stem[p] != role, not stem[p].startswith(role), len(p.name)))
        found[role] = hits[0] if hits else None
    if found["train"] is None:
        others = [p for p in rest if p != found["test"]]
        if found["test"] is None and len(others) == 1:
            found["train"] = others[0]  # one table, whatever its name: the training table
        else:
            listing = ", ".join(p.name for p in sorted(root.iterdir())[:20]) or "nothing"
            raise DataError(f"no train table in {root} (found: {listing}).",
                            hint="add a train.csv (or .tsv, .parquet, .xlsx, .csv.gz, ...) whose name contains 'train'")
    sample = sorted(samples, key=lambda p: (table_suffix(p) != ".csv", len(p.name)))
    return found["train"], found["test"], sample[0] if sample else None


def _read_description(root: Path) -> str:
    by_name = {p.name.lower(): p for p in root.iterdir() if p.is_file()}
    found = next((by_name[n] for n in DESCRIPTION_NAMES if n in by_name), None)
    return decode_text(found.read_bytes()) if found else ""  # a description saved as cp1252 keeps its accents


def _task_name(root: Path) -> str:
    # MLE-bench layout: <task>/prepared/public -> the task's folder names it
    layout = root.name == "public" and root.parent.name == "prepared"
    return root.parent.parent.name if layout else root.name


# ---------------------------------------------------------------- target and id

def label_strings(series: pd.Series) -> pd.Series:
    """Values as label strings: 1.0 -> '1', True -> 'True', missing values dropped."""
    s = series.dropna()
    if pd.api.types.is_float_dtype(s) and len(s) and np.all(np.mod(s, 1) == 0):
        s = s.astype("int64")
    return s.astype(str)


def _is_text(series: pd.Series) -> bool:
    # pandas >= 3 reads text as the "str" dtype, older versions as object
    return pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)


def _id_from_sample(sample, train, test) -> str | None:
    first = sample.columns[0] if sample is not None and sample.shape[1] > 1 else None
    return first if first in test.columns else None  # train may lack the id; test must have it


def _id_by_name(train, test, targets) -> str | None:
    shared = [c for c in test.columns if c in train.columns and c not in targets and ID_NAME.search(str(c))]
    shared = [c for c in sorted(shared, key=lambda c: str(c).lower() != "id")
              if (pd.api.types.is_integer_dtype(test[c]) or _is_text(test[c])) and train[c].is_unique]
    # Unique in test too wins; else a test table that repeats an id still has its id column (check_test says so).
    return next((c for c in shared if test[c].is_unique), shared[0] if shared else None)


def _names_in_text(text: str, train, test) -> list[str]:
    """Train columns the description calls the target (or asks to predict), strongest first."""
    names = []
    lines = text.splitlines()
    for keyword in (r"\btarget\b|\blabel column\b", r"\bpredict"):
        for line in (ln for ln in lines if re.search(keyword, ln, re.IGNORECASE)):
            quoted = re.findall(r"[`\"'*]+([^`\"'*\n]{1,80}?)[`\"'*]+", line)
            after = re.findall(r"target (?:column|variable|is)\s*:?\s*([A-Za-z_][\w.]*)", line, re.IGNORECASE)
            names += [n.strip() for n in quoted + after if n.strip() in train.columns]
    # a column absent from test is a far better guess than a shared one such as the id
    return sorted(dict.fromkeys(names), key=lambda n: n in test.columns)


def _class_column_owner(pred_cols, train, prefer) -> str | None:
    """The train column whose values are the sample's prediction columns (logloss layout)."""
    if len(pred_cols) < 2 or any(c in train.columns for c in pred_cols):
        return None
    for col in sorted(train.columns, key=lambda c: c not in prefer):
        if train[col].nunique() > 2 * len(pred_cols) + 5:
            continue  # cheap filter before comparing values
        values = {v.lower() for v in label_strings(train[col]).unique()}
        if all(_strip_prefix(str(p)).lower() in values or str(p).lower() in values for p in pred_cols):
            return col
    return None


def _strip_prefix(col: str) -> str:
    # "Class_1" / "proba_cat" style names: the class is the part after the last separator
    return re.split(r"[_\-: ]", col)[-1]


def _find_targets(train, test, sample, sample_id, text, user_target, ev):
    """Return (target columns, class probability columns or None, named in text?)."""
    diff = [c for c in train.columns if c not in test.columns]
    named = _names_in_text(text, train, test)
    pred_cols = [c for c in sample.columns if c != sample_id] if sample is not None else []
    if user_target:
        parts = [user_target] if user_target in train.columns else [p.strip() for p in user_target.split(",")]
        missing = [p for p in parts if p not in train.columns]
        if missing:
            raise TaskInferenceError(
                f"target {missing[0]!r} is not a column of the train table; "
                f"available: {', '.join(map(str, train.columns))}.",
                hint="pass one of the listed column names with --target (case matters)")
        _note(ev, "target_columns", ", ".join(parts), "user", "named by the user")
        owner = _class_column_owner(pred_cols, train, parts)
        return parts, (pred_cols if owner == parts[0] else None), bool(named)
    owner = _class_column_owner(pred_cols, train, diff)
    if owner:
        _note(ev, "target_columns", owner, "sample_submission",
              f"the sample submission has one column per value of {owner} (class probabilities)")
        return [owner], pred_cols, bool(named)
    said = "; the description names it too" if named[:1] and named[0] in pred_cols + diff[-1:] else ""
    if (in_train := [c for c in pred_cols if c in train.columns]):
        agree = "; also the train column(s) missing from test" if set(in_train) <= set(diff) else ""
        _note(ev, "target_columns", ", ".join(in_train), "sample_submission",
              f"the sample's prediction column(s){agree}{said}")
        return in_train, None, bool(named)
    if len(diff) == 1 or (diff and not named):
        # several candidates and no other clue: a constant column cannot be it; Kaggle puts the target last
        pick = ([c for c in diff if train[c].nunique() > 1] or diff)[-1]
        extra = "" if len(diff) == 1 else f" (candidates {diff}; took the last non-constant one)"
        _note(ev, "target_columns", pick, "train_test_difference",
              f"column of train missing from test{extra}{said}")
        return [pick], None, bool(named)
    if named:
        _note(ev, "target_columns", named[0], "description", "the description calls it the target")
        return [named[0]], None, True
    raise TaskInferenceError(
        "cannot tell the target: train and test have the same columns and no sample submission names it.",
        hint="name the target in the description (e.g. 'target column `y`') or pass --target COLUMN")


def _check_sample_ids(sample_ids: pd.Series, test_ids: pd.Series, sample_name: str, test_name: str) -> None:
    s, t = set(label_strings(sample_ids)), set(label_strings(test_ids))
    if s == t:
        return
    extra, missing = sorted(s - t), sorted(t - s)
    raise DataError(
        f"{sample_name} and {test_name} list different ids: {len(extra)} sample ids are not in {test_name} "
        f"(e.g. {extra[:3]}) and {len(missing)} test ids are missing from {sample_name} (e.g. {missing[:3]}).",
        hint=f"use the {sample_name} that belongs to this {test_name}, or remove it to let iml write the format")


def _unknown_metric(text: str) -> str | None:
    """The metric a description names when it is none iml knows, as the description words it."""
    for m in METRIC_PHRASE.finditer(text):
        phrase = (m.group("a") or m.group("b") or "").strip(" *`'\"")
        if phrase and not re.match(r"(?:how|whether|their|your|its|each|every)\b", phrase, re.I) \
                and not NOT_A_METRIC.search(phrase):
            return phrase
    section = [ln.strip(" *`-") for ln in _evaluation_section(text).splitlines() if ln.strip()]
    return section[0][:80] if section and not NOT_A_METRIC.search(section[0]) else None


# ---------------------------------------------------------------- metric and task type

def _evaluation_section(text: str) -> str:
    """The text under a heading about evaluation/metric/scoring, or ''."""
    out, inside = [], False
    for line in text.splitlines():
        if re.match(r"\s*#+\s|\s*\*\*[^*]+\*\*\s*$", line):
            inside = bool(re.search(r"evaluat|metric|scor", line, re.IGNORECASE))
        elif inside:
            out.append(line)
    return "\n".join(out)


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?\n])\s", text)


def _metric_from_text(text: str) -> tuple[str | None, str | None]:
    """(metric, where it was found); metric words outside the evaluation part are weaker clues."""
    scoring = " ".join(s for s in _sentences(text) if re.search(r"evaluat|scored|metric|measured", s, re.I))
    for scope, where in ((_evaluation_section(text), "the description's evaluation section"),
                         (scoring, "a sentence about evaluation"), (text, "the description")):
        hits = [(m.start(), name) for name, pat in METRIC_PATTERNS if (m := re.search(pat, scope, re.I))]
        if hits:  # the earliest mention in the strongest scope
            return min(hits)[1], f"named in {where}"
    return None, None


def _task_type(train, targets, class_cols, sample, metric, text, ev) -> TaskType:
    y = train[targets[0]].dropna()
    n = y.nunique()
    if class_cols is not None:
        kind, why = (TaskType.binary if n == 2 else TaskType.multiclass), "one probability column per class"
    elif len(targets) > 1:
        binary = all(set(label_strings(train[t]).unique()) <= {"0", "1", "True", "False"} for t in targets)
        kind = TaskType.multilabel if binary else TaskType.regression
        why = f"{len(targets)} targets, " + ("all 0/1" if binary else "numeric")
    elif n == 2:
        kind, why = TaskType.binary, "the target has 2 distinct values"
    elif not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        kind, why = TaskType.multiclass, f"the target holds {n} distinct non-numeric values"
    elif not np.all(np.mod(y, 1) == 0) or n > max(30, 0.05 * len(y)):
        kind, why = TaskType.regression, f"the target is numeric with {n} distinct values"
    else:  # a few distinct integers: ratings, counts or class codes; look for more clues
        return _discrete_type(y, sample, targets, metric, text, ev)
    _note(ev, "task_type", kind.value, "value_types", why)
    return kind


def _user_task_type(problem_type: str, y: pd.Series, targets: list[str], ev) -> TaskType:
    """The problem type the user gave, checked against the target's values."""
    try:
        kind = TaskType(problem_type)
    except ValueError:
        raise TaskInferenceError(f"unknown problem type {problem_type!r}.",
                                 hint="pass --problem-type binary, multiclass or regression") from None
    n = y.dropna().nunique()
    if kind is TaskType.binary and n != 2:
        raise TaskInferenceError(f"--problem-type binary, but target {targets[0]!r} has {n} distinct values.",
                                 hint="pass --problem-type multiclass, or check the target column")
    if kind is TaskType.regression and not pd.api.types.is_numeric_dtype(y.dropna()):
        raise TaskInferenceError(f"--problem-type regression, but target {targets[0]!r} is not numeric.",
                                 hint="pass --problem-type binary or multiclass, or check the target column")
    _note(ev, "task_type", kind.value, "user", "given by the user")
    return kind


def _check_metric_fits(metric: str, task_type: TaskType) -> None:
    """A metric for another kind of task (R² of labels, AUC of a multiclass target) cannot be optimised."""
    regression = metrics.family(metric) in metrics.REGRESSION_METRICS
    if regression != (task_type is TaskType.regression) or \
            (metric in metrics.BINARY_METRICS and task_type is not TaskType.binary):
        kinds = ("binary " if metric in metrics.BINARY_METRICS else "") + \
            ("regression" if regression else "classification")
        raise TaskInferenceError(f"metric {metric} scores {kinds} tasks, and this task is {task_type.value}.",
                                 hint="pass a metric that fits the task with --metric, or set --problem-type")


def _discrete_type(y, sample, targets, metric, text, ev) -> TaskType:
    """Few distinct integers (ratings, counts, class codes): the metric, words, sample values decide."""
    n = y.nunique()
    reg, cls = len(re.findall(REGRESSION_WORDS, text, re.I)), len(re.findall(CLASSIFICATION_WORDS, text, re.I))
    in_sample = sample is not None and targets[0] in sample
    placeholder = pd.to_numeric(sample[targets[0]], errors="coerce").dropna() if in_sample else pd.Series([])
    if metric:
        regression, source, why = metrics.family(metric) in metrics.REGRESSION_METRICS, "description", f"the metric is {metric}"
    elif reg != cls:
        words = "regression" if reg > cls else "classification"
        regression, source, why = reg > cls, "description", f"the description uses {words} words"
    elif len(placeholder) and not np.all(np.mod(placeholder, 1) == 0):
        regression, source, why = True, "sample_submission", "the sample submission holds fractional numbers"
    else:
        regression, source, why = n > 10, "value_types", f"{'more than' if n > 10 else 'at most'} 10 of them"
    kind = TaskType.regression if regression else TaskType.multiclass
    _note(ev, "task_type", kind.value, source, f"{n} distinct integers; {why}")
    return kind


def _probability_like(sample, cols) -> bool:
    """Numbers in [0, 1], some fractional (0.5 placeholders): a probability, not a 0/1 label."""
    if sample is None or not cols or any(c not in sample.columns for c in cols):
        return False
    v = sample[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    return bool(not np.isnan(v).any() and v.min() >= 0 and v.max() <= 1 and np.any(np.mod(v, 1) != 0))


def _skew_reason(y: pd.Series) -> str | None:
    """Why a non-negative target calls for RMSLE, or None when it does not."""
    y = pd.to_numeric(y, errors="coerce").dropna()
    if len(y) < 3 or y.min() < 0:
        return None
    med, skew, log_skew = y.median(), y.skew(), np.log1p(y).skew()
    if med > 0 and y.max() / med > 10:
        return f"max/median = {y.max() / med:.1f} > 10"
    if skew > 2:
        return f"skewness {skew:.2f} > 2"
    if skew > 1 and abs(log_skew) < skew / 2:
        return f"skewness {skew:.2f} > 1 and only {log_skew:.2f} on a log scale"
    return None


def _default_metric(task_type, y, sample, targets, class_cols, ev, unknown: str | None = None) -> str:
    if class_cols is not None:
        metric, why = "logloss", "the sample submission has one probability column per class"
    elif task_type is TaskType.multilabel:
        metric, why = "auc_columnwise", "several 0/1 targets"
    elif task_type is TaskType.binary and (sample is None or _probability_like(sample, targets)):
        metric = "auc"
        why = "binary target; " + ("no sample submission" if sample is None else "the sample holds probabilities")
    elif task_type in (TaskType.binary, TaskType.multiclass):
        held = "the sample submission holds labels" if sample is not None else "no sample submission"
        metric, why = "accuracy", f"{task_type.value} target; {held}"
    elif (reason := _skew_reason(y)):
        metric, why = "rmsle", f"regression on a non-negative, right-skewed target ({reason})"
    else:
        metric, why = "rmse", "regression target without strong right skew"
    said = f"the description's metric ({unknown!r}) is not one iml knows" if unknown else \
        "the description names no metric"
    _note(ev, "metric", metric, "default", f"{said}; {why}")
    return metric


def _positive_label(classes: list[str], labels: pd.Series, text: str, ev) -> str:
    # 1) the description quotes a class next to "positive"/"probability"/"=": trust it
    for keyword in (r"positive", r"probabilit|\s=\s"):
        for sentence in _sentences(text):
            if not re.search(keyword, sentence, re.IGNORECASE):
                continue
            for token in re.findall(r"[`\"'“]([^`\"'”\n]{1,60})[`\"'”]", sentence):
                match = [c for c in classes if c == token] or [c for c in classes if c.lower() == token.lower()]
                if match:
                    _note(ev, "positive_label", match[0], "description", f"quoted in: {sentence.strip()[:120]}")
                    return match[0]
    yes = [c for c in classes if c.lower() in YES_LIKE]
    if len(yes) == 1:
        _note(ev, "positive_label", yes[0], "value_types", "the yes/true/1-like class")
        return yes[0]
    counts = labels.value_counts()
    minority = sorted(classes, key=lambda c: (counts.get(c, 0), c))[0]
    _note(ev, "positive_label", minority, "value_types", "the minority class")
    return minority


# ---------------------------------------------------------------- submission and media

def _map_class_columns(cols: list[str], classes: list[str]) -> dict[str, str]:
    mapping = {}
    for col in cols:
        for key in (str(col), _strip_prefix(str(col))):
            match = [c for c in classes if c == key] or [c for c in classes if c.lower() == key.lower()]
            if match:
                mapping[col] = match[0]
                break
    return mapping


def _submission(sample, id_col, targets, class_cols, metric, task_type, classes, positive, ev) -> SubmissionFormat:
    if sample is None and metric == "logloss" and task_type is TaskType.multiclass:
        class_cols = {c: c for c in classes}  # no sample: one probability column per class, named by it
    if sample is not None:
        columns = [str(c) for c in sample.columns]
    else:
        columns = ([id_col] if id_col else []) + list(class_cols.keys() if class_cols else targets)
    preds = [c for c in columns if c != id_col]
    if class_cols:
        kind = "class_probabilities"
    elif task_type is TaskType.multilabel or metric == "auc_columnwise":
        kind = "multilabel_probabilities"
    elif task_type is TaskType.regression:
        kind = "value"
    elif metric in metrics.PROBABILITY_METRICS or (task_type is TaskType.binary and _probability_like(sample, preds)):
        kind = "probability"  # one column: P(positive_label)
    else:
        kind = "label"
    source = "sample_submission" if sample is not None else "default"
    _note(ev, "submission", f"{kind}: {', '.join(columns)}", source,
          "columns of the sample submission" if sample is not None else "id column plus the target column(s)")
    return SubmissionFormat(columns=columns, id_column=id_col, kind=kind, prediction_columns=preds,
                            positive_label=positive, class_columns=class_cols or None)


def _find_media(train, test, root: Path, targets, id_col, ev) -> list[MediaRef]:
    refs = []
    for col in train.columns:
        if col in targets or not _is_text(train[col]):
            continue
        values = train[col].dropna().astype(str).head(200)
        if values.empty:
            continue
        for modality, exts in MODALITY_EXT.items():
            if values.str.lower().str.endswith(exts).mean() >= 0.9:
                test_values = test[col].dropna().astype(str).head(1) if col in test.columns else values.head(0)
                folders = _media_folders(values, test_values, root)
                refs.append(MediaRef(column=str(col), folder=folders[0] if folders else None,
                                     other_folders=folders[1:], modality=modality))
                _note(ev, "media", f"{col} ({modality}, folder {', '.join(folders) or None})", "value_types",
                      f"values are file paths ending in {modality} extensions")
    # Folders no column names may still belong to the rows: file names that start with a key's values.
    keys = [c for c in test.columns if c in train.columns and c not in targets and train[c].is_unique
            and (_is_text(train[c]) or pd.api.types.is_integer_dtype(train[c]))]
    keys = sorted(keys, key=lambda c: c != id_col)  # the id column is the likeliest key
    referenced = {f.split("/")[0] for r in refs for f in r.folders}
    for key, folders, pattern, modality, coverage in find_joins(train, test, root, keys, referenced):
        refs.append(MediaRef(column=str(key), folder=folders[0], other_folders=folders[1:], modality=modality,
                             pattern=pattern))
        where = " and ".join(f"{f}/" for f in folders)
        _note(ev, "media", f"{where}{pattern.replace('{}', '<' + str(key) + '>')} ({modality})", "value_types",
              f"no column names these files; {coverage:.0%} of sampled train and test {key} values "
              f"start a file name in {where}")
    return refs


def _media_folders(values: pd.Series, test_values: pd.Series, root: Path) -> list[str]:
    """The folder the paths share, or for bare file names the sub-folders holding train's and test's first."""
    parents = values.map(lambda v: Path(v).parent.as_posix())
    common = parents.mode().iloc[0]
    if common not in ("", "."):
        return [common]
    found = []
    for first in [*values.head(1), *test_values.head(1)]:
        for sub in sorted(p for p in root.iterdir() if p.is_dir()):
            if (sub / first).exists() and sub.name not in found:
                found.append(sub.name)
                break
    return found

"""Profiling Agent: measures a task's data into a Profile. It executes code; it never guesses.

Exact where cheap (counts, missingness, cardinality, numeric summaries, duplicates); sampled where
exactness buys nothing (kind recognition, word counts, target associations), and said so in a note.
"""

from __future__ import annotations

import os
import re
import time
import unicodedata
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from sklearn.metrics import normalized_mutual_info_score

from iml.data_io import read_table
from iml.perception.media import MODALITY_EXT, profile_media
from iml.perception.profile import ColumnProfile, MediaProfile, Profile, Spread, TargetProfile
from iml.perception.summary import TaskSummary, TaskType

ASSOC_SAMPLE = 20_000  # rows used for target associations and leak checks
KIND_SAMPLE = 1_000  # non-null values used to recognize dates, text and media paths
TOP_VALUES = 10
MAX_CATEGORIES = 100  # categories kept for mutual information; the rest pooled
LEAK_THRESHOLD = 0.98
HIGH_CARDINALITY = 50
SCRIPT_SAMPLE = 500  # text values whose letters are classified by Unicode script
# Scripts written without spaces between words: their text has few "words" split on spaces.
UNSPACED_SCRIPTS = {"CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN"}
BOOL_PAIRS = [{"true", "false"}, {"yes", "no"}, {"y", "n"}, {"t", "f"}, {"0", "1"}]
ID_NAME = re.compile(r"((^|[_\-\s.])(id|uuid|guid|index)$)|(^unnamed: ?0$)", re.I)
CAMEL_ID = re.compile(r"[a-z0-9](Id|ID)$")
DATE_HINT = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b\.?\s*\d", re.I)
EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


def profile_task(summary: TaskSummary, train: pd.DataFrame | None = None, test: pd.DataFrame | None = None) -> Profile:
    """Profile the task's train (and test) table; frames not given are read from summary.data_dir."""
    start = time.perf_counter()
    data_dir = Path(summary.data_dir)
    train = read_table(data_dir / summary.train_file) if train is None else train
    if test is None:  # one table: an empty test frame of its feature columns
        test = (read_table(data_dir / summary.test_file) if summary.test_file
                else train.drop(columns=[t for t in summary.target_columns if t in train.columns]).iloc[:0])
    targets = [t for t in summary.target_columns if t in train.columns]
    if not targets:  # fall back to what the files say: in train, not in test
        targets = [c for c in train.columns if c not in test.columns and c != summary.id_column]
    notes: list[str] = []
    sample = train.sample(ASSOC_SAMPLE, random_state=0) if len(train) > ASSOC_SAMPLE else train
    if len(sample) < len(train):
        notes.append(f"target associations and leak checks measured on a random sample of {len(sample):,} of {len(train):,} rows")
    regression = summary.task_type == TaskType.regression
    y = _encode_target(sample[targets[0]], regression) if targets else None
    # Columns that name files themselves; a join's key column (pattern set) stays what it is, usually the id.
    media = {m.column: m.modality for m in summary.media if m.pattern is None}
    columns = [
        _profile_column(train[name], test[name] if name in test.columns else None, sample[name], y, regression,
                        is_target=name in targets, given_id=name == summary.id_column,
                        media=media.get(name), data_dir=data_dir)
        for name in train.columns
    ]
    extra = [c for c in test.columns if c not in train.columns]
    if extra:
        notes.append(f"columns only in test (ignored): {', '.join(map(str, extra))}")
    ids = [c.name for c in columns if c.kind == "id"]
    file_sizes, media_counts = _file_inventory(data_dir)
    media_profiles = _media_profiles(summary, columns, train, test, data_dir)
    for item in media_profiles:  # the media facts also read as the column's notes, where a person looks first
        column = next((c for c in columns if c.name == item.column), None)
        if column is not None:
            column.notes.extend(_media_notes(item))
    rest = train.drop(columns=ids)
    duplicates = int(pd.util.hash_pandas_object(rest, index=False).duplicated().sum()) if rest.shape[1] else 0
    if ids:
        notes.append(f"duplicate rows counted ignoring id column(s) {', '.join(ids)}")
    return Profile(
        n_train_rows=len(train), n_test_rows=len(test), n_columns=train.shape[1], columns=columns,
        targets=[_profile_target(train[t], regression) for t in targets],
        file_sizes=file_sizes, media_file_counts=media_counts, media=media_profiles, duplicate_rows=duplicates, id_columns=ids,
        date_columns=[c.name for c in columns if c.kind == "datetime"],
        text_columns=[c.name for c in columns if c.kind == "text"],
        constant_columns=[c.name for c in columns if c.kind == "constant"],
        leak_suspects=[c.name for c in columns if c.leak_suspect],
        notes=notes, elapsed_s=round(time.perf_counter() - start, 3),
    )


# ---------------------------------------------------------------- columns

def _profile_column(col: pd.Series, test_col: pd.Series | None, sample_col: pd.Series, y, regression: bool, *,
                    is_target: bool, given_id: bool, media: str | None, data_dir: Path) -> ColumnProfile:
    name = str(col.name)
    n, n_missing = len(col), int(col.isna().sum())
    n_unique = int(col.nunique(dropna=True))
    nonnull = max(n - n_missing, 1)
    kind, date_format = _kind(name, col, n_unique, n_missing, given_id=given_id, media=media)
    fields: dict = {}
    notes: list[str] = []
    if n_missing:
        notes.append(f"{_pct(n_missing / n)} missing")
    if test_col is not None and len(test_col):
        fields["test_missing_rate"] = float(test_col.isna().mean())
        if abs(fields["test_missing_rate"] - n_missing / n) > 0.05 or (fields["test_missing_rate"] and not n_missing):
            notes.append(f"{_pct(fields['test_missing_rate'])} missing in test")
    elif not is_target:
        notes.append("not in test: not usable as a feature")
    if ptypes.is_numeric_dtype(col) and kind in ("numeric", "boolean"):
        fields.update(_numeric_stats(col.astype(float), notes, n_unique, kind == "numeric" and not is_target))
    if kind in ("categorical", "boolean", "constant"):
        fields.update(_categorical_stats(col, test_col, notes, n_unique))
    if kind == "text":
        fields.update(_text_stats(col, notes))
    if kind == "datetime":
        fields.update(_date_stats(col, test_col, date_format, notes))
    if kind == "id":
        notes.append("given as the id column" if given_id else "unique per row and named like an id")
    if kind == "constant":
        notes.append("all missing" if n_unique == 0 else "a single value: carries no information")
    association, leak_reason = None, None
    if y is not None and not is_target and test_col is not None and kind in ("numeric", "boolean", "categorical", "datetime"):
        association, leak_reason = _association(sample_col, kind, date_format, y, regression)
    if leak_reason:
        notes.append(f"leak suspect: {leak_reason}")
    return ColumnProfile(
        name=name, dtype=str(col.dtype), kind=kind, in_test=test_col is not None,
        n_missing=n_missing, missing_rate=n_missing / n if n else 0.0, n_unique=n_unique,
        unique_ratio=n_unique / nonnull, target_association=association,
        leak_suspect=leak_reason is not None, notes=notes, **fields,
    )


def _kind(name: str, col: pd.Series, n_unique: int, n_missing: int, *, given_id: bool, media: str | None):
    """(kind, date format) of one column; the date format is set for string dates only."""
    if media:
        return f"{media}_path", None
    if given_id:
        return "id", None
    if n_unique <= 1:
        return "constant", None
    if _is_boolean(col, n_unique):
        return "boolean", None
    if ptypes.is_datetime64_any_dtype(col):
        return "datetime", None
    stringy = not ptypes.is_numeric_dtype(col)
    named_like_id = ID_NAME.search(name.strip()) or CAMEL_ID.search(name.strip())
    if n_missing == 0 and n_unique == len(col) and (stringy or ptypes.is_integer_dtype(col)) and named_like_id:
        return "id", None
    if not stringy:
        return "numeric", None
    values = _nonnull_sample(col, KIND_SAMPLE).astype(str).str.strip()
    lower = values.str.lower()
    for modality, ext in MODALITY_EXT.items():
        if lower.str.endswith(ext).mean() > 0.9:
            return f"{modality}_path", None
    date_format = _date_format(values)
    if date_format:
        return "datetime", date_format
    mean_words = values.str.split().str.len().mean()
    long = values.str.len().mean() > 30 or mean_words > 4
    varied = n_unique / max(len(col) - n_missing, 1) > 0.5
    if long and mean_words >= 2 and varied:  # words, not codes
        return "text", None
    # Scripts that write no spaces pack a word into a character or two: shorter values are sentences too.
    if varied and values.str.len().mean() > 10 and _script("".join(values.head(SCRIPT_SAMPLE))) in UNSPACED_SCRIPTS:
        return "text", None
    return "categorical", None


def _is_boolean(col: pd.Series, n_unique: int) -> bool:
    if ptypes.is_bool_dtype(col):
        return True
    if n_unique != 2:
        return False
    words = {str(v).strip().lower().removesuffix(".0") for v in col.dropna().unique()}
    return words in BOOL_PAIRS


def _date_format(values: pd.Series) -> str | None:
    """'ISO8601' or 'mixed' when > 90% of the sampled strings parse as dates, else None."""
    if values.empty or values.str.contains(DATE_HINT).mean() <= 0.9:
        return None
    for fmt in ("ISO8601", "mixed"):
        if _parse_dates(values, fmt).notna().mean() > 0.9:
            return fmt
    return None


def _parse_dates(values: pd.Series, fmt: str | None) -> pd.Series:
    if ptypes.is_datetime64_any_dtype(values):
        return values.dt.tz_localize("UTC") if values.dt.tz is None else values.dt.tz_convert("UTC")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(values, format=fmt, errors="coerce", utc=True)
        except (ValueError, TypeError, OverflowError):
            return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")


def _numeric_stats(values: pd.Series, notes: list[str], n_unique: int, feature_notes: bool) -> dict:
    infinite = np.isinf(values)
    if infinite.any():
        notes.append(f"{int(infinite.sum())} infinite values (excluded from the summary)")
        values = values[~infinite]
    stats = {"mean": values.mean(), "std": values.std(), "min": values.min(), "max": values.max(), "skew": values.skew()}
    stats = {k: _finite(v) for k, v in stats.items()}
    if feature_notes:
        if stats["skew"] is not None and abs(stats["skew"]) > 2:
            notes.append(f"highly skewed (skew {stats['skew']:.1f})")
        if n_unique <= 10 and (values.dropna() % 1 == 0).all():
            notes.append(f"integer with {n_unique} values: may be ordinal or categorical")
    return stats


def _categorical_stats(col: pd.Series, test_col: pd.Series | None, notes: list[str], n_unique: int) -> dict:
    counts = col.value_counts(dropna=True)
    stats: dict = {"top_values": {_label(k): int(v) for k, v in counts.head(TOP_VALUES).items()}}
    if n_unique > HIGH_CARDINALITY:
        notes.append(f"high cardinality ({n_unique} values)")
    if n_unique == len(col) >= 20:
        notes.append("unique per row: likely an identifier, not a category")
    singletons = int((counts == 1).sum())
    if singletons and n_unique > 2:
        notes.append(f"{singletons} categories seen once")
    if test_col is not None and test_col.notna().any():
        seen = test_col.dropna().isin(counts.index)
        stats["unseen_in_test_rate"] = float(1 - seen.mean())
        if stats["unseen_in_test_rate"] >= 0.01:
            notes.append(f"unseen test categories {_pct(stats['unseen_in_test_rate'])}")
    return stats


def _text_stats(col: pd.Series, notes: list[str]) -> dict:
    values = col.dropna().astype(str)
    lengths = values.str.len()
    mean_length = float(lengths.mean())
    words_from = _nonnull_sample(col, ASSOC_SAMPLE).astype(str)
    words = words_from.str.lower().str.split()
    mean_words = float(words.str.len().mean())
    vocabulary = len(set(words.explode().dropna()))
    sampled = f" (words from a sample of {len(words_from):,})" if len(words_from) < len(values) else ""
    letters = "".join(_nonnull_sample(col, SCRIPT_SAMPLE).astype(str))
    ascii_share = sum(ch.isascii() for ch in letters) / max(1, len(letters))
    script = _script(letters)
    notes.append(f"free text: mean {mean_length:.0f} characters ({lengths.min()}..{lengths.median():.0f}.."
                 f"{lengths.max()}), {mean_words:.1f} words, vocabulary {vocabulary:,}{sampled}; "
                 f"{ascii_share:.0%} ASCII, {script or 'no'} script")
    return {"mean_length": mean_length, "mean_words": mean_words, "vocabulary_size": vocabulary,
            "length": Spread.of(lengths),
            "ascii_share": round(ascii_share, 4), "script": script}


def _script(text: str) -> str | None:
    """The commonest Unicode script among the letters: the first word of each letter's Unicode name
    (LATIN, CYRILLIC, ARABIC, GREEK, HEBREW, DEVANAGARI, HANGUL, HIRAGANA, ...; CJK for Han)."""
    counts = Counter(unicodedata.name(ch, "UNKNOWN").split()[0] for ch in text[:200_000] if ch.isalpha())
    return counts.most_common(1)[0][0] if counts else None


def _date_stats(col: pd.Series, test_col: pd.Series | None, fmt: str | None, notes: list[str]) -> dict:
    limit = None if fmt != "mixed" else ASSOC_SAMPLE  # mixed formats parse one value at a time: sample
    dates = _parse_dates(_nonnull_sample(col, limit), fmt)
    if dates.isna().mean() > 0.001:
        notes.append(f"{_pct(dates.isna().mean())} of non-missing values do not parse as dates")
    dates = dates.dropna()
    if dates.empty:
        return {}
    sampled = f" (from a sample of {len(dates):,})" if limit and len(col.dropna()) > limit else ""
    stats = {"date_min": dates.min().isoformat(), "date_max": dates.max().isoformat()}
    notes.append(f"dates {stats['date_min'][:10]} .. {stats['date_max'][:10]}{sampled}")
    if test_col is not None and test_col.notna().any():
        test_dates = _parse_dates(_nonnull_sample(test_col, limit), fmt).dropna()
        if not test_dates.empty and test_dates.min() >= dates.max():
            notes.append("test dates all follow train dates: time-ordered split, validate forward in time")
    return stats


def _media_profiles(summary: TaskSummary, columns: list[ColumnProfile], train: pd.DataFrame, test: pd.DataFrame,
                    data_dir: Path) -> list[MediaProfile]:
    """One MediaProfile per media column (train and test rows) and per folder joined by a key column."""
    if not data_dir.is_dir():
        return []
    refs = {(m.column, m.pattern): m for m in summary.media}
    out = []
    for col in columns:
        if col.kind in ("image_path", "audio_path") and col.in_test:
            ref = refs.get((col.name, None))
            values = pd.concat([train[col.name], test[col.name]], ignore_index=True)
            out.append(profile_media(col.kind.removesuffix("_path"), col.name, values, data_dir,
                                     folders=ref.folders if ref else []))
    for ref in summary.media:
        if ref.pattern is not None and ref.column in train.columns and ref.column in test.columns:
            values = pd.concat([train[ref.column], test[ref.column]], ignore_index=True)
            out.append(profile_media(ref.modality, ref.column, values, data_dir, ref.folders, ref.pattern))
    return out


def _media_notes(item: MediaProfile) -> list[str]:
    def spread(s: Spread, fmt: str = "{:.0f}") -> str:
        return "..".join(fmt.format(v) for v in (s.min, s.median, s.max))

    notes = [f"{item.modality}: {item.n_found} of {item.n_rows} rows have a file"]
    if item.width and item.height:
        notes.append(f"width {spread(item.width)}, height {spread(item.height)} px (min..median..max); "
                     f"modes {', '.join(f'{k} {v}' for k, v in item.modes.items())}")
    if item.duration_s:
        notes.append(f"duration {spread(item.duration_s, '{:.2f}')} s; sample rates "
                     f"{', '.join(item.sample_rates)} Hz; channels {', '.join(item.channels)}")
    if item.n_missing:
        notes.append(f"missing files, e.g. {', '.join(item.missing_examples[:3])}")
    if item.n_unreadable:
        notes.append(f"{item.n_unreadable} unreadable of {item.n_opened} opened, e.g. "
                     f"{', '.join(item.unreadable_examples[:3])}")
    return notes + [n for n in item.notes if "have no file" not in n and "unreadable" not in n]


# ---------------------------------------------------------------- target association and leaks

def _encode_target(target: pd.Series, regression: bool) -> pd.Series:
    """The target on the sample as floats (regression) or class codes; rows with a missing target dropped."""
    target = target.dropna()
    if regression:
        return pd.to_numeric(target, errors="coerce").dropna().astype(float)
    codes, _ = pd.factorize(target, sort=True)
    return pd.Series(codes, index=target.index)


def _association(x: pd.Series, kind: str, date_format: str | None, y: pd.Series, regression: bool):
    """(association with the target in [0, 1], leak reason or None), on the sample rows."""
    x = x.loc[y.index]
    if kind == "datetime":
        x = (_parse_dates(x, date_format) - EPOCH).dt.total_seconds()
    if kind in ("numeric", "datetime") or ptypes.is_bool_dtype(x):
        values = pd.to_numeric(x, errors="coerce").astype(float).to_numpy()
        ok = np.isfinite(values)
        if ok.sum() < 3:
            return None, None
        x_ok, y_ok = values[ok], y.to_numpy()[ok]
        if not regression:
            score = _eta(x_ok, y_ok)
        else:
            score = 0.0 if x_ok.std() == 0 or y_ok.std() == 0 else float(abs(np.corrcoef(x_ok, y_ok)[0, 1]))
    else:
        codes = _category_codes(x)
        if regression:
            score = _eta(y.to_numpy(), codes, adjusted=True)
        else:
            score = float(normalized_mutual_info_score(y.to_numpy(), codes))
    if score is not None and score >= LEAK_THRESHOLD:
        return score, f"association with the target {score:.3f} >= {LEAK_THRESHOLD}"
    if _maps_onto_target(x, y):
        return score, "equals the target under a one-to-one mapping of values"
    return score, None


def _eta(values: np.ndarray, groups: np.ndarray, adjusted: bool = False) -> float | None:
    """Correlation ratio of values across groups (sqrt of explained variance); adjusted for the group count."""
    n, total = len(values), ((values - values.mean()) ** 2).sum()
    if n < 3 or total == 0:
        return 0.0
    counts, sums = np.bincount(groups), np.bincount(groups, weights=values)
    used = counts > 0
    between = (sums[used] ** 2 / counts[used]).sum() - n * values.mean() ** 2
    r2 = between / total
    if adjusted:
        k = int(used.sum())
        if n - k <= 0:
            return None
        r2 = 1 - (1 - r2) * (n - 1) / (n - k)
    return float(np.sqrt(np.clip(r2, 0.0, 1.0)))


def _category_codes(x: pd.Series) -> np.ndarray:
    """Codes 0..k of the most frequent categories; the rest pooled into one code, missing into another."""
    top = x.value_counts(dropna=True).index[:MAX_CATEGORIES]
    codes = pd.Index(top).get_indexer(x).astype(np.int64)
    codes[codes < 0] = len(top)
    codes[x.isna().to_numpy()] = len(top) + 1
    return codes


def _maps_onto_target(x: pd.Series, y: pd.Series) -> bool:
    """True when feature values and target values correspond one to one (target values must repeat)."""
    keep = x.notna().to_numpy()
    if keep.sum() < 10:
        return False
    xc, yc = pd.factorize(x[keep])[0], pd.factorize(y[keep])[0]
    n_y = yc.max() + 1
    if n_y < 2 or n_y > 0.5 * len(yc) or xc.max() + 1 != n_y:
        return False
    return len(np.unique(xc.astype(np.int64) * n_y + yc)) == n_y


# ---------------------------------------------------------------- target, files

def _profile_target(col: pd.Series, regression: bool) -> TargetProfile:
    n_missing, n_unique = int(col.isna().sum()), int(col.nunique(dropna=True))
    notes = [f"{n_missing} rows without a target"] if n_missing else []
    if regression:
        values = pd.to_numeric(col, errors="coerce").astype(float)
        stats = {k: _finite(getattr(values, k)()) for k in ("mean", "std", "min", "max", "skew")}
        if stats["skew"] is not None and stats["skew"] > 1 and (stats["min"] or 0) >= 0:
            notes.append(f"right-skewed (skew {stats['skew']:.1f}) and non-negative: a log transform may help")
        return TargetProfile(name=str(col.name), n_missing=n_missing, n_unique=n_unique, notes=notes, **stats)
    counts = {_label(k): int(v) for k, v in col.value_counts(dropna=True).items()}
    ratio = max(counts.values()) / min(counts.values()) if counts else None
    if ratio and ratio >= 5:
        notes.append(f"imbalanced: largest / smallest class = {ratio:.1f}")
    if counts and min(counts.values()) < 10:
        notes.append(f"smallest class has {min(counts.values())} rows: stratify folds")
    return TargetProfile(name=str(col.name), n_missing=n_missing, n_unique=n_unique,
                         class_counts=counts, imbalance_ratio=ratio, notes=notes)


def _file_inventory(data_dir: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Bytes of every top-level file; total bytes ('name/') and file count of every sub-folder."""
    sizes: dict[str, int] = {}
    counts: dict[str, int] = {}
    for entry in sorted(data_dir.iterdir()) if data_dir.is_dir() else []:
        if entry.is_file():
            sizes[entry.name] = entry.stat().st_size
        elif entry.is_dir():
            files = [os.path.join(root, f) for root, _, names in os.walk(entry) for f in names]
            sizes[entry.name + "/"], counts[entry.name] = sum(map(os.path.getsize, files)), len(files)
    return sizes, counts


# ---------------------------------------------------------------- helpers

def _nonnull_sample(col: pd.Series, limit: int | None) -> pd.Series:
    values = col.dropna()
    return values.sample(limit, random_state=0) if limit and len(values) > limit else values


def _label(value) -> str:
    """A value as a string key: 3.0 -> '3', True -> 'True'."""
    return str(int(value)) if isinstance(value, (float, np.floating)) and float(value).is_integer() else str(value)


def _finite(value) -> float | None:
    value = float(value) if isinstance(value, (int, float, np.number)) else np.nan
    return value if np.isfinite(value) else None


def _pct(rate: float) -> str:
    return f"{rate:.0%}" if rate >= 0.1 else f"{rate:.1%}" if rate >= 0.001 else "<0.1%"

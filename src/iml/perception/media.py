"""Media perception: where a task's image and audio files are, and what they are like.

Two ways a table reaches its files: a column holding file names or paths, or a folder whose
file names start with a key column's values (PetFinder style: ``images/<id>-1.jpg``, no path
column). Existence is checked for every row; sizes, durations and readability are measured
on a sample, because opening tens of thousands of files buys nothing the sample does not say.
"""

from __future__ import annotations

import bisect
import os
import warnings
import wave
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from iml.perception.profile import MediaProfile, Spread

IMAGE_EXT = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
AUDIO_EXT = (".wav", ".mp3", ".flac", ".ogg", ".m4a", ".aac", ".aif", ".aiff", ".opus")
MODALITY_EXT = {"image": IMAGE_EXT, "audio": AUDIO_EXT}
OPEN_SAMPLE = 300  # files opened for sizes, durations and readability
JOIN_SAMPLE = 200  # key values tried when looking for a file-name join
JOIN_MIN_COVERAGE = 0.5  # share of key values that must have a file for a join to count
EXAMPLES = 5  # file names quoted for missing or unreadable files


# ---------------------------------------------------------------- where the files are

def resolve(data_dir: Path, value, folders: list[str], pattern: str | None) -> Path | None:
    """The file a cell names: the value (through the pattern) under the data folder, else under the first
    of ``folders`` that holds it; a missing file is reported as the table names it.

    Generated preprocessing resolves paths the same way (``iml_runtime.data.media_path``).
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    name = (pattern or "{}").format(_key_text(value))
    direct = data_dir / name
    if direct.exists():
        return direct
    return next((data_dir / f / name for f in folders if (data_dir / f / name).exists()), direct)


def find_joins(train: pd.DataFrame, test: pd.DataFrame, root: Path, keys: list[str],
               referenced: set[str]) -> list[tuple[str, list[str], str, str, float]]:
    """(key column, folders, pattern, modality, coverage) for media that no column references but whose
    file names start with a key column's values. The files may sit in one folder or be split over
    several (train/ and test/): a join must find files for most train rows and most test rows."""
    listings: dict[str, tuple[str, list[str]]] = {}  # folder -> (modality, sorted file names)
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        if folder.name not in referenced:
            names = sorted(e.name for e in os.scandir(folder) if e.is_file())
            modality = _folder_modality(names)
            if modality:
                listings[folder.name] = (modality, names)
    joins, used = [], set()
    for modality in MODALITY_EXT:
        folders = [f for f, (m, _) in listings.items() if m == modality]
        best = None
        for key in keys:
            samples = [_key_sample(frame[key]) for frame in (train, test)]
            pattern, _ = _join_pattern(samples[0] + samples[1], sorted(n for f in folders for n in listings[f][1]))
            if pattern is None:
                continue
            holding = [f for f in folders if _covered(samples[0] + samples[1], pattern, set(listings[f][1])) > 0]
            names = {n for f in holding for n in listings[f][1]}
            coverage = min(_covered(sample, pattern, names) for sample in samples)
            if coverage >= JOIN_MIN_COVERAGE and (best is None or coverage > best[4]):
                best = (key, holding, pattern, modality, coverage)
        if best and not used & set(best[1]):
            used |= set(best[1])
            joins.append(best)
    return joins


def _key_sample(values: pd.Series) -> list[str]:
    values = values.dropna()
    values = values.sample(min(JOIN_SAMPLE, len(values)), random_state=0) if len(values) else values
    return [_key_text(v) for v in values]


def _covered(keys: list[str], pattern: str, names: set[str]) -> float:
    """Share of keys whose file name (through the pattern) is among names."""
    return sum(pattern.format(k) in names for k in keys) / len(keys) if keys else 0.0


def _folder_modality(names: list[str]) -> str | None:
    for modality, ext in MODALITY_EXT.items():
        if names and sum(n.lower().endswith(ext) for n in names) > 0.9 * len(names):
            return modality
    return None


def _join_pattern(keys: list[str], names: list[str]) -> tuple[str | None, float]:
    """The commonest file name after a key ('{}' + suffix) and the share of keys that have it.

    A suffix must start at a separator (.-_ or space) so key '1' does not claim file '12.jpg'.
    """
    suffixes: Counter = Counter()
    for key in keys:
        for prefix in (key + sep for sep in ".-_ "):
            start = bisect.bisect_left(names, prefix)  # names sharing a prefix sit together when sorted
            for name in names[start:]:
                if not name.startswith(prefix):
                    break
                suffixes[name[len(key):]] += 1
    if not suffixes or not keys:
        return None, 0.0
    # Most keys covered first; then the shortest, then the first in order ('-1.jpg' before '-2.jpg').
    suffix = min(suffixes, key=lambda s: (-suffixes[s], len(s), s))
    return "{}" + suffix.replace("{", "{{").replace("}", "}}"), suffixes[suffix] / len(keys)


def _key_text(value) -> str:
    """A key value as it appears in a file name: 7.0 -> '7'."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------- what the files are like

def profile_media(modality: str, column: str, values: pd.Series, data_dir: Path, folders: list[str] | None = None,
                  pattern: str | None = None) -> MediaProfile:
    """Existence of every row's file; sizes or durations and readability on a sample of the found files."""
    notes: list[str] = []
    folders = folders or []
    paths = [resolve(data_dir, v, folders, pattern) for v in values]
    present = [p for p in paths if p is not None and p.is_file()]
    absent = [p for p in paths if p is None or not p.is_file()]
    n_empty = sum(p is None for p in paths)
    if n_empty:
        notes.append(f"{n_empty} rows name no file")
    unique = sorted(set(present))
    rng = np.random.default_rng(0)
    sampled = [unique[i] for i in sorted(rng.choice(len(unique), OPEN_SAMPLE, replace=False))] \
        if len(unique) > OPEN_SAMPLE else unique
    if len(sampled) < len(unique):
        notes.append(f"sizes and readability measured on {len(sampled)} of {len(unique)} files")
    reader = _image_facts if modality == "image" else _audio_facts
    facts, readable, unreadable = [], [], []
    for path in sampled:
        try:
            facts.append(reader(path))
            readable.append(path)
        except Exception as exc:  # any failure to read is what we want to count, whatever its type
            unreadable.append(f"{_relative(path, data_dir)} ({type(exc).__name__})")
    fields: dict = {}
    if modality == "image" and facts:
        fields["width"] = Spread.of([f[0] for f in facts])
        fields["height"] = Spread.of([f[1] for f in facts])
        fields["modes"] = dict(Counter(f[2] for f in facts).most_common())
    if modality == "audio" and facts:
        fields["duration_s"] = Spread.of([f[0] for f in facts])
        fields["sample_rates"] = {str(k): v for k, v in Counter(f[1] for f in facts).most_common()}
        fields["channels"] = {str(k): v for k, v in Counter(f[2] for f in facts).most_common()}
    if absent:
        notes.append(f"{len(absent)} of {len(paths)} rows have no file")
    if unreadable:
        notes.append(f"{len(unreadable)} of {len(sampled)} opened files are unreadable")
    truncated = [_relative(p, data_dir) for p, f in zip(readable, facts) if modality == "audio" and f[3]]
    if truncated:
        notes.append(f"{len(truncated)} truncated (fewer bytes than the header says; read as far as they go), "
                     f"e.g. {', '.join(truncated[:EXAMPLES])}")
    if pattern:
        where = " or ".join(f"{f}/" for f in folders)
        notes.append(f"files joined by {column}: {where}{pattern.replace('{}', '<' + column + '>')}")
    return MediaProfile(
        modality=modality, column=column, folders=folders, pattern=pattern, n_rows=len(paths),
        n_found=len(present), n_missing=len(absent),
        missing_examples=[_relative(p, data_dir) for p in absent if p is not None][:EXAMPLES],
        n_opened=len(sampled), n_unreadable=len(unreadable), unreadable_examples=unreadable[:EXAMPLES],
        notes=notes, **fields,
    )


def _image_facts(path: Path) -> tuple[int, int, str]:
    """(width, height, mode) from the header, after PIL's integrity check of the file's structure."""
    from PIL import Image

    with Image.open(path) as img:
        size, mode = img.size, img.mode
        img.verify()
    return size[0], size[1], mode


def _audio_facts(path: Path) -> tuple[float, int, int, bool]:
    """(seconds, sample rate, channels, truncated) from the header. A truncated file (fewer bytes than
    its header promises) still reads as far as it goes, in the generated code too: its real length counts."""
    if path.suffix.lower() != ".wav":
        raise ValueError(f"{path.suffix} is not a format the generated code reads (wav only)")
    truncated = False
    try:
        with wave.open(str(path)) as clip:
            rate, channels, frames, width = clip.getframerate(), clip.getnchannels(), clip.getnframes(), clip.getsampwidth()
        held = (path.stat().st_size - 44) // max(1, channels * width)  # 44: the smallest header
        if held < frames:
            truncated, frames = True, held
    except wave.Error:  # float or extensible wavs: scipy reads those; the mapping reads the header only
        from scipy.io import wavfile

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd chunks are skipped; an unreadable file still raises
            rate, data = wavfile.read(path, mmap=True)
        channels, frames = (1 if data.ndim == 1 else data.shape[1]), data.shape[0]
    if rate <= 0 or frames <= 0:
        raise ValueError("no audio frames")
    return frames / rate, rate, channels, truncated


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)

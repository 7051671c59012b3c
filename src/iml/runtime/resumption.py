"""What a killed training run had finished: every saved candidate is kept on disk, and a later execution of
the same code on the same rows and folds (``iml resume``) takes it back instead of fitting it again.

A kept candidate is bound to a fingerprint of the task's modules, ``pipeline.py`` and the data split;
after an edit, a repair or new data the fingerprint differs and the candidate is fitted anew.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

from .config import CandidateSpec
from .executor import Pickled
from .selection import CandidateResult


def fingerprint(modules: list[ModuleType], frames: list[pd.DataFrame], arrays: list[np.ndarray]) -> str:
    """The code that trains (each module's file and the running script) and the rows it trains on."""
    digest = hashlib.sha256()
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    files = sorted({str(Path(f)) for f in [main, *(getattr(m, "__file__", None) for m in modules)] if f})
    for name in files:
        digest.update(name.encode() + Path(name).read_bytes())
    for frame in frames:
        digest.update(repr((frame.shape, list(map(str, frame.columns)))).encode())
        try:
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        except TypeError:  # unhashable cells (lists): the shape and columns stand for the frame
            pass
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _path(folder: str | Path, spec: CandidateSpec) -> Path:
    key = hashlib.sha256(repr((spec.track, spec.learner, sorted(spec.params.items()), spec.search)).encode())
    return Path(folder) / f"{spec.track}_{spec.learner}_{key.hexdigest()[:10]}.pkl"


def keep(folder: str | Path, spec: CandidateSpec, print_: str, result: CandidateResult, row: dict) -> Path:
    """Write a finished candidate (its models as their pickles, as workers send them back) atomically."""
    path = _path(folder, spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    models = [m if isinstance(m, Pickled) else Pickled(m) for m in result.models]
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump({"fingerprint": print_, "result": dataclasses.replace(result, models=models), "row": row}, fh,
                    protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return path


def saved(folder: str | Path, spec: CandidateSpec, print_: str) -> tuple[CandidateResult, dict] | None:
    """The candidate a previous execution kept, when it was fitted by this code on these rows; else None.

    Its models stay pickles (``Pickled``): unpickling a booster here would start a thread pool that
    hangs the workers forked after it.
    """
    path = _path(folder, spec)
    if not path.exists():
        return None
    try:
        with open(path, "rb") as fh:
            kept = pickle.load(fh)
    except Exception:  # torn or from another version of the runtime: fit it again
        return None
    if kept.get("fingerprint") != print_:
        return None
    return kept["result"], kept["row"]

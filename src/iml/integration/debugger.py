"""Debugger, expert brain: walks a ladder of safer variants for the blamed module only.

Each rung is a pure function Blueprint -> Blueprint (or a fresh render of the
module), tried once, in order; the LLM brain plugs into the same seam with a
repaired module instead of a rung.
"""

from __future__ import annotations

from typing import Callable

from pydantic import BaseModel

from iml.integration.diagnosis import Diagnosis
from iml.planning.blueprint import Blueprint, Decision

PACKAGE_OF = {"lightgbm": "lightgbm", "xgboost": "xgboost", "catboost": "catboost", "linear": "sklearn"}


class Repair(BaseModel):
    module: str
    action: str
    reason: str
    regenerate: bool = False  # re-render the module from the template (undoes a broken edit)


Rung = Callable[[Blueprint, Diagnosis], tuple[Blueprint, str] | None]


def _drop_prep(bp: Blueprint, attr: str, why: str) -> tuple[Blueprint, str] | None:
    bp = bp.model_copy(deep=True)
    columns = getattr(bp.prep, attr)
    if not columns:
        return None
    names = [c.column if hasattr(c, "column") else c for c in columns]
    for name in names:
        bp.prep.dropped.append(Decision(column=name, action="drop", reason=why))
    setattr(bp.prep, attr, [])
    return bp, f"dropped {attr.replace('_columns', '')} columns {names}"


def _onehot_to_ordinal(bp: Blueprint, _d: Diagnosis):
    if not bp.prep.onehot_columns:
        return None
    bp = bp.model_copy(deep=True)
    moved = bp.prep.onehot_columns
    bp.prep.ordinal_columns = bp.prep.ordinal_columns + moved
    bp.prep.onehot_columns = []
    return bp, f"encoded {moved} as frequency codes instead of one-hot"


PREPROCESS_LADDER: list[Rung] = [
    lambda bp, d: _drop_prep(bp, "text_columns", f"text features failed: {d.evidence[:120]}"),
    lambda bp, d: _drop_prep(bp, "datetime_columns", f"date features failed: {d.evidence[:120]}"),
    _onehot_to_ordinal,
    lambda bp, d: _drop_prep(bp, "ordinal_columns", f"categorical codes failed: {d.evidence[:120]}"),
]


def _drop_candidate(bp: Blueprint, d: Diagnosis):
    if d.candidate is None or len(bp.model.candidates) <= 1:
        return None
    bp = bp.model_copy(deep=True)
    kept = [c for c in bp.model.candidates if f"{c.track}/{c.learner}" != d.candidate]
    if len(kept) == len(bp.model.candidates):
        return None
    bp.model.candidates = kept
    return bp, f"removed candidate {d.candidate}"


def _drop_missing_package(bp: Blueprint, d: Diagnosis):
    kept = [c for c in bp.model.candidates if PACKAGE_OF.get(c.learner, c.learner) not in d.evidence]
    if not kept or len(kept) == len(bp.model.candidates):
        return None
    bp = bp.model_copy(deep=True)
    bp.model.candidates = kept
    return bp, f"removed candidates whose package is missing ({d.evidence})"


def _fewer_candidates(bp: Blueprint, _d: Diagnosis):
    if len(bp.model.candidates) <= 1:
        return None
    bp = bp.model_copy(deep=True)
    bp.model.candidates = bp.model.candidates[:1]
    bp.train.n_folds = min(bp.train.n_folds, 3)
    bp.train.max_trials = min(bp.train.max_trials, 10)
    return bp, f"kept only {bp.model.candidates[0].learner} with {bp.train.n_folds} folds"


MODEL_LADDER: list[Rung] = [_drop_missing_package, _drop_candidate, _fewer_candidates]


def propose(bp: Blueprint, diagnosis: Diagnosis, tried: list[Repair], module_is_pristine: bool,
            ladder: list[Rung] | None = None) -> tuple[Blueprint, Repair] | None:
    """The next untried repair for the blamed module, or None when the ladder is exhausted.

    ``ladder`` overrides the module's own (the mono variant walks one ladder over its single script).
    """
    module = diagnosis.module
    if not module_is_pristine and not any(r.regenerate and r.module == module for r in tried):
        return bp, Repair(module=module, action="regenerated from the template", regenerate=True,
                          reason=f"{diagnosis.failure}: {diagnosis.evidence[:200]}")
    if ladder is None:
        ladder = PREPROCESS_LADDER if module == "code/preprocess.py" else MODEL_LADDER
    done = {r.action for r in tried}
    for rung in ladder:
        proposal = rung(bp, diagnosis)
        if proposal is not None and proposal[1] not in done:
            new_bp, action = proposal
            return new_bp, Repair(module=module, action=action, reason=f"{diagnosis.failure}: {diagnosis.evidence[:200]}")
    return None

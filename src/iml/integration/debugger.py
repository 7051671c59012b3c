"""Debugger, expert brain: walks a ladder of safer variants for the blamed module only.

Each rung is a pure function (Blueprint, Diagnosis) -> (Blueprint, Repair), tried once, in
order; the llm brain (iml.agents.debugger) plugs into the same seam with a repaired module
instead of a rung. A repair is typed: its ``kind`` and details say what it did, its ``action``
says it in words for the report and the events.
"""

from __future__ import annotations

from typing import Callable, Literal

from pydantic import BaseModel, computed_field

from iml.integration.diagnosis import Diagnosis
from iml.planning.blueprint import Blueprint, Decision
from iml.runtime.names import PACKAGE_OF, PREPROCESS, candidate_id

RepairKind = Literal[
    "regenerate",  # re-render the module from the template (undoes a broken edit)
    "drop_columns",  # the blueprint drops a group of columns (``columns``)
    "encode_ordinal",  # one-hot columns become frequency codes (``columns``)
    "drop_candidate",  # one failing candidate leaves the blueprint (``candidates``)
    "drop_missing_package",  # candidates whose package is missing leave (``candidates``)
    "fewer_candidates",  # only the first candidate stays, with fewer folds and trials (``candidates``: the dropped)
    "llm_rewrite",  # the LLM rewrote the module
    "drop_llm_track",  # the llm track leaves the blueprint (``candidates``)
]


class Repair(BaseModel):
    kind: RepairKind
    module: str
    action: str  # what was done, in words (report, events); never read back to tell repairs apart
    reason: str
    columns: list[str] = []  # the columns a drop_columns / encode_ordinal repair moved
    candidates: list[str] = []  # 'track/learner' of the candidates a repair removed

    @computed_field  # kept in the repair events, as before the kinds
    @property
    def regenerate(self) -> bool:
        return self.kind == "regenerate"

    def key(self) -> tuple:
        """What makes two repairs the same repair (the ladder tries each once)."""
        return self.kind, tuple(self.columns), tuple(self.candidates)


def repair_of(diagnosis: Diagnosis, kind: RepairKind, action: str, **details) -> Repair:
    return Repair(kind=kind, module=diagnosis.module, action=action,
                  reason=f"{diagnosis.failure}: {diagnosis.evidence[:200]}", **details)


Rung = Callable[[Blueprint, Diagnosis], tuple[Blueprint, Repair] | None]


def _ids(candidates) -> list[str]:
    return [candidate_id(c.track, c.learner) for c in candidates]


def _drop_prep(bp: Blueprint, d: Diagnosis, attr: str, why: str) -> tuple[Blueprint, Repair] | None:
    bp = bp.model_copy(deep=True)
    columns = getattr(bp.prep, attr)
    if not columns:
        return None
    names = [c.column if hasattr(c, "column") else c for c in columns]
    for name in names:
        bp.prep.dropped.append(Decision(column=name, action="drop", reason=why))
    setattr(bp.prep, attr, [])
    return bp, repair_of(d, "drop_columns", f"dropped {attr.replace('_columns', '')} columns {names}", columns=names)


def _onehot_to_ordinal(bp: Blueprint, d: Diagnosis):
    if not bp.prep.onehot_columns:
        return None
    bp = bp.model_copy(deep=True)
    moved = bp.prep.onehot_columns
    bp.prep.ordinal_columns = bp.prep.ordinal_columns + moved
    bp.prep.onehot_columns = []
    return bp, repair_of(d, "encode_ordinal", f"encoded {moved} as frequency codes instead of one-hot",
                         columns=list(moved))


PREPROCESS_LADDER: list[Rung] = [
    lambda bp, d: _drop_prep(bp, d, "text_columns", f"text features failed: {d.evidence[:120]}"),
    lambda bp, d: _drop_prep(bp, d, "datetime_columns", f"date features failed: {d.evidence[:120]}"),
    _onehot_to_ordinal,
    lambda bp, d: _drop_prep(bp, d, "ordinal_columns", f"categorical codes failed: {d.evidence[:120]}"),
]


def _drop_candidate(bp: Blueprint, d: Diagnosis):
    if d.candidate is None or len(bp.model.candidates) <= 1:
        return None
    bp = bp.model_copy(deep=True)
    kept = [c for c in bp.model.candidates if candidate_id(c.track, c.learner) != d.candidate]
    if len(kept) == len(bp.model.candidates):
        return None
    bp.model.candidates = kept
    return bp, repair_of(d, "drop_candidate", f"removed candidate {d.candidate}", candidates=[d.candidate])


def _drop_missing_package(bp: Blueprint, d: Diagnosis):
    if d.cause != "missing_package":  # an error message that merely names learners removes nothing
        return None
    kept = [c for c in bp.model.candidates if PACKAGE_OF.get(c.learner, c.learner) not in d.evidence]
    if not kept or len(kept) == len(bp.model.candidates):
        return None
    removed = [c for c in bp.model.candidates if c not in kept]
    bp = bp.model_copy(deep=True)
    bp.model.candidates = kept
    return bp, repair_of(d, "drop_missing_package", f"removed candidates whose package is missing ({d.evidence})",
                         candidates=_ids(removed))


def _fewer_candidates(bp: Blueprint, d: Diagnosis):
    if len(bp.model.candidates) <= 1:
        return None
    bp = bp.model_copy(deep=True)
    removed = bp.model.candidates[1:]
    bp.model.candidates = bp.model.candidates[:1]
    bp.train.n_folds = min(bp.train.n_folds, 3)
    bp.train.max_trials = min(bp.train.max_trials, 10)
    return bp, repair_of(d, "fewer_candidates",
                         f"kept only {bp.model.candidates[0].learner} with {bp.train.n_folds} folds",
                         candidates=_ids(removed))


MODEL_LADDER: list[Rung] = [_drop_missing_package, _drop_candidate, _fewer_candidates]


def propose(bp: Blueprint, diagnosis: Diagnosis, tried: list[Repair], module_is_pristine: bool,
            ladder: list[Rung] | None = None) -> tuple[Blueprint, Repair] | None:
    """The next untried repair for the blamed module, or None when the ladder is exhausted.

    ``ladder`` overrides the module's own (the mono variant walks one ladder over its single script).
    """
    module = diagnosis.module
    if not module_is_pristine and not any(r.kind == "regenerate" and r.module == module for r in tried):
        return bp, repair_of(diagnosis, "regenerate", "regenerated from the template")
    if ladder is None:
        ladder = PREPROCESS_LADDER if module == PREPROCESS else MODEL_LADDER
    done = {r.key() for r in tried}
    for rung in ladder:
        proposal = rung(bp, diagnosis)
        if proposal is not None and proposal[1].key() not in done:
            return proposal
    return None

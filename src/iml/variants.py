"""The iML paper's ablations (RQ2) as run variants: what each one changes in the flow, in one place.

- ``full``: the method (blueprint-guided planning, modular code, verification on a sample, repairs).
- ``reactive``: no blueprint-guided planning. The Guideline Agent does not read the profile into a plan:
  the coders get a minimal default plan (one default learner, generic preprocessing), and in llm mode the
  LLM coders write from the summary and profile only.
- ``mono``: one monolithic script instead of modules. ``pipeline.py`` holds the preprocessing, the model
  and the training loop; a failure cannot be blamed on a module, so every repair regenerates the whole
  script (from a safer blueprint).
- ``static``: no execution verification. No sample run and no repair loop: the pipeline runs once in
  full, and a failure ends the run.
"""

from __future__ import annotations

from iml.coding import coder
from iml.integration.debugger import MODEL_LADDER, PREPROCESS_LADDER
from iml.integration.diagnosis import Diagnosis
from iml.options import VARIANTS
from iml.perception.profile import Profile
from iml.perception.summary import TaskSummary
from iml.planning import guideline
from iml.planning.blueprint import Blueprint, Decision
from iml.retrieval.retriever import Retrieval

SCRIPT = "pipeline.py"
# mono: one script holds one model module (track modules share names such as Model and DEFAULTS).
MONO_TRACKS = ("traditional",)
# mono: without a blamed module the expert walks one ladder over the whole script, model rungs first
# (they name the failing candidate when the script's own traceback files do), then preprocessing rungs.
WHOLE_SCRIPT_LADDER = [*MODEL_LADDER, *PREPROCESS_LADDER]


def plan(variant: str, summary: TaskSummary, profile: Profile, time_budget: float, retrieval: Retrieval,
         tracks: tuple[str, ...]) -> Blueprint:
    """The blueprint this variant codes from, with the variant recorded in it."""
    if variant == "reactive":
        bp = guideline.default_plan(summary, profile, time_budget)
    else:
        bp = guideline.plan(summary, profile, time_budget, retrieval, tracks)
    if variant == "mono":
        for track in dict.fromkeys(c.track for c in bp.model.candidates if c.track not in MONO_TRACKS):
            bp.model.skipped.append(Decision(column=track, action="track skipped",
                                             reason="mono variant: one script holds one model module"))
        bp.model.candidates = [c for c in bp.model.candidates if c.track in MONO_TRACKS]
    bp.variant = variant
    if variant != "full":
        bp.rationale.insert(0, f"Variant {variant}: {VARIANTS[variant]}.")
    return bp


def script_sections(bp: Blueprint, summary: TaskSummary) -> dict[str, str]:
    """mono: the sources a modular run writes to code/, to be inlined into the one script."""
    return {"code/preprocess.py": coder.write_preprocess(bp, summary),
            **{f"code/model_{t}.py": coder.write_model(bp, t) for t in coder.tracks_of(bp)}}


def blame_whole_script(diagnoses: list[Diagnosis]) -> list[Diagnosis]:
    """mono: every failure is the script's; the evidence (and the failing candidate) stays."""
    return [d.model_copy(update={"module": SCRIPT}) for d in diagnoses]

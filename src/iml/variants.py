"""The iML paper's ablations (RQ2) as run variants: each one an object answering the flow's questions.

- ``full``: the method (blueprint-guided planning, modular code, verification on a sample, repairs).
- ``reactive``: no blueprint-guided planning. The Guideline Agent does not read the profile into a plan:
  the coders get a minimal default plan (one default learner, generic preprocessing), and in llm mode the
  LLM coders write from the summary and profile only.
- ``mono``: one monolithic script instead of modules. ``pipeline.py`` holds the preprocessing, the model
  and the training loop; a failure cannot be blamed on a module, so every repair regenerates the whole
  script (from a safer blueprint).
- ``static``: no execution verification. No sample run and no repair loop: the pipeline runs once in
  full, and a failure ends the run.

The flow asks ``variant.plan``, ``modules``, ``assemble``, ``blame``, ``ladder``, ``verification_skipped``,
``repairs``; the llm agents ask ``llm_plan_skipped``, ``llm_track_skipped``, ``guided`` and
``llm_may_rewrite``. Nothing else compares a variant's name.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from iml.coding import coder
from iml.integration import assembler
from iml.integration.debugger import MODEL_LADDER, PREPROCESS_LADDER, Rung
from iml.integration.diagnosis import Diagnosis
from iml.perception.profile import Profile
from iml.perception.summary import TaskSummary
from iml.planning import guideline
from iml.planning.blueprint import Blueprint, Decision
from iml.planning.presets import DEFAULT_PRESET
from iml.retrieval.retriever import Retrieval
from iml.runtime.names import LLM_PREPROCESS, LLM_TRACK, PIPELINE, PREPROCESS, RUNTIME_DIR, TRACKS, model_module


class Variant:
    """``full``, the method itself; the ablations below override what they take away."""

    name: ClassVar[str] = "full"
    description: ClassVar[str] = "blueprint-guided planning, modular code, execution verification and repair"
    # Why the sample run and its repairs are skipped; None: they run.
    verification_skipped: ClassVar[str | None] = None
    # Whether a failed full run is diagnosed and repaired (else it ends the run).
    repairs: ClassVar[bool] = True
    # Why the Guideline Agent's llm brain writes no plan; None: it does.
    llm_plan_skipped: ClassVar[str | None] = None
    # Why the llm track gets no modules; None: the LLM coders write them.
    llm_track_skipped: ClassVar[str | None] = None
    # Whether the LLM coders write from the plan (else from the summary and profile alone).
    guided: ClassVar[bool] = True
    # The expert Debugger's ladder for every module; None: each module's own.
    ladder: ClassVar[list[Rung] | None] = None

    def plan(self, summary: TaskSummary, profile: Profile, time_budget: float, retrieval: Retrieval,
             tracks: tuple[str, ...], preset: str = DEFAULT_PRESET) -> Blueprint:
        """The blueprint this variant codes from, with the variant recorded in it."""
        bp = self._expert_plan(summary, profile, time_budget, retrieval, tracks, preset)
        bp.variant = self.name
        if self.name != Variant.name:
            bp.rationale.insert(0, f"Variant {self.name}: {self.description}.")
        return bp

    def _expert_plan(self, summary, profile, time_budget, retrieval, tracks, preset=DEFAULT_PRESET) -> Blueprint:
        return guideline.plan(summary, profile, time_budget, retrieval, tracks, preset)

    def modules(self, bp: Blueprint) -> list[str]:
        """The run folder's modules the coders write for this blueprint (the runtime aside)."""
        tracks = coder.tracks_of(bp)
        llm_features = [LLM_PREPROCESS] if LLM_TRACK in tracks else []
        return [PREPROCESS, PIPELINE, *llm_features, *(model_module(t) for t in tracks)]

    def assemble(self, bp: Blueprint, summary: TaskSummary, time_budget: float) -> str:
        """pipeline.py's source."""
        return assembler.assemble(bp, summary, time_budget)

    def blame(self, diagnoses: list[Diagnosis]) -> list[Diagnosis]:
        return diagnoses

    def llm_may_rewrite(self, module: str) -> bool:
        """Whether the Debugger's llm brain may rewrite this module: generated code, not the runtime."""
        return module.startswith("code/") and not module.startswith(RUNTIME_DIR)


class Reactive(Variant):
    name = "reactive"
    description = "no blueprint-guided planning: a minimal default plan, code from the summary and profile only"
    llm_plan_skipped = "reactive variant: no blueprint-guided planning"
    guided = False

    def _expert_plan(self, summary, profile, time_budget, retrieval, tracks, preset=DEFAULT_PRESET) -> Blueprint:
        return guideline.default_plan(summary, profile, time_budget)  # no planning: no preset either


# mono: one script holds one model module (track modules share names such as Model and DEFAULTS).
MONO_TRACKS = TRACKS[:1]
# mono: without a blamed module the expert walks one ladder over the whole script, model rungs first
# (they name the failing candidate when its candidate_failed event does), then preprocessing rungs.
WHOLE_SCRIPT_LADDER = [*MODEL_LADDER, *PREPROCESS_LADDER]


class Mono(Variant):
    name = "mono"
    description = "one monolithic script instead of modules: produced and repaired as a whole"
    # Its modules would be a second script beside the one the variant is about.
    llm_track_skipped = "mono variant: one script, no llm track modules"
    ladder = WHOLE_SCRIPT_LADDER

    def _expert_plan(self, summary, profile, time_budget, retrieval, tracks, preset=DEFAULT_PRESET) -> Blueprint:
        bp = super()._expert_plan(summary, profile, time_budget, retrieval, tracks, preset)
        for track in dict.fromkeys(c.track for c in bp.model.candidates if c.track not in MONO_TRACKS):
            bp.model.skipped.append(Decision(column=track, action="track skipped",
                                             reason="mono variant: one script holds one model module"))
        bp.model.candidates = [c for c in bp.model.candidates if c.track in MONO_TRACKS]
        return bp

    def modules(self, bp: Blueprint) -> list[str]:
        return [PIPELINE]

    def assemble(self, bp: Blueprint, summary: TaskSummary, time_budget: float) -> str:
        """One script holding the sources a modular run writes to code/."""
        sections = {PREPROCESS: coder.write_preprocess(bp, summary),
                    **{model_module(t): coder.write_model(bp, t) for t in coder.tracks_of(bp)}}
        return assembler.assemble(bp, summary, time_budget, sections)

    def blame(self, diagnoses: list[Diagnosis]) -> list[Diagnosis]:
        """Every failure is the script's; the evidence (and the failing candidate) stays."""
        return [d.model_copy(update={"module": PIPELINE}) for d in diagnoses]

    def llm_may_rewrite(self, module: str) -> bool:
        return module == PIPELINE or super().llm_may_rewrite(module)


class Static(Variant):
    name = "static"
    description = "no execution verification: no sample run, no repairs; the pipeline runs once in full"
    verification_skipped = "static variant: no sample run, no repairs"
    repairs = False


VARIANTS: dict[str, Variant] = {v.name: v for v in (Variant(), Reactive(), Mono(), Static())}
VariantName = Literal[tuple(VARIANTS)]  # type: ignore[valid-type]  # "full", "reactive", "mono", "static"


def of(name: str) -> Variant:
    return VARIANTS[name]

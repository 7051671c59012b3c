"""The llm track: the extra track of an llm run, its two modules written by the LLM coders.

It joins the blueprint only when both modules came back; both are kept as first written in ``llm/``
(their "template", which a regeneration restores). The expert's answer to a failing llm-track
module is to run without the track.
"""

from __future__ import annotations

from iml.agents import guideline, modeling_coder, preprocessing_coder
from iml.agents.context import AgentContext
from iml.integration.debugger import Repair, repair_of
from iml.integration.diagnosis import Diagnosis
from iml.planning.blueprint import Blueprint, Candidate
from iml.runtime.names import LEARNERS_OF_TRACK, LLM_MODEL, LLM_PREPROCESS, LLM_TRACK, PIPELINE, candidate_id

ORIGINALS = {LLM_PREPROCESS: "llm/preprocess_llm.py", LLM_MODEL: "llm/model_llm.py"}
MODULES = tuple(ORIGINALS)
CANDIDATE = Candidate(track=LLM_TRACK, learner=LEARNERS_OF_TRACK[LLM_TRACK][0], search=False, weight=1.0)


def add(ctx: AgentContext) -> None:
    """Write the llm track's two modules and add its candidate; nothing without llm brains.

    reactive: the coders write from the summary and profile alone (the blueprint's contract facts only).
    mono: no llm track (the variant says why).
    """
    if ctx.brains is None:
        return
    if ctx.variant.llm_track_skipped:
        ctx.folder.event("llm_track_skipped", reason=ctx.variant.llm_track_skipped)
        return
    guided = ctx.variant.guided
    plan = guideline.llm_plan(ctx) if guided else ctx.blueprint
    if plan is None:
        return
    preprocess = preprocessing_coder.llm(ctx, plan, guided)
    model = preprocess and modeling_coder.llm(ctx, plan, guided)
    if not (preprocess and model):
        ctx.folder.event("llm_track_skipped", reason="the LLM coders gave no usable module; the expert's tracks run")
        ctx.progress.warn("llm track skipped: no usable module from the LLM (see events.jsonl)")
        return
    for module, source in ((LLM_PREPROCESS, preprocess), (LLM_MODEL, model)):
        ctx.folder.write_text(ORIGINALS[module], source)
        ctx.folder.write_text(module, source)
    bp = ctx.blueprint
    # Right after the expert's first model (the early submission): the candidate the user's LLM calls paid
    # for is tried whatever the budget, not only when the expert's candidates leave time at the end.
    expert = [c for c in bp.model.candidates if c.track != LLM_TRACK]
    bp.model.candidates = expert[:1] + [CANDIDATE.model_copy()] + expert[1:]
    ctx.save_blueprint(bp)
    ctx.folder.write_text(PIPELINE, ctx.variant.assemble(bp, ctx.summary, ctx.options.time_budget))
    ctx.folder.event("llm_track_added", modules=list(MODULES))
    ctx.progress.info("llm track: code/preprocess_llm.py and code/model_llm.py written by the LLM")


def original(ctx: AgentContext, module: str) -> str:
    """The llm track's module as the LLM first wrote it (its 'template')."""
    return ctx.folder.file(ORIGINALS[module]).read_text()


def drop(bp: Blueprint, diagnosis: Diagnosis) -> tuple[Blueprint, Repair] | None:
    """The expert's answer to a failing llm-track module: run without the llm track."""
    dropped = [candidate_id(c.track, c.learner) for c in bp.model.candidates if c.track == LLM_TRACK]
    if not dropped:
        return None
    bp = bp.model_copy(deep=True)
    bp.model.candidates = [c for c in bp.model.candidates if c.track != LLM_TRACK]
    return bp, repair_of(diagnosis, "drop_llm_track", "removed the llm track", candidates=dropped)

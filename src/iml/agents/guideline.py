"""Guideline Agent: the blueprint. Expert: the variant's plan from the summary, profile and checkpoints
(``blueprint.json``); llm: a refinement of it into ``blueprint_llm.json``, the plan of the extra ``llm``
track. ``blueprint.json`` stays the expert's, so every expert candidate still runs on the expert's
features: the expert floor."""

from __future__ import annotations

from iml.agents.context import AgentContext
from iml.errors import PipelineFailed
from iml.llm.brains import refine_blueprint
from iml.planning.blueprint import Blueprint
from iml.retrieval.retriever import Retrieval
from iml.runtime.names import candidate_id

NAME = "guideline"
LLM_PLAN = "blueprint_llm.json"


def expert(ctx: AgentContext, retrieval: Retrieval) -> Blueprint:
    options = ctx.options
    bp = ctx.variant.plan(ctx.summary, ctx.profile, options.time_budget, retrieval, tuple(options.tracks),
                          options.presets)
    for skipped in bp.model.skipped:
        ctx.progress.info(f"{skipped.column}: {skipped.reason}")
    bp.train.seed = options.seed
    bp.train.ensemble = options.ensemble
    bp.model.candidates = [c for c in bp.model.candidates if c.track in options.tracks]
    if not bp.model.candidates:
        raise PipelineFailed(f"no candidate models for tracks {options.tracks}.",
                             hint="include the 'traditional' track: --tracks traditional")
    return bp


def llm(ctx: AgentContext, expert_bp: Blueprint) -> Blueprint | None:
    """The llm track's plan (written to blueprint_llm.json), or None when the variant plans nothing."""
    if ctx.variant.llm_plan_skipped:  # reactive: no blueprint for the LLM either
        ctx.folder.event("llm_plan", source="none", reason=ctx.variant.llm_plan_skipped)
        return None
    refined = ctx.brains.ask(NAME, refine_blueprint, ctx.summary, ctx.profile, expert_bp)
    bp = (refined or expert_bp).model_copy(update={"train": expert_bp.train})  # one set of folds for all
    ctx.folder.write_model(LLM_PLAN, bp)
    ctx.folder.event("llm_plan", source="llm" if refined else "expert",
                     candidates=[candidate_id(c.track, c.learner) for c in bp.model.candidates])
    return bp


def plan(ctx: AgentContext, retrieval: Retrieval) -> Blueprint:
    """blueprint.json (the run's plan) and, with llm brains, blueprint_llm.json (the llm track's)."""
    bp = expert(ctx, retrieval)
    ctx.save_blueprint(bp)
    ctx.progress.info("plan: " + " ".join(bp.rationale[:3]))
    if ctx.brains is not None:
        llm(ctx, bp)
    return bp


def llm_plan(ctx: AgentContext) -> Blueprint | None:
    """The llm track's plan as planned, or None when there is none."""
    path = ctx.folder.file(LLM_PLAN)
    return ctx.folder.read_model(LLM_PLAN, Blueprint) if path.exists() else None

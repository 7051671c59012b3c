"""Debugger: the next repair of the blamed module. llm (asked first): a rewrite of the module, at most
``LLM_REPAIRS_PER_MODULE`` per module; expert: the ladder of safer blueprints (iml.integration.debugger),
and for the llm track's own modules, the run without that track."""

from __future__ import annotations

from iml.agents import llm_track, modules
from iml.agents.context import AgentContext
from iml.integration.debugger import Repair, propose, repair_of
from iml.integration.diagnosis import Diagnosis
from iml.llm.brains import repair_module
from iml.llm.mode import LLM_REPAIRS_PER_MODULE
from iml.planning.blueprint import Blueprint
from iml.runfolder import PIPELINE_EVENTS
from iml.runtime import events as pev
from iml.runtime.events import read_events
from iml.runtime.names import candidate_id

NAME = "debugger"


def expert(ctx: AgentContext, bp: Blueprint, diagnosis: Diagnosis,
           tried: list[Repair]) -> tuple[Blueprint, Repair] | None:
    if diagnosis.module in llm_track.MODULES:
        return llm_track.drop(bp, diagnosis)
    pristine = modules.is_pristine(ctx, bp, diagnosis.module)
    return propose(bp, diagnosis, tried, module_is_pristine=pristine, ladder=ctx.variant.ladder)


def llm(ctx: AgentContext, bp: Blueprint, diagnosis: Diagnosis, tried: list[Repair]) -> tuple[Repair, str] | None:
    """An LLM-repaired module for the blamed one, or None (LLM stopped, out of tries, or no usable answer)."""
    module = diagnosis.module
    if not ctx.variant.llm_may_rewrite(module):
        return None
    if sum(1 for r in tried if r.module == module and r.kind == "llm_rewrite") >= LLM_REPAIRS_PER_MODULE:
        return None
    source = ctx.folder.file(module).read_text()
    fixed = ctx.brains.ask(NAME, repair_module, module, source, diagnosis, bp, ctx.summary, traceback(ctx, diagnosis))
    if fixed is None or fixed == source:
        return None
    return repair_of(diagnosis, "llm_rewrite", "rewritten by the LLM"), fixed


def repair(ctx: AgentContext, diagnosis: Diagnosis,
           tried: list[Repair]) -> tuple[Blueprint, Repair, str | None] | None:
    """(blueprint, repair, the module's new source when the LLM wrote it), or None when no repair is left.

    The blueprint is the one to save; without a new source the blamed module is re-rendered from it.
    """
    bp = ctx.blueprint
    if ctx.brains is not None:
        rewritten = llm(ctx, bp, diagnosis, tried)
        if rewritten is not None:
            return bp, rewritten[0], rewritten[1]
    proposal = expert(ctx, bp, diagnosis, tried)
    return None if proposal is None else (*proposal, None)


def traceback(ctx: AgentContext, diagnosis: Diagnosis) -> str:
    """The newest traceback of the blamed candidate (from the pipeline's typed events), or the newest stderr."""
    attempts = sorted(ctx.folder.file("attempts").glob("*/"), key=lambda p: p.name)
    if not attempts:
        return ""
    last = attempts[-1]
    if diagnosis.candidate:
        failed = [e for e in read_events(last / PIPELINE_EVENTS) if isinstance(e, pev.CandidateFailed)
                  and candidate_id(e.track, e.learner) == diagnosis.candidate and e.traceback]
        if failed:
            return failed[-1].traceback
    stderr = last / "stderr.txt"
    return stderr.read_text(errors="replace")[-3000:] if stderr.exists() else ""

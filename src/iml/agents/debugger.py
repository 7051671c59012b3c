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
    """The blamed failure's traceback (the diagnosis carries it from the pipeline's typed events), else the
    newest attempt's stderr (a timeout leaves no traceback)."""
    if diagnosis.traceback:
        return diagnosis.traceback
    attempts = sorted(ctx.folder.file("attempts").glob("*/"), key=lambda p: p.name)
    stderr = attempts[-1] / "stderr.txt" if attempts else None
    return stderr.read_text(errors="replace")[-3000:] if stderr is not None and stderr.exists() else ""

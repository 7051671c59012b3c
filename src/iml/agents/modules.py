"""The run folder's modules: which ones a blueprint has (the variant says) and who renders each."""

from __future__ import annotations

from pathlib import Path

from iml.agents import llm_track, modeling_coder, preprocessing_coder
from iml.agents.context import AgentContext
from iml.planning.blueprint import Blueprint
from iml.runtime.names import PIPELINE, PREPROCESS


def render(ctx: AgentContext, bp: Blueprint, module: str) -> str:
    """The module's source as its coder writes it from this blueprint (the llm track's: as first written)."""
    if module == PREPROCESS:
        return preprocessing_coder.expert(ctx, bp)
    if module == PIPELINE:
        return ctx.variant.assemble(bp, ctx.summary, ctx.options.time_budget)
    if module in llm_track.MODULES:
        return llm_track.original(ctx, module)
    return modeling_coder.expert(ctx, bp, Path(module).stem.removeprefix("model_"))


def write(ctx: AgentContext, bp: Blueprint, only: str | None = None) -> None:
    """Every module of the blueprint, or only one (and pipeline.py, which binds them)."""
    for module in ctx.variant.modules(bp):
        if only is None or module in (only, PIPELINE):
            ctx.folder.write_text(module, render(ctx, bp, module))


def is_pristine(ctx: AgentContext, bp: Blueprint, module: str) -> bool:
    """The module is as its coder wrote it (no hand or LLM edit since)."""
    return render(ctx, bp, module) == ctx.folder.file(module).read_text()

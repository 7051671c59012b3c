"""Preprocessing Coder: module sources that turn the data into features. Expert: ``code/preprocess.py``
rendered from the blueprint's template; llm: ``code/preprocess_llm.py``, the llm track's own feature set."""

from __future__ import annotations

from iml.agents.context import AgentContext
from iml.coding import coder
from iml.llm.brains import write_preprocess
from iml.planning.blueprint import Blueprint

NAME = "preprocessing_coder"


def expert(ctx: AgentContext, bp: Blueprint) -> str:
    return coder.write_preprocess(bp, ctx.summary)


def llm(ctx: AgentContext, plan: Blueprint, guided: bool) -> str | None:
    """``guided=False`` (the reactive variant): written from the summary and profile, not the plan."""
    return ctx.brains.ask(NAME, write_preprocess, ctx.summary, ctx.profile, plan, guided=guided)

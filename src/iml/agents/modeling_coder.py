"""Modeling Coder: the model module of each track. Expert: ``code/model_<track>.py`` rendered from the
track's template; llm: ``code/model_llm.py``, the llm track's model."""

from __future__ import annotations

from iml.agents.context import AgentContext
from iml.coding import coder
from iml.llm.brains import write_model
from iml.planning.blueprint import Blueprint

NAME = "modeling_coder"


def expert(ctx: AgentContext, bp: Blueprint, track: str) -> str:
    return coder.write_model(bp, track)


def llm(ctx: AgentContext, plan: Blueprint, guided: bool) -> str | None:
    """``guided=False`` (the reactive variant): only the task's facts and the module shape, no planned candidates."""
    return ctx.brains.ask(NAME, write_model, plan, ctx.profile.n_train_rows, guided=guided)

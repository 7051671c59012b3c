"""Model Retriever: the checkpoints that fit the task. Expert: the offline catalog, filtered to what
loads here; llm: its order of those checkpoints, names the catalog lacks rejected (``retrieval_llm.json``)."""

from __future__ import annotations

from iml.agents.context import AgentContext
from iml.llm.perceive import choose_checkpoints
from iml.retrieval.retriever import Retrieval, catalog
from iml.retrieval.retriever import retrieve as expert

NAME = "model_retriever"


def llm(ctx: AgentContext, found: Retrieval, modalities: set[str]) -> Retrieval | None:
    """The LLM's order of the loadable checkpoints; asked only when the task has media or text to encode."""
    offered = sorted(m for m in modalities if any(c.modality == m for c in found.checkpoints))
    if not offered:
        return None
    answer = ctx.brains.ask(NAME, choose_checkpoints, ctx.summary, offered, found, catalog())
    if answer is None:
        return None
    ordered, choice = answer
    ctx.folder.write_model("retrieval_llm.json", choice)
    ctx.folder.event("llm_retrieval", picked=[f"{p.modality}:{p.name}" for p in choice.picked],
                     rejected=[r.model_dump() for r in choice.rejected])
    return ordered


def retrieve(ctx: AgentContext, modalities: set[str]) -> Retrieval:
    """retrieval.json."""
    found = expert(modalities)
    if ctx.brains is not None:
        found = llm(ctx, found, modalities) or found
    ctx.folder.write_model("retrieval.json", found)
    return found

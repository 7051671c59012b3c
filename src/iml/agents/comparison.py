"""Comparison Agent: the selection. Expert: the pipeline's numeric choice on the same folds (made in the
run folder's own code, reported in pipeline_report.json); llm: a short explanation of that choice
(``selection_explained.md``), never a different number."""

from __future__ import annotations

from iml.agents.context import AgentContext
from iml.llm.brains import explain_selection

NAME = "comparison"


def expert(selection: dict) -> str | None:
    """The numbers speak for themselves: no prose from the expert."""
    return None


def llm(ctx: AgentContext, rows: list[dict], selection: dict) -> str | None:
    bp = ctx.blueprint
    return ctx.brains.ask(NAME, explain_selection, bp.task, bp.eval.metric, bp.eval.greater_is_better, rows,
                          selection)


def explain(ctx: AgentContext, rows: list[dict], selection: dict) -> str | None:
    """The explanation of the selection (leaderboard rows and the pipeline's choice), written beside it."""
    if not selection:
        return None
    text = llm(ctx, rows, selection) if ctx.brains is not None else expert(selection)
    if text:
        ctx.folder.write_text("selection_explained.md", text + "\n")
        ctx.folder.event("selection_explained", text=text)
    return text

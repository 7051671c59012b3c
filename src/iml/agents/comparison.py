"""Comparison Agent: the selection. Expert: the pipeline's numeric choice on the same folds (made in the
run folder's own code, reported in pipeline_report.json), stated with each member's weight and the
decision rule; llm: a short explanation of that choice (``selection_explained.md``), never a different
number."""

from __future__ import annotations

from iml.agents.context import AgentContext
from iml.llm.brains import explain_selection

NAME = "comparison"


def weighted_members(selection: dict) -> list[str]:
    """The members as "name (weight 0.60)", heaviest first; a report without weights names them plainly."""
    weights = selection.get("weights") or {}
    names = list(dict.fromkeys(selection.get("members") or []))
    if not weights:
        return names
    if selection.get("how", "").startswith("stacking"):
        return [f"{name} (stacked)" for name in names]
    names.sort(key=lambda name: -float(weights.get(name, 0.0)))
    return [f"{name} (weight {float(weights.get(name, 0.0)):.2f})" for name in names]


def decision_note(selection: dict) -> str:
    """How the labels are made, when a decision rule was adopted ('' otherwise)."""
    rule = selection.get("rule")
    if not rule:
        return ""
    argmax = selection.get("cv_score_argmax")
    versus = f" (CV {argmax:.5f} with the plain argmax)" if isinstance(argmax, (int, float)) else ""
    return f"labels by a tuned decision rule: {rule.get('text') or rule.get('kind')}{versus}"


def expert(selection: dict) -> str | None:
    """The choice in one line: how, CV, the members with their weights, the decision rule if any."""
    if not selection.get("members"):
        return None
    cv = selection.get("cv_score")
    text = f"Selected {selection.get('how', 'best')}"
    if isinstance(cv, (int, float)):
        text += f", CV {cv:.5f}"
    text += ": " + ", ".join(weighted_members(selection)) + "."
    note = decision_note(selection)
    if note:
        text += " " + note[0].upper() + note[1:] + "."
    return text


def llm(ctx: AgentContext, rows: list[dict], selection: dict) -> str | None:
    bp = ctx.blueprint
    note = decision_note(selection)
    shown = {**selection, "members": weighted_members(selection),
             "how": selection.get("how", "") + (f"; {note}" if note else "")}
    return ctx.brains.ask(NAME, explain_selection, bp.task, bp.eval.metric, bp.eval.greater_is_better, rows,
                          shown)


def explain(ctx: AgentContext, rows: list[dict], selection: dict) -> str | None:
    """The explanation of the selection (leaderboard rows and the pipeline's choice), written beside it."""
    if not selection:
        return None
    text, by = (llm(ctx, rows, selection), "llm") if ctx.brains is not None else (None, "expert")
    if not text:  # no LLM, or it could not answer: the expert's statement of the numbers
        text, by = expert(selection), "expert"
    if text:
        ctx.folder.write_text("selection_explained.md", text + "\n")
        ctx.folder.event("selection_explained", text=text, by=by)
    return text

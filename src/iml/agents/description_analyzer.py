"""Description Analyzer: the task summary. Expert: rules over the description and the files;
llm: a refinement checked against the data (``task_summary_rules.json`` keeps the rules' answer)."""

from __future__ import annotations

from pathlib import Path

from iml.agents.context import AgentContext
from iml.llm.perceive import refine_summary
from iml.options import RunOptions
from iml.perception.description import analyze_task
from iml.perception.summary import TaskSummary

NAME = "description_analyzer"


def expert(options: RunOptions) -> TaskSummary:
    return analyze_task(Path(options.data_dir), description=options.description, target=options.target,
                        name=options.name, metric=options.metric, problem_type=options.problem_type,
                        id_column=options.id_column)


def llm(ctx: AgentContext, rules: TaskSummary) -> TaskSummary | None:
    """The LLM's refinement of the rules' summary, or None (kept the rules', or refined before a resume)."""
    if ctx.folder.file("task_summary_rules.json").exists():  # refined before a resume
        return None
    ctx.folder.write_model("task_summary_rules.json", rules)
    result = ctx.brains.ask(NAME, refine_summary, rules)
    if result is None:
        ctx.folder.event("llm_task_summary", source="rules", changed=[], rejected=[])
        return None
    ctx.folder.write_model("task_summary.json", result.summary)
    ctx.folder.event("llm_task_summary", source="rules" if result.rejected else "llm", changed=result.changed,
                     rejected=result.rejected)
    if result.rejected:
        ctx.progress.warn("LLM task summary rejected, the rules' one stays: " + "; ".join(result.rejected)[:300])
    elif result.changed:
        ctx.progress.info(f"LLM refined the task summary: {', '.join(result.changed)}")
    return result.summary


def analyze(ctx: AgentContext) -> TaskSummary:
    """task_summary.json, refined before profiling (the profile follows the target)."""
    if not ctx.folder.file("task_summary.json").exists():  # a resumed run re-reads the task
        ctx.folder.write_model("task_summary.json", expert(ctx.options))
    summary = ctx.summary
    if ctx.brains is not None:
        summary = llm(ctx, summary) or summary
    return summary

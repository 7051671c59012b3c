"""blueprint.md: the blueprint as a person reads it."""

from __future__ import annotations

from iml.perception.summary import TaskSummary
from iml.planning.blueprint import Blueprint
from iml.templating import render


def blueprint_markdown(bp: Blueprint, summary: TaskSummary) -> str:
    return render("blueprint.md.j2", bp=bp, summary=summary, contract_json=bp.contract.model_dump_json(indent=2))

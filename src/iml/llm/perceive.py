"""The llm brains of the Description Analyzer and the Model Retriever.

Both refine what the expert found, and both are checked against the data and the
catalog before anything is used: a reply that is not a valid object is sent back
with the validation errors (the client's re-asks); a valid reply that contradicts
the data (a target that is not a column, a metric that does not fit the target)
or names a checkpoint the catalog lacks or this machine cannot load is rejected,
the expert's answer stays, and the rejection is returned for the run folder.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from iml.data_io import read_table
from iml.runtime.metrics import REGRESSION_METRICS
from iml.llm.brains import agent_messages
from iml.llm.client import LLM
from iml.perception.description import label_strings  # the rules' own label normalisation
from iml.perception.summary import METRIC_DIRECTIONS, Evidence, SubmissionFormat, TaskSummary, TaskType
from iml.retrieval.retriever import Retrieval

MULTILABEL_METRICS = {"auc_columnwise"}
LISTING_LIMIT = 60  # files shown to the LLM; folders beyond that are summarised by count
DESCRIPTION_LIMIT = 8000  # characters of the description in the prompt


# ---------------------------------------------------------------------------- Description Analyzer
class SummaryFacts(BaseModel):
    """What the LLM may refine of a TaskSummary; file facts (folder, file names, media) stay the rules'."""

    model_config = ConfigDict(extra="forbid")

    target_columns: list[str]
    id_column: str | None
    task_type: TaskType
    metric: str
    greater_is_better: bool
    classes: list[str] | None = None
    positive_label: str | None = None
    submission: SubmissionFormat


class SummaryRefinement(BaseModel):
    summary: TaskSummary  # the refined summary, or the rules' one when the refinement was rejected
    changed: list[str]  # facts the LLM changed (and the run uses)
    rejected: list[str]  # why the LLM's summary was not used; empty when it was


def refine_summary(llm: LLM, rules: TaskSummary) -> SummaryRefinement:
    """The rules' summary, the description and the file listing to the LLM; its answer checked against the data."""
    root = Path(rules.data_dir)
    train = read_table(root / rules.train_file)
    test = read_table(root / rules.test_file, nrows=5) if rules.test_file else train.head(0)  # one table
    sample = read_table(root / rules.sample_submission_file, nrows=5) if rules.sample_submission_file else None
    facts_json = SummaryFacts.model_validate(rules.model_dump(include=set(SummaryFacts.model_fields))) \
        .model_dump_json(indent=1)

    def merged(facts: SummaryFacts) -> TaskSummary:
        return TaskSummary.model_validate({**rules.model_dump(), **facts.model_dump()})

    def format_problems(facts: SummaryFacts) -> list[str]:
        """Re-asked: the reply must make a valid TaskSummary with a known metric."""
        problems = []
        if facts.metric not in METRIC_DIRECTIONS:
            problems.append(f"metric: {facts.metric!r} is not one of {sorted(METRIC_DIRECTIONS)}")
        elif facts.greater_is_better != METRIC_DIRECTIONS[facts.metric]:
            problems.append(f"greater_is_better: {facts.metric} is "
                            f"{'higher' if METRIC_DIRECTIONS[facts.metric] else 'lower'}-is-better")
        try:
            merged(facts)
        except ValidationError as exc:
            problems += [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:10]]
        return problems

    messages = agent_messages("Description Analyzer", "prompts/description_summary.j2", rules=rules,
                         facts_json=facts_json, description=rules.description[:DESCRIPTION_LIMIT],
                         listing=file_listing(root), train_columns=list(train.columns),
                         test_columns=list(test.columns), sample_columns=list(sample.columns) if sample is not None else None,
                         metrics=METRIC_DIRECTIONS)
    facts = llm.structured(messages, SummaryFacts, "describe", check=format_problems)
    refined = merged(facts)
    rejected = data_problems(refined, train, test, sample)
    # What the user said (--target) is not the LLM's to change.
    rejected += [f"{e.fact} was named by the user ({e.value})" for e in rules.evidence
                 if e.source == "user" and getattr(refined, e.fact, None) != getattr(rules, e.fact, None)]
    if rejected:
        note = Evidence(fact="llm_refinement", value="rejected", source="llm", detail="; ".join(rejected)[:500])
        return SummaryRefinement(summary=rules.model_copy(update={"evidence": [*rules.evidence, note]}),
                                 changed=[], rejected=rejected)
    changed = [name for name in SummaryFacts.model_fields if getattr(refined, name) != getattr(rules, name)]
    notes = [Evidence(fact=name, value=str(getattr(refined, name))[:200], source="llm",
                      detail=f"refined by the LLM (the rules said {str(getattr(rules, name))[:200]})")
             for name in changed]
    return SummaryRefinement(summary=refined.model_copy(update={"evidence": [*rules.evidence, *notes]}),
                             changed=changed, rejected=[])


def data_problems(summary: TaskSummary, train: pd.DataFrame, test: pd.DataFrame,
                  sample: pd.DataFrame | None) -> list[str]:
    """Where a summary contradicts the files: the reasons to keep the rules' answer instead."""
    problems = [f"target {t!r} is not a column of {summary.train_file}" for t in summary.target_columns
                if t not in train.columns]
    if problems:
        return problems
    targets = summary.target_columns
    problems += [f"target {t!r} has fewer than 2 distinct values" for t in targets if train[t].nunique() < 2]
    if summary.id_column is not None and summary.id_column not in test.columns:
        problems.append(f"id column {summary.id_column!r} is not a column of {summary.test_file}")
    kind = summary.task_type
    if kind is TaskType.multilabel:
        if len(targets) < 2:
            problems.append("a multilabel task needs several target columns")
    elif len(targets) != 1:
        problems.append(f"a {kind.value} task has one target column, not {targets}")
    labels = sorted(set(label_strings(train[targets[0]])))
    if kind is TaskType.regression and not pd.api.types.is_numeric_dtype(train[targets[0]]):
        problems.append(f"regression needs a numeric target; {targets[0]!r} holds {train[targets[0]].dtype}")
    if kind is TaskType.binary and len(labels) != 2:
        problems.append(f"binary needs 2 classes; {targets[0]!r} has {len(labels)}")
    if kind in (TaskType.binary, TaskType.multiclass):
        if summary.classes != labels:
            problems.append(f"classes must be the target's values {labels[:20]}, not {summary.classes}")
        if kind is TaskType.binary and summary.positive_label not in labels:
            problems.append(f"positive_label {summary.positive_label!r} is not one of {labels}")
    fits = (summary.metric in REGRESSION_METRICS) == (kind is TaskType.regression) and \
        (summary.metric in MULTILABEL_METRICS) == (kind is TaskType.multilabel)
    if not fits:
        problems.append(f"metric {summary.metric} does not fit a {kind.value} task")
    sub = summary.submission
    kinds = {TaskType.regression: {"value"}, TaskType.multilabel: {"multilabel_probabilities"},
             TaskType.binary: {"label", "probability", "class_probabilities"},
             TaskType.multiclass: {"label", "class_probabilities"}}[kind]
    if sub.kind not in kinds:
        problems.append(f"a {kind.value} task cannot be submitted as {sub.kind} (one of {sorted(kinds)})")
    if sub.class_columns and not set(sub.class_columns.values()) <= set(summary.classes or []):
        problems.append(f"class columns {sub.class_columns} name classes that are not {summary.classes}")
    if sample is not None and sub.columns != list(sample.columns):
        problems.append(f"submission columns {sub.columns} differ from the sample submission's {list(sample.columns)}")
    if not set(sub.prediction_columns) <= set(sub.columns):
        problems.append(f"prediction columns {sub.prediction_columns} are not all submission columns")
    return problems


def file_listing(root: Path) -> list[str]:
    """The data folder as the LLM sees it: files with sizes, big folders summarised by count."""
    lines = []
    for path in sorted(root.iterdir()):
        if path.is_file():
            lines.append(f"{path.name} ({path.stat().st_size:,} bytes)")
        elif path.is_dir():
            files = [p for p in path.rglob("*") if p.is_file()]
            suffixes = sorted({p.suffix.lower() for p in files})[:8]
            lines.append(f"{path.name}/ ({len(files)} files: {', '.join(suffixes) or 'none'})")
        if len(lines) >= LISTING_LIMIT:
            lines.append("... (more entries not shown)")
            break
    return lines


# ---------------------------------------------------------------------------- Model Retriever
class Pick(BaseModel):
    model_config = ConfigDict(extra="forbid")

    modality: str
    name: str
    reason: str = ""


class RetrieverPicks(BaseModel):
    """The LLM's reply: catalog checkpoints in the order it prefers them, per modality."""

    model_config = ConfigDict(extra="forbid")

    picks: list[Pick]


class Rejected(BaseModel):
    modality: str
    name: str
    why: str


class RetrievalChoice(BaseModel):
    """What the run folder keeps of the retriever's llm brain (retrieval_llm.json)."""

    picked: list[Pick]
    rejected: list[Rejected]


def choose_checkpoints(llm: LLM, summary: TaskSummary, modalities: list[str], found: Retrieval,
                       catalog: dict) -> tuple[Retrieval, RetrievalChoice]:
    """The expert's retrieval reordered by the LLM's picks; names not in the catalog or not loadable are rejected.

    Checkpoints the LLM did not pick keep the expert's order after the picked ones, so a modality it
    said nothing (usable) about is served as before.
    """
    messages = agent_messages("Model Retriever", "prompts/retriever_checkpoints.j2", summary=summary,
                         modalities=modalities, checkpoints=[c for c in found.checkpoints if c.modality in modalities],
                         catalog={m: catalog.get(m, []) for m in modalities})
    reply = llm.structured(messages, RetrieverPicks, "retrieve")
    by_key = {(c.modality, c.name): c for c in found.checkpoints}
    picked, rejected = [], []
    for pick in reply.picks:
        in_catalog = any(e["name"] == pick.name for e in catalog.get(pick.modality, []))
        checkpoint = by_key.get((pick.modality, pick.name))
        if pick.modality not in modalities:
            rejected.append(Rejected(modality=pick.modality, name=pick.name,
                                     why=f"the task has no {pick.modality} data (it has {modalities})"))
        elif not in_catalog and checkpoint is None:
            rejected.append(Rejected(modality=pick.modality, name=pick.name,
                                     why=f"not in the offline catalog for {pick.modality}"))
        elif checkpoint is None or not checkpoint.loadable:
            why = checkpoint.reason if checkpoint is not None else "not offered by the retriever here"
            rejected.append(Rejected(modality=pick.modality, name=pick.name, why=f"not loadable here: {why}"))
        elif all(p.name != pick.name or p.modality != pick.modality for p in picked):
            picked.append(pick)
    first = [by_key[(p.modality, p.name)] for p in picked]
    ordered = first + [c for c in found.checkpoints if c not in first]
    return found.model_copy(update={"checkpoints": ordered}), RetrievalChoice(picked=picked, rejected=rejected)

"""The llm brain of each agent, behind the same inputs and outputs as its expert brain.

Each function takes the configured `LLM` and returns what the expert would
(a Blueprint, module source, text) or raises `LLMError`; the caller (`LLMBrains`)
then keeps the expert's answer. Prompts are packaged templates
(templates/prompts/<agent>_<purpose>.j2), rendered strictly.
"""

from __future__ import annotations

import ast
import json
from typing import Callable

from iml.integration.diagnosis import Diagnosis
from iml.llm.client import LLM, BudgetExhausted, LLMError, LLMUnavailable
from iml.perception.profile import Profile
from iml.perception.summary import TaskSummary
from iml.planning.blueprint import Blueprint
from iml.runtime.names import LEARNERS_OF_TRACK, LLM_MODEL, LLM_PREPROCESS, PIPELINE, TABULAR_LEARNERS
from iml.templating import render


# ---------------------------------------------------------------------------- module shapes (data)
SHAPES = {
    "preprocess": {"functions": ["load"], "classes": {"Preprocessor": ["fit", "transform"]}},
    "model": {"functions": [], "classes": {"Model": ["fit", "predict"]}},
    # The mono variant's one script holds both modules and calls the runtime's program (iml_runtime's main).
    "script": {"functions": ["load"],
               "classes": {"Preprocessor": ["fit", "transform"], "Model": ["fit", "predict"]}},
}


def shape_problems(source: str, kind: str, classification: bool = False) -> list[str]:
    """What the module misses of its fixed shape (module-level names, class methods), by its AST."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [f"SyntaxError: {exc}"]
    spec = SHAPES[kind]
    functions = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    classes = {n.name: {m.name for m in n.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
               for n in tree.body if isinstance(n, ast.ClassDef)}
    problems = [f"define the module-level function {f}()" for f in spec["functions"] if f not in functions]
    methods = dict(spec["classes"])
    if kind in ("model", "script") and classification:
        methods["Model"] = [*methods["Model"], "predict_proba"]
    for cls, needed in methods.items():
        if cls not in classes:
            problems.append(f"define class {cls} with methods {', '.join(needed)}")
        else:
            problems += [f"class {cls} needs a method {m}()" for m in needed if m not in classes[cls]]
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        if any(n == "iml" or n.startswith("iml.") for n in names):
            problems.append("do not import iml: the generated code must run without it")
    return problems


def agent_messages(agent: str, template: str, **variables) -> list[dict]:
    return [{"role": "system", "content": render("prompts/system.j2", agent=agent)},
            {"role": "user", "content": render(template, **variables)}]


# ---------------------------------------------------------------------------- Guideline Agent
def refine_blueprint(llm: LLM, summary: TaskSummary, profile: Profile, expert: Blueprint) -> Blueprint:
    """The LLM's refinement of the expert blueprint; facts (task, eval, contract) stay the expert's."""
    columns = {c.name for c in profile.columns}

    def check(bp: Blueprint) -> list[str]:
        problems = []
        prep = bp.prep
        used = [*prep.numeric_columns, *prep.boolean_columns, *prep.onehot_columns, *prep.ordinal_columns,
                *prep.datetime_columns, *prep.image_columns, *prep.audio_columns,
                *(t.column for t in prep.text_columns)]
        problems += [f"prep: column {c!r} is not in the data" for c in used if c not in columns]
        problems += [f"prep: target column {c!r} cannot be a feature" for c in used if c in summary.target_columns]
        for cand in bp.model.candidates:
            allowed = LEARNERS_OF_TRACK.get(cand.track, ())
            if cand.learner not in allowed:
                problems.append(f"model.candidates: learner {cand.learner!r} is not one of {list(allowed)} "
                                f"for track {cand.track!r}")
        if not bp.model.candidates:
            problems.append("model.candidates: at least one candidate")
        return problems

    messages = agent_messages("Guideline Agent", "prompts/guideline_blueprint.j2", summary=summary, profile=profile,
                         expert_json=expert.model_dump_json(indent=1), learners=TABULAR_LEARNERS)
    refined = llm.structured(messages, Blueprint, "guideline_blueprint", check=check)
    return refined.model_copy(update={"task": expert.task, "eval": expert.eval, "contract": expert.contract,
                                      "modality": expert.modality, "variant": expert.variant})


# ---------------------------------------------------------------------------- Coders
def write_preprocess(llm: LLM, summary: TaskSummary, profile: Profile, bp: Blueprint, guided: bool = True) -> str:
    """``guided=False`` (the reactive variant): the prompt holds the summary and profile, not the plan."""
    messages = agent_messages("Preprocessing Coder", "prompts/coder_preprocess.j2", summary=summary, profile=profile,
                         bp=bp, guided=guided)
    return llm.code(messages, "coder_preprocess", check=lambda s: shape_problems(s, "preprocess"))


def write_model(llm: LLM, bp: Blueprint, n_train_rows: int, guided: bool = True) -> str:
    """``guided=False`` (the reactive variant): only the task's facts and the module shape, no planned candidates."""
    classification = bp.contract.target.classes is not None
    messages = agent_messages("Modeling Coder", "prompts/coder_model.j2", bp=bp, n_train_rows=n_train_rows,
                         classification=classification, classes=bp.contract.target.classes or [], guided=guided)
    return _with_defaults(llm.code(messages, "coder_model",
                                   check=lambda s: shape_problems(s, "model", classification)))


def _with_defaults(source: str) -> str:
    """The pipeline reads module.DEFAULTS; a module that forgot it gets an empty one (a harmless normalisation)."""
    tree = ast.parse(source)
    assigned = {t.id for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
    return source if "DEFAULTS" in assigned else source + "\n\nDEFAULTS: dict = {}  # added by iml: none given\n"


# ---------------------------------------------------------------------------- Debugger
def repair_module(llm: LLM, module: str, source: str, diagnosis: Diagnosis, bp: Blueprint,
                  summary: TaskSummary, traceback: str = "") -> str:
    classification = bp.contract.target.classes is not None
    kind = "script" if module == PIPELINE else "preprocess" if "preprocess" in module else "model"
    shape = ""
    if module == PIPELINE:
        shape = render("prompts/_shape_script.j2")
    elif module == LLM_PREPROCESS:
        shape = render("prompts/_shape_preprocess.j2", summary=summary)
    elif module == LLM_MODEL:
        shape = render("prompts/_shape_model.j2", classification=classification,
                       classes=bp.contract.target.classes or [])
    messages = agent_messages("Debugger", "prompts/debugger_repair.j2", module=module, source=source,
                         diagnosis=diagnosis, contract_json=bp.contract.model_dump_json(indent=1), shape=shape,
                         traceback=traceback[-3000:])
    repaired = llm.code(messages, "debugger_repair", check=lambda s: shape_problems(s, kind, classification))
    return _with_defaults(repaired) if module == LLM_MODEL else repaired


# ---------------------------------------------------------------------------- Comparison Agent
def explain_selection(llm: LLM, task: str, metric: str, greater_is_better: bool, rows: list[dict],
                      selection: dict) -> str:
    messages = agent_messages("Comparison Agent", "prompts/comparison_explain.j2", task=task, metric=metric,
                         greater_is_better=greater_is_better, rows=rows, selection=selection)
    return llm.complete(messages, "comparison_explain").text.strip()[:2000]


# ---------------------------------------------------------------------------- the session the flow holds
class LLMBrains:
    """Calls an agent's llm brain; on any failure records why and returns None, so the expert answers.

    Budget exhaustion and an unreachable provider stop the LLM for the rest of the run
    (an ``llm_stopped`` event; a resumed run reads it back and stays with the expert).
    """

    def __init__(self, llm: LLM, event: Callable[..., None], stopped: str | None = None):
        self.llm = llm
        self.event = event
        self.stopped = stopped

    def ask(self, agent: str, fn: Callable, *args, **kwargs):
        if self.stopped:
            self.event("llm_skipped", agent=agent, reason=self.stopped)
            return None
        try:
            return fn(self.llm, *args, **kwargs)
        except (BudgetExhausted, LLMUnavailable) as exc:
            self.stopped = exc.message
            self.event("llm_stopped", agent=agent, reason=exc.message, error_type=type(exc).__name__,
                       spent_usd=round(self.llm.spent_usd, 6))
        except LLMError as exc:
            self.event("llm_fallback", agent=agent, reason=exc.message)
        except (ValueError, TypeError, json.JSONDecodeError) as exc:  # a reply that broke our own checks
            self.event("llm_fallback", agent=agent, reason=f"{type(exc).__name__}: {exc}")
        return None

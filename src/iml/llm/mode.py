"""llm mode of a run: where the llm brains plug into the flow, and the expert floor.

What an llm run does on top of the expert's run (which it leaves intact):

- Perception: the Description Analyzer's llm brain checks the rules' ``task_summary.json``
  against the description and the files; a refinement that contradicts the data is rejected
  (the rules' answer stays, ``task_summary_rules.json`` keeps it either way).
- Retrieval: the Model Retriever's llm brain orders the catalog's loadable checkpoints;
  names the catalog lacks or this machine cannot load are rejected (``retrieval_llm.json``).
- Planning: the Guideline Agent's llm brain refines the expert blueprint into
  ``blueprint_llm.json``, the plan of the extra ``llm`` track. ``blueprint.json``
  stays the expert's, so every expert candidate still runs on the expert's
  features: the **expert floor**. The pipeline cross-validates all candidates on
  the same folds and keeps the best by the numbers, so an LLM run is never worse
  on validation than the expert's candidates (they get a smaller time share).
- Coding: the Preprocessing and Modeling Coders write ``code/preprocess_llm.py``
  (the ``llm`` feature set) and ``code/model_llm.py``; both are kept as first
  written in ``llm/`` and the candidate ``llm/llm`` joins the blueprint.
- Integration: a failing module gets LLM repairs first (at most
  ``LLM_REPAIRS_PER_MODULE``); then the expert ladder, and for the llm track's own
  modules the expert's answer is to drop the llm track.
- Selection: the Comparison Agent explains the numeric choice.

Any LLM failure leaves the expert's answer in place and an event saying why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from iml.integration.debugger import Repair
from iml.integration.diagnosis import Diagnosis
from iml.llm import brains, perceive as perceive_brains
from iml.llm.brains import LLM_MODEL, LLM_PREPROCESS, LLMBrains
from iml.llm.client import LLM, PROVIDERS, LLMSpec
from iml.options import RunOptions
from iml.planning.blueprint import Blueprint, Candidate
from iml.retrieval.retriever import Retrieval, catalog
from iml.runfolder import RunFolder
from iml.runtime.names import RUNTIME_DIR

if TYPE_CHECKING:
    from iml.flow import Run

LLM_MODULES = (LLM_PREPROCESS, LLM_MODEL)
ORIGINALS = {LLM_PREPROCESS: "llm/preprocess_llm.py", LLM_MODEL: "llm/model_llm.py"}
LLM_REPAIRS_PER_MODULE = 3
LLM_CANDIDATE = Candidate(track="llm", learner="llm", search=False, weight=1.0)
# Per call, for the estimate printed before a run: (prompt tokens, completion tokens).
TYPICAL_TOKENS = {"describe": (2500, 500), "retrieve": (1200, 200), "guideline_blueprint": (5000, 3000), "coder_preprocess": (2000, 1500),
                  "coder_model": (900, 1200), "debugger_repair": (3000, 1500), "comparison_explain": (400, 150)}


# At most this share of the run's time budget goes to waiting on the LLM; the rest is the expert's to train.
LLM_TIME_SHARE = 0.4
# Reply caps, twice the typical reply. OpenAI's own endpoint gets none: its reasoning models refuse max_tokens.
REPLY_CAPS = {purpose: max(1024, 2 * completion) for purpose, (_, completion) in TYPICAL_TOKENS.items()}


def make_llm(options: RunOptions, on_call=None, spent_usd: float = 0.0, seconds_used: float = 0.0) -> LLM:
    return LLM(options.llm, base_url=options.llm_base_url, max_cost=options.max_cost, prices_file=options.llm_prices,
               on_call=on_call, backoff_s=options.llm_retry_wait, timeout_s=options.llm_timeout,
               spent_usd=spent_usd, time_cap_s=LLM_TIME_SHARE * options.time_budget, seconds_used=seconds_used,
               reply_caps=None if _openai_itself(options) else REPLY_CAPS)


def _openai_itself(options: RunOptions) -> bool:
    spec = LLMSpec.parse(options.llm)
    return spec.provider == "openai" and options.llm_base_url in (None, PROVIDERS["openai"].base_url)


def connect(folder: RunFolder, options: RunOptions) -> LLMBrains | None:
    """The run's llm brains, or None in expert mode; spending and a stop are read back from events.jsonl."""
    if options.llm == "none":
        return None
    events = folder.events()
    calls = [e for e in events if e["event"] == "llm_call"]
    spent = sum(e.get("cost_usd") or 0.0 for e in calls)
    waited = sum(e.get("latency_s") or 0.0 for e in calls)
    stopped = next((e["reason"] for e in events if e["event"] == "llm_stopped"), None)
    llm = make_llm(options, on_call=lambda record: folder.event("llm_call", **record), spent_usd=spent,
                   seconds_used=waited)
    return LLMBrains(llm, folder.event, stopped=stopped)


def estimate(options: RunOptions) -> str:
    """One line for the terminal before the run: expected LLM calls and cost."""
    llm = make_llm(options)
    repairs = min(options.debug_rounds, 2 * LLM_REPAIRS_PER_MODULE)
    base = ["describe", "guideline_blueprint", "coder_preprocess", "coder_model", "comparison_explain"]
    low = sum(llm.cost(*TYPICAL_TOKENS[p]) or 0.0 for p in base)
    high = low + repairs * (llm.cost(*TYPICAL_TOKENS["debugger_repair"]) or 0.0)
    calls = f"{len(base)} LLM calls (up to {len(base) + repairs} with repairs)"
    if llm.price is None:
        return f"{llm.spec} at {llm.base_url}: {calls}; price unknown (add it with --llm-prices FILE), not tracked"
    cap = f"; hard cap ${options.max_cost:.4f}" if options.max_cost is not None else ""
    return f"{llm.spec} at {llm.base_url}: {calls}, estimated ${low:.4f} to ${high:.4f}{cap}"


# ---------------------------------------------------------------------------- phases
def perceive(run: "Run") -> None:
    """Refine the rules' task summary before profiling (the profile follows the target)."""
    if run.folder.file("task_summary_rules.json").exists():  # refined before a resume
        return
    rules = run.summary
    run.folder.write_model("task_summary_rules.json", rules)
    result = run.brains.ask("description_analyzer", perceive_brains.refine_summary, rules)
    if result is None:
        run.folder.event("llm_task_summary", source="rules", changed=[], rejected=[])
        return
    run.folder.write_model("task_summary.json", result.summary)
    run.folder.event("llm_task_summary", source="rules" if result.rejected else "llm", changed=result.changed,
                     rejected=result.rejected)
    if result.rejected:
        run.progress.warn("LLM task summary rejected, the rules' one stays: " + "; ".join(result.rejected)[:300])
    elif result.changed:
        run.progress.info(f"LLM refined the task summary: {', '.join(result.changed)}")


def retrieve(run: "Run", found: Retrieval, modalities: set[str]) -> Retrieval:
    """The LLM's order of the loadable checkpoints; asked only when the task has media or text to encode."""
    offered = sorted(m for m in modalities if any(c.modality == m for c in found.checkpoints))
    if not offered:
        return found
    answer = run.brains.ask("model_retriever", perceive_brains.choose_checkpoints, run.summary, offered, found,
                            catalog())
    if answer is None:
        return found
    ordered, choice = answer
    run.folder.write_model("retrieval_llm.json", choice)
    run.folder.event("llm_retrieval", picked=[f"{p.modality}:{p.name}" for p in choice.picked],
                     rejected=[r.model_dump() for r in choice.rejected])
    return ordered


def plan(run: "Run", expert: Blueprint) -> None:
    if run.options.variant == "reactive":  # the ablation without planning: no blueprint for the LLM either
        run.folder.event("llm_plan", source="none", reason="reactive variant: no blueprint-guided planning")
        return
    refined = run.brains.ask("guideline", brains.refine_blueprint, run.summary, run.profile, expert)
    bp = refined or expert
    bp = bp.model_copy(update={"train": expert.train})  # one set of folds for every candidate
    run.folder.write_model("blueprint_llm.json", bp)
    run.folder.event("llm_plan", source="llm" if refined else "expert",
                     candidates=[f"{c.track}/{c.learner}" for c in bp.model.candidates])


def code(run: "Run") -> None:
    """Write the llm track's two modules; the track joins the blueprint only when both came back.

    reactive: the coders write from the summary and profile alone (the blueprint's contract facts only).
    mono: no llm track; its modules would be a second script beside the one the variant is about.
    """
    if run.options.variant == "mono":
        run.folder.event("llm_track_skipped", reason="mono variant: one script, no llm track modules")
        return
    guided = run.options.variant != "reactive"
    if guided and not run.folder.file("blueprint_llm.json").exists():
        return
    plan_bp = run.folder.read_model("blueprint_llm.json", Blueprint) if guided else run.blueprint
    preprocess = run.brains.ask("preprocessing_coder", brains.write_preprocess, run.summary, run.profile, plan_bp,
                                guided=guided)
    model = preprocess and run.brains.ask("modeling_coder", brains.write_model, plan_bp, run.profile.n_train_rows,
                                          guided=guided)
    if not (preprocess and model):
        run.folder.event("llm_track_skipped", reason="the LLM coders gave no usable module; the expert's tracks run")
        run.progress.warn("llm track skipped: no usable module from the LLM (see events.jsonl)")
        return
    for module, source in ((LLM_PREPROCESS, preprocess), (LLM_MODEL, model)):
        run.folder.write_text(ORIGINALS[module], source)
        run.folder.write_text(module, source)
    bp = run.blueprint
    bp.model.candidates = [c for c in bp.model.candidates if c.track != "llm"] + [LLM_CANDIDATE.model_copy()]
    run._save_blueprint(bp)
    run.folder.write_text("pipeline.py", run._render(bp, "pipeline.py"))
    run.folder.event("llm_track_added", modules=list(LLM_MODULES))
    run.progress.info("llm track: code/preprocess_llm.py and code/model_llm.py written by the LLM")


def original(run: "Run", module: str) -> str:
    """The llm track's module as the LLM first wrote it (its 'template')."""
    return run.folder.file(ORIGINALS[module]).read_text()


def repair(run: "Run", bp: Blueprint, diagnosis: Diagnosis, tried: list[Repair]) -> tuple[Repair, str] | None:
    """An LLM-repaired module for the blamed one, or None (LLM stopped, out of tries, or no usable answer)."""
    module = diagnosis.module
    whole_script = run.options.variant == "mono" and module == brains.SCRIPT  # mono: the one script is the module
    if run.brains is None or not (module.startswith("code/") or whole_script) or module.startswith(RUNTIME_DIR):
        return None
    if sum(1 for r in tried if r.module == module and r.action.startswith("rewritten by the LLM")) >= LLM_REPAIRS_PER_MODULE:
        return None
    source = run.folder.file(module).read_text()
    traceback = _traceback(run, diagnosis)
    fixed = run.brains.ask("debugger", brains.repair_module, module, source, diagnosis, bp, run.summary, traceback)
    if fixed is None or fixed == source:
        return None
    return Repair(module=module, action="rewritten by the LLM",
                  reason=f"{diagnosis.failure}: {diagnosis.evidence[:200]}"), fixed


def drop_llm_track(bp: Blueprint, diagnosis: Diagnosis) -> tuple[Blueprint, Repair] | None:
    """The expert's answer to a failing llm-track module: run without the llm track."""
    if not any(c.track == "llm" for c in bp.model.candidates):
        return None
    bp = bp.model_copy(deep=True)
    bp.model.candidates = [c for c in bp.model.candidates if c.track != "llm"]
    return bp, Repair(module=diagnosis.module, action="removed the llm track",
                      reason=f"{diagnosis.failure}: {diagnosis.evidence[:200]}")


def explain(run: "Run", rows: list[dict], selection: dict) -> None:
    if not selection:
        return
    bp = run.blueprint
    text = run.brains.ask("comparison", brains.explain_selection, bp.task, bp.eval.metric, bp.eval.greater_is_better,
                          rows, selection)
    if text:
        run.folder.write_text("selection_explained.md", text + "\n")
        run.folder.event("selection_explained", text=text)


def finish(run: "Run") -> None:
    """One closing event and line: what the LLM cost and whether the expert had to finish alone."""
    calls = [e for e in run.folder.events() if e["event"] == "llm_call"]
    record = {"calls": len(calls), "ok": sum(1 for c in calls if c["outcome"] == "ok"),
              "prompt_tokens": sum(c.get("prompt_tokens") or 0 for c in calls),
              "completion_tokens": sum(c.get("completion_tokens") or 0 for c in calls),
              "cost_usd": round(run.brains.llm.spent_usd, 6), "stopped": run.brains.stopped}
    run.folder.event("llm_summary", **record)
    line = (f"LLM {run.brains.llm.spec}: {record['ok']}/{record['calls']} calls ok, "
            f"{record['prompt_tokens']}+{record['completion_tokens']} tokens, ${record['cost_usd']:.4f}")
    if run.brains.stopped:
        run.progress.warn(f"{line}; the LLM was stopped ({run.brains.stopped}) and the expert finished the run")
    else:
        run.progress.info(line)


def _traceback(run: "Run", diagnosis: Diagnosis) -> str:
    """The newest traceback of the blamed candidate, or the newest attempt's stderr."""
    attempts = sorted(run.folder.file("attempts").glob("*/"), key=lambda p: p.name)
    if not attempts:
        return ""
    last = attempts[-1]
    if diagnosis.candidate:
        path = last / f"traceback_{diagnosis.candidate.replace('/', '_')}.txt"
        if path.exists():
            return path.read_text(errors="replace")
    stderr = last / "stderr.txt"
    return stderr.read_text(errors="replace")[-3000:] if stderr.exists() else ""

"""llm mode of a run: the session the agents' llm brains share, its budget, and the closing account.

What an llm run does on top of the expert's run (which it leaves intact), agent by agent (iml.agents):

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
  written in ``llm/`` and the candidate ``llm/llm`` joins the blueprint (iml.agents.llm_track).
- Integration: a failing module gets LLM repairs first (at most
  ``LLM_REPAIRS_PER_MODULE``); then the expert ladder, and for the llm track's own
  modules the expert's answer is to drop the llm track.
- Selection: the Comparison Agent explains the numeric choice.

Any LLM failure leaves the expert's answer in place and an event saying why.
"""

from __future__ import annotations

from iml.llm.brains import LLMBrains
from iml.llm.client import LLM, PROVIDERS, LLMSpec
from iml.options import RunOptions
from iml.progress import Progress
from iml.runfolder import RunFolder

LLM_REPAIRS_PER_MODULE = 3  # LLM rewrites of one module before the expert's ladder takes over
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
    openai = PROVIDERS["openai"]
    return spec.provider == "openai" and openai.user_base_url(options.llm_base_url) in (None, openai.base_url)


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


def finish(folder: RunFolder, brains: LLMBrains | None, progress: Progress) -> None:
    """One closing event and line: what the LLM cost and whether the expert had to finish alone."""
    if brains is None:
        return
    calls = [e for e in folder.events() if e["event"] == "llm_call"]
    record = {"calls": len(calls), "ok": sum(1 for c in calls if c["outcome"] == "ok"),
              "prompt_tokens": sum(c.get("prompt_tokens") or 0 for c in calls),
              "completion_tokens": sum(c.get("completion_tokens") or 0 for c in calls),
              "cost_usd": round(brains.llm.spent_usd, 6), "stopped": brains.stopped}
    folder.event("llm_summary", **record)
    line = (f"LLM {brains.llm.spec}: {record['ok']}/{record['calls']} calls ok, "
            f"{record['prompt_tokens']}+{record['completion_tokens']} tokens, ${record['cost_usd']:.4f}")
    if brains.stopped:
        progress.warn(f"{line}; the LLM was stopped ({brains.stopped}) and the expert finished the run")
    else:
        progress.info(line)

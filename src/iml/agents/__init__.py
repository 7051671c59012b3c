"""The agents of one run, one module each, every one with its expert brain and its llm brain side by side.

The protocol: an agent module exposes ``expert(...)`` (deterministic, always answers), ``llm(ctx, ...)``
(answers the same type, or None to keep the expert's; asked only when the run has llm brains) and one
entry the flow calls with an ``AgentContext``; the entry chooses the brains and writes the agent's
artifacts into the run folder. The flow never asks which brain is on.

- description_analyzer: the task summary (rules, then the LLM's checked refinement)
- model_retriever: the loadable checkpoints (catalog, then the LLM's order)
- guideline: the blueprint (the variant's expert plan; the LLM's plan for the llm track)
- preprocessing_coder, modeling_coder: module sources (templates; the LLM's llm-track modules)
- modules: which modules a blueprint has and how each is rendered; writes them
- llm_track: the extra track the LLM coders write, and the expert's answer when it fails (drop it)
- debugger: the next repair of a blamed module (the LLM's rewrite first, then the expert ladder)
- comparison: the LLM's explanation of the numeric selection
"""

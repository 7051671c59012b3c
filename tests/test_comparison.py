"""The Comparison Agent states the selection with its members' weights and the decision rule."""

from __future__ import annotations

from types import SimpleNamespace

from iml.agents import comparison

SELECTION = {"members": ["traditional/lightgbm", "traditional/xgboost", "pretrained/linear"],
             "how": "greedy ensemble of 3", "cv_score": 0.91234, "cv_score_argmax": 0.9,
             "weights": {"traditional/lightgbm": 0.15, "traditional/xgboost": 0.55, "pretrained/linear": 0.3},
             "rule": {"kind": "threshold", "values": [0.37], "text": "'yes' when its probability exceeds 0.37"},
             "holdout_score": None}


def test_expert_reports_members_heaviest_first_with_weights_and_the_rule():
    text = comparison.expert(SELECTION)
    assert text.startswith("Selected greedy ensemble of 3, CV 0.91234: traditional/xgboost (weight 0.55), "
                           "pretrained/linear (weight 0.30), traditional/lightgbm (weight 0.15).")
    assert "exceeds 0.37" in text and "0.90000 with the plain argmax" in text
    assert comparison.expert({"members": ["a/b"], "how": "best", "cv_score": 0.5}) == "Selected best, CV 0.50000: a/b."
    assert comparison.weighted_members({**SELECTION, "how": "stacking of 3"})[0].endswith("(stacked)")


class Folder:
    def __init__(self):
        self.files, self.events = {}, []

    def write_text(self, name, text):
        self.files[name] = text

    def event(self, kind, /, **fields):
        self.events.append((kind, fields))


def test_explain_writes_the_experts_statement_without_an_llm_and_shows_the_llm_the_weights():
    ctx = SimpleNamespace(brains=None, folder=Folder())
    text = comparison.explain(ctx, [], SELECTION)
    assert ctx.folder.files["selection_explained.md"] == text + "\n"
    assert ctx.folder.events == [("selection_explained", {"text": text, "by": "expert"})]
    asked = []

    class Brains:
        def ask(self, agent, fn, task, metric, gib, rows, selection):
            asked.append(selection)
            return None  # the LLM could not answer: the expert's words stand

    bp = SimpleNamespace(task="t", eval=SimpleNamespace(metric="accuracy", greater_is_better=True))
    ctx = SimpleNamespace(brains=Brains(), folder=Folder(), blueprint=bp)
    assert comparison.explain(ctx, [], SELECTION) == text
    assert asked[0]["members"][0] == "traditional/xgboost (weight 0.55)"
    assert "decision rule" in asked[0]["how"]
    assert comparison.explain(ctx, [], {}) is None

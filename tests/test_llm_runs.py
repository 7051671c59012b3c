"""Whole llm-mode runs through the real `openai` client against a local chat-completions server.

The scripted model answers by looking at the prompt (which agent asks), so the
tests also show what each agent sends. Keys: a planted one must reach the
server and nothing else (run folder, sandbox environment).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from iml.flow import Run
from iml.options import RunOptions
from iml.progress import Progress
from llm_fake import FakeLLMServer, Scripted, closed_port_url

PLANTED_KEY = "sk-planted-NEVER-IN-RUN-FOLDER-4242"

GOOD_PREPROCESS = '''
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TARGET = "left"
ID_COLUMN = "row_id"


@dataclass
class RawData:
    train: pd.DataFrame
    test: pd.DataFrame
    test_ids: object
    y: pd.Series


def load(data_dir):
    data_dir = Path(data_dir)
    train, test = pd.read_csv(data_dir / "train.csv"), pd.read_csv(data_dir / "test.csv")
    return RawData(train, test, test[ID_COLUMN], train[TARGET])


class Preprocessor:
    def __init__(self, seed=0, features="llm"):
        self.seed = seed
        self.features = features

    def fit(self, frame, y=None):
        frame = frame.drop(columns=[c for c in (TARGET, ID_COLUMN) if c in frame.columns])
        self.numeric_ = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        self.medians_ = frame[self.numeric_].median().fillna(0.0).to_dict()
        self.levels_ = {c: frame[c].astype(str).value_counts().index[:10].tolist()
                        for c in frame.columns if c not in self.numeric_}
        return self

    def transform(self, frame):
        out = {}
        for c in self.numeric_:
            out[c] = pd.to_numeric(frame[c], errors="coerce").fillna(self.medians_[c]).astype(float).to_numpy()
        for c, levels in self.levels_.items():
            values = frame[c].astype(str)
            for level in levels:
                out[f"{c}={level}"] = (values == level).astype(float).to_numpy()
        return pd.DataFrame(out)
'''

GOOD_MODEL = '''
import json
import os

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

DEFAULTS = {"llm": {"C": 0.5}}


class Model:
    def __init__(self, learner="llm", params=None, seed=0, n_jobs=None, time_limit=None):
        self.learner = learner
        self.params = params
        self.seed = seed
        self.n_jobs = n_jobs
        self.time_limit = time_limit

    def fit(self, X, y, X_valid=None, y_valid=None):
        with open("environment_seen_by_generated_code.json", "w") as fh:  # what a hostile module could leak
            json.dump(dict(os.environ), fh)
        C = (self.params or {}).get("C", 0.5)
        self.model_ = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=500))
        self.model_.fit(np.asarray(X, dtype=float), np.asarray(y))
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(np.asarray(X, dtype=float))

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)
'''
# Ignores the contract: one probability column instead of one per class.
BUGGY_MODEL = GOOD_MODEL.replace("return self.model_.predict_proba(np.asarray(X, dtype=float))",
                                 "return self.model_.predict_proba(np.asarray(X, dtype=float))[:, 1:]")
# Still broken after the first repair: a name error.
STILL_BUGGY_MODEL = GOOD_MODEL.replace("return self.predict_proba(X).argmax(axis=1)", "return probs.argmax(axis=1)") \
    .replace("return self.model_.predict_proba(np.asarray(X, dtype=float))", "return undefined_name")

# Two more ways to stay broken, for the repairs that never succeed.
FIT_FAILS_MODEL = GOOD_MODEL.replace("        C = (self.params or {}).get(\"C\", 0.5)\n",
                                     "        raise RuntimeError(\"planted: the solver diverged\")\n")
NAN_MODEL = GOOD_MODEL.replace("return self.model_.predict_proba(np.asarray(X, dtype=float))",
                               "return np.full((len(X), 2), np.nan)")


def fenced(code: str) -> str:
    return f"Here is the module.\n```python\n{code.strip()}\n```\n"


class Script:
    """Answers by agent; counts calls per agent; a per-agent queue overrides the default answer."""

    def __init__(self, prompt_tokens: dict[str, int] | None = None, **queues: list):
        self.queues = {k: list(v) for k, v in queues.items()}
        self.prompt_tokens = prompt_tokens or {}  # agent -> tokens its replies report (to drive the cost)
        self.calls: dict[str, int] = {}

    def agent(self, request: dict) -> str:
        system = request["messages"][0]["content"]
        return re.search(r"You are the (.+?) of iml", system).group(1).lower().replace(" ", "_")

    def __call__(self, request: dict):
        agent = self.agent(request)
        text = self.answer(agent, request)
        return Scripted(text, prompt_tokens=self.prompt_tokens[agent]) if agent in self.prompt_tokens else text

    def answer(self, agent: str, request: dict) -> str:
        self.calls[agent] = self.calls.get(agent, 0) + 1
        if self.queues.get(agent):
            return self.queues[agent].pop(0)
        prompt = [m for m in request["messages"] if m["role"] == "user"][0]["content"]
        if agent == "description_analyzer":  # the rules' facts, confirmed
            return re.search(r"```json\n.*?\n```", prompt, re.DOTALL).group(0)
        if agent == "guideline_agent":
            expert = json.loads(re.search(r"```json\n(.*?)\n```", prompt, re.DOTALL).group(1))
            expert["rationale"] = expert["rationale"] + ["Refined by the scripted LLM."]
            return f"```json\n{json.dumps(expert)}\n```"
        if agent == "preprocessing_coder":
            return fenced(GOOD_PREPROCESS)
        if agent == "modeling_coder":
            return fenced(GOOD_MODEL)
        if agent == "debugger":
            return fenced(GOOD_MODEL)
        return "The logistic model won on cross-validated AUC; try more features next."


def start(data: Path, run_dir: Path, url: str, **overrides) -> Run:
    options = RunOptions(data_dir=str(data), run_dir=str(run_dir), time_budget=overrides.pop("time_budget", 25),
                         memory_mb=3000, tracks=["traditional"], llm=overrides.pop("llm", "openai:gpt-4o-mini"),
                         llm_base_url=url, llm_retry_wait=0.01, **overrides)
    return Run.start(options, Progress(quiet=True))


def events(run: Run, kind: str) -> list[dict]:
    return [e for e in run.folder.events() if e["event"] == kind]


def assert_valid_submission(run: Run, outcome) -> None:
    assert outcome.status == "succeeded"
    submission = pd.read_csv(outcome.submission)
    assert list(submission.columns) == ["row_id", "left"]
    assert len(submission) == 200 and submission["left"].between(0, 1).all()


def test_llm_run_end_to_end_with_expert_floor_and_no_key_leak(binary_task: Path, tmp_path: Path,
                                                              monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED_KEY)
    # Faults on the way: a 429, a 500 and a malformed blueprint, each survived.
    script = Script(guideline_agent=['Sure, here it is: {"task": "churn", "prep": '])
    with FakeLLMServer(responder=script) as server:
        server.enqueue(Scripted(status=429), Scripted(status=500))
        run = start(binary_task, tmp_path / "run", server.url)
        outcome = run.execute()
    assert_valid_submission(run, outcome)

    # Every agent was asked; the malformed blueprint was sent back with the parse error.
    assert script.calls == {"description_analyzer": 1, "guideline_agent": 2, "preprocessing_coder": 1,
                            "modeling_coder": 1, "comparison_agent": 1}
    reask = next(p for p in server.prompts() if p.startswith("Your reply could not be used"))
    assert "invalid JSON" in reask or "no JSON object" in reask
    assert any("Columns (name | kind" in p and "balance" in p for p in server.prompts())
    calls = events(run, "llm_call")
    assert [c["outcome"] for c in calls[:3]] == ["rate_limited", "server_error", "ok"]
    ok = [c for c in calls if c["outcome"] == "ok"]
    assert all(c["prompt_tokens"] == 50 and c["cost_usd"] > 0 and c["latency_s"] >= 0 for c in ok)
    assert {c["purpose"] for c in ok} == {"describe", "guideline_blueprint", "coder_preprocess", "coder_model",
                                          "comparison_explain"}
    assert events(run, "llm_task_summary")[0] == {**events(run, "llm_task_summary")[0], "source": "llm", "changed": []}

    # The llm track ran next to the expert's candidates; selection stays numeric, so never worse.
    board = pd.read_csv(run.folder.file("leaderboard.csv"))
    llm_row = board[board["track"] == "llm"]
    assert len(llm_row) == 1 and llm_row["status"].iloc[0] == "ok", board
    expert = board[(board["track"] == "traditional") & (board["status"] == "ok")]
    assert len(expert) >= 1
    # Selection is numeric over every track: the single best by CV mean, or a greedy ensemble (heaviest
    # member first, weights summing to one) or stacker that only replaces it by scoring better out of fold.
    report = json.loads(run.folder.file("pipeline_report.json").read_text())
    ok = board[board["status"] == "ok"]
    selection = report["selection"]
    assert set(selection["members"]) <= set(ok["track"] + "/" + ok["model"])
    if selection["how"] == "best":
        leader = ok[ok["track"] + "/" + ok["model"] == selection["members"][0]]
        assert leader["cv_score"].iloc[0] == ok["cv_score"].max() >= expert["cv_score"].max()
    else:
        weights = [selection["weights"][m] for m in selection["members"]] if selection["weights"] else []
        assert not weights or (abs(sum(weights) - 1) < 1e-9 and weights == sorted(weights, reverse=True))
    assert run.folder.file("code/preprocess_llm.py").read_text().strip() == GOOD_PREPROCESS.strip()
    assert "Refined by the scripted LLM." in run.folder.file("blueprint_llm.json").read_text()
    assert "cross-validated AUC" in run.folder.file("selection_explained.md").read_text()
    assert "cross-validated AUC" in run.folder.file("report.html").read_text()
    summary = events(run, "llm_summary")[0]
    assert summary["stopped"] is None and summary["cost_usd"] > 0

    # The key reached the server, and nothing else: not the run folder, not the generated code's environment.
    assert server.headers[0]["authorization"] == f"Bearer {PLANTED_KEY}"
    seen = list(run.folder.path.rglob("environment_seen_by_generated_code.json"))
    assert seen, "the scripted model module should have dumped its environment"
    assert "OPENAI_API_KEY" not in json.loads(seen[0].read_text())
    for path in run.folder.path.rglob("*"):
        if path.is_file():
            assert PLANTED_KEY.encode() not in path.read_bytes(), path


def test_buggy_llm_module_is_repaired_in_two_rounds(binary_task: Path, tmp_path: Path) -> None:
    script = Script(modeling_coder=[fenced(BUGGY_MODEL)], debugger=[fenced(STILL_BUGGY_MODEL), fenced(GOOD_MODEL)])
    with FakeLLMServer(responder=script) as server:
        # Three verifications before training: more than the default 25 s, so the repaired module still trains.
        run = start(binary_task, tmp_path / "run", server.url, llm="ollama:qwen2.5-coder", time_budget=35)
        outcome = run.execute()
    assert_valid_submission(run, outcome)
    repairs = events(run, "repair")
    assert [(r["module"], r["action"]) for r in repairs] == [("code/model_llm.py", "rewritten by the LLM")] * 2
    failed = [e["diagnoses"][0] for e in events(run, "verification_failed")]
    assert [d["module"] for d in failed] == ["code/model_llm.py"] * 2
    assert "shape" in failed[0]["evidence"] and "undefined_name" in failed[1]["evidence"]
    debugger_prompts = [p for p in server.prompts() if "failed when the pipeline ran it" in p]
    assert "[:, 1:]" in debugger_prompts[0] and "shape" in debugger_prompts[0]
    assert "undefined_name" in debugger_prompts[1]
    assert run.folder.file("code/model_llm.py").read_text().strip() == GOOD_MODEL.strip()
    board = pd.read_csv(run.folder.file("leaderboard.csv"))
    assert board[board["track"] == "llm"]["status"].tolist() == ["ok"]
    # Local models cost nothing and the cost is still recorded.
    assert all(c.get("cost_usd") == 0 for c in events(run, "llm_call") if c["outcome"] == "ok")


def test_cost_cap_reached_mid_run_finishes_with_the_expert(binary_task: Path, tmp_path: Path) -> None:
    # The blueprint call costs 1M prompt tokens = $0.15 of the $0.1501 cap: the coder's call (~$0.0001) would cross it.
    script = Script(prompt_tokens={"guideline_agent": 1_000_000})
    with FakeLLMServer(responder=script) as server:
        run = start(binary_task, tmp_path / "run", server.url, max_cost=0.1501)
        outcome = run.execute()
    assert_valid_submission(run, outcome)
    stopped = events(run, "llm_stopped")
    assert len(stopped) == 1 and stopped[0]["error_type"] == "BudgetExhausted"
    assert stopped[0]["agent"] == "preprocessing_coder"
    assert events(run, "llm_call")[-1]["outcome"] == "budget_exhausted"
    assert len(server.requests) == 2  # the summary and the blueprint; nothing was sent after the cap
    board = pd.read_csv(run.folder.file("leaderboard.csv"))
    assert "llm" not in set(board["track"]) and (board["status"] == "ok").any()
    summary = events(run, "llm_summary")[0]
    assert "max-cost" in summary["stopped"] and summary["cost_usd"] <= 0.1501


def test_server_down_finishes_with_the_expert(binary_task: Path, tmp_path: Path) -> None:
    run = start(binary_task, tmp_path / "run", closed_port_url())
    outcome = run.execute()
    assert_valid_submission(run, outcome)
    stopped = events(run, "llm_stopped")
    assert len(stopped) == 1 and stopped[0]["error_type"] == "LLMUnavailable"
    assert stopped[0]["agent"] == "description_analyzer"  # the first agent to ask
    assert {c["outcome"] for c in events(run, "llm_call")} == {"connection_error"}
    assert events(run, "llm_plan")[0]["source"] == "expert"
    assert {e["agent"] for e in events(run, "llm_skipped")} >= {"guideline", "preprocessing_coder", "comparison"}
    assert not run.folder.file("code/model_llm.py").exists()



def test_exhausted_llm_repairs_fall_back_to_the_expert_floor(binary_task: Path, tmp_path: Path) -> None:
    # The LLM's module is broken, and every repair it writes stays broken, each time differently.
    script = Script(modeling_coder=[fenced(BUGGY_MODEL)],
                    debugger=[fenced(STILL_BUGGY_MODEL), fenced(FIT_FAILS_MODEL), fenced(NAN_MODEL)])
    with FakeLLMServer(responder=script) as server:
        run = start(binary_task, tmp_path / "run", server.url)
        outcome = run.execute()
    assert_valid_submission(run, outcome)

    # Three LLM rewrites (the per-module limit), then the expert's answer: run without the llm track.
    repairs = events(run, "repair")
    assert [(r["round"], r["module"], r["action"]) for r in repairs] == [
        (1, "code/model_llm.py", "rewritten by the LLM"), (2, "code/model_llm.py", "rewritten by the LLM"),
        (3, "code/model_llm.py", "rewritten by the LLM"), (4, "code/model_llm.py", "removed the llm track")]
    assert script.calls["debugger"] == 3  # not asked a fourth time
    evidence = [e["diagnoses"][0]["evidence"] for e in events(run, "verification_failed")]
    assert len(evidence) == 4
    assert "shape" in evidence[0] and "undefined_name" in evidence[1] and "solver diverged" in evidence[2]
    assert "NaN" in evidence[3] or "nan" in evidence[3].lower()
    # Every round left its diff, and the report lists them all.
    for n in range(1, 5):
        assert run.folder.file(f"attempts/repair-{n:02d}.diff").exists()
    assert "removed the llm track" in run.folder.file("report.html").read_text()
    assert run.folder.file("code/model_llm.py").read_text().strip() == NAN_MODEL.strip()  # the last try, kept
    # The expert floor made the submission.
    assert all(c.track != "llm" for c in run.blueprint.model.candidates)
    board = pd.read_csv(run.folder.file("leaderboard.csv"))
    assert "llm" not in set(board["track"]) and (board[board["track"] == "traditional"]["status"] == "ok").any()

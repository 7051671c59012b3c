"""The llm brains of the Description Analyzer and the Model Retriever, through the real client.

Runs stop after the phase under test (no sandboxed training), so each case costs about a second.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import make_binary_task
from iml.flow import Run
from iml.llm.client import LLM
from iml.llm.perceive import choose_checkpoints
from iml.options import RunOptions
from iml.progress import Progress
from iml.retrieval.retriever import Checkpoint, Retrieval, catalog
from llm_fake import FakeLLMServer

# The metric is named in words the rules do not know; the LLM reads it.
DESCRIPTION = ("# Who leaves?\n\nFor each customer in the test file, give the chance that they left (`left`).\n"
               "Submissions are judged by the mean negative log-likelihood of the predicted probabilities.\n")


WORDS = ("slow support angry happy price plan cancel refund fast app crash bill late great poor rude kind "
         "upgrade downgrade contract fee network outage coverage discount loyal switch").split()


def agent_of(request: dict) -> str:
    return re.search(r"You are the (.+?) of iml", request["messages"][0]["content"]).group(1)


def rules_facts(request: dict) -> dict:
    prompt = request["messages"][1]["content"]
    return json.loads(re.search(r"```json\n(.*?)\n```", prompt, re.DOTALL).group(1))


def start(data: Path, run_dir: Path, url: str, **overrides) -> Run:
    options = RunOptions(data_dir=str(data), run_dir=str(run_dir), time_budget=30, tracks=["traditional"],
                         llm="ollama:test", llm_base_url=url, llm_retry_wait=0.01, **overrides)
    return Run.start(options, Progress(quiet=True))


def events(run: Run, kind: str) -> list[dict]:
    return [e for e in run.folder.events() if e["event"] == kind]


@pytest.fixture
def task(tmp_path: Path) -> Path:
    folder = make_binary_task(tmp_path / "data", n_train=300, n_test=100)
    (folder / "description.md").write_text(DESCRIPTION)
    return folder


def test_summary_refinement_is_reasked_then_used(task: Path, tmp_path: Path) -> None:
    facts = {}

    def responder(request: dict) -> str:
        facts.setdefault("rules", rules_facts(request))
        answers = [  # an invented field, then a metric iml cannot score, then the right one
            "```json\n" + json.dumps({**facts["rules"], "metric": "logloss", "confidence": 0.9}) + "\n```",
            json.dumps({**facts["rules"], "metric": "neg_log_likelihood"}),
            json.dumps({**facts["rules"], "metric": "logloss", "greater_is_better": False}),
        ]
        return answers[len(server.requests) - 1]

    with FakeLLMServer(responder=responder) as server:
        run = start(task, tmp_path / "run", server.url)
        run.execute(stop_after="perceive")

    assert len(server.requests) == 3
    assert "confidence: Extra inputs are not permitted" in server.prompts()[1]
    assert "metric: 'neg_log_likelihood' is not one of" in server.prompts()[2]
    first_prompt = server.prompts()[0]
    assert "negative log-likelihood" in first_prompt and "description.md (" in first_prompt
    assert "metric = auc (from default" in first_prompt  # the rules' evidence is shown
    summary = json.loads(run.folder.file("task_summary.json").read_text())
    assert summary["metric"] == "logloss" and summary["greater_is_better"] is False
    assert json.loads(run.folder.file("task_summary_rules.json").read_text())["metric"] == "auc"
    assert {"fact": "metric", "value": "logloss", "source": "llm",
            "detail": "refined by the LLM (the rules said auc)"} in summary["evidence"]
    record = events(run, "llm_task_summary")[0]
    assert record["source"] == "llm" and record["changed"] == ["metric", "greater_is_better"]
    assert json.loads(run.folder.file("profile.json").read_text())["targets"][0]["name"] == "left"


@pytest.mark.parametrize("change, reason", [
    ({"target_columns": ["churned"]}, "target 'churned' is not a column of train.csv"),
    ({"task_type": "regression", "metric": "rmse", "greater_is_better": False, "classes": None,
      "positive_label": None}, "regression needs a numeric target"),
    ({"metric": "rmse", "greater_is_better": False}, "metric rmse does not fit a binary task"),
    ({"submission": {"kind": "value"}}, "a binary task cannot be submitted as value"),
], ids=["unknown_target", "text_target_as_regression", "regression_metric", "submission_kind"])
def test_refinement_that_contradicts_the_data_is_rejected(change: dict, reason: str, task: Path,
                                                          tmp_path: Path) -> None:
    def responder(request: dict) -> str:
        facts = rules_facts(request)
        return json.dumps({**facts, **change, "submission": {**facts["submission"], **change.get("submission", {})}})

    with FakeLLMServer(responder=responder) as server:
        run = start(task, tmp_path / "run", server.url)
        run.execute(stop_after="perceive")

    assert len(server.requests) == 1  # a valid object that contradicts the data is not re-asked
    summary = json.loads(run.folder.file("task_summary.json").read_text())
    rules = json.loads(run.folder.file("task_summary_rules.json").read_text())
    assert summary["target_columns"] == rules["target_columns"] == ["left"]
    assert summary["metric"] == rules["metric"] == "auc" and summary["task_type"] == "binary"
    note = summary["evidence"][-1]
    assert note["fact"] == "llm_refinement" and note["value"] == "rejected" and reason in note["detail"]
    record = events(run, "llm_task_summary")[0]
    assert record["source"] == "rules" and any(reason in r for r in record["rejected"])


def test_the_users_target_is_not_the_llms_to_change(task: Path, tmp_path: Path) -> None:
    change = {"target_columns": ["plan"], "classes": ["basic", "plus", "pro"], "task_type": "multiclass",
              "positive_label": None, "metric": "accuracy", "greater_is_better": True}
    with FakeLLMServer(responder=lambda request: json.dumps({**rules_facts(request), **change})) as server:
        run = start(task, tmp_path / "run", server.url, target="left")
        run.execute(stop_after="perceive")
    assert json.loads(run.folder.file("task_summary.json").read_text())["target_columns"] == ["left"]
    assert "target_columns was named by the user (left)" in events(run, "llm_task_summary")[0]["rejected"]


# ---------------------------------------------------------------------------- Model Retriever
def found_here() -> Retrieval:
    """The retriever's answer on a machine with the packaged MiniLM and an empty hub cache."""
    text = {e["name"]: e for e in catalog()["text"]}
    def checkpoint(name: str, loadable: bool, reason: str) -> Checkpoint:
        e = text[name]
        return Checkpoint(modality="text", name=name, source=e["source"], library=e["library"],
                          size_mb=e["size_mb"], licence=e["licence"], loadable=loadable, reason=reason,
                          location="/weights/minilm" if loadable else None)
    return Retrieval(checkpoints=[checkpoint("all-MiniLM-L6-v2", True, "weights carried by the package"),
                                  checkpoint("sentence-transformers/all-mpnet-base-v2", False,
                                             "not in the hub cache and no network here")])


def test_retriever_picks_are_checked_against_catalog_and_machine(task: Path, tmp_path: Path) -> None:
    run = start(task, tmp_path / "run", "http://127.0.0.1:9/v1")
    picks = {"picks": [
        {"modality": "text", "name": "bert-giant-2030", "reason": "biggest"},
        {"modality": "text", "name": "sentence-transformers/all-mpnet-base-v2", "reason": "stronger"},
        {"modality": "image", "name": "resnet18", "reason": "images"},
        {"modality": "text", "name": "all-MiniLM-L6-v2", "reason": "small and loadable"},
    ]}
    with FakeLLMServer() as server:
        server.enqueue('{"picks": [{"modality": "text"', "```json\n" + json.dumps(picks) + "\n```")
        llm = LLM("ollama:test", base_url=server.url, backoff_s=0.01)
        ordered, choice = choose_checkpoints(llm, run.summary, ["text"], found_here(), catalog())

    assert "invalid JSON" in server.prompts()[1] or "no JSON object" in server.prompts()[1]
    assert "all-MiniLM-L6-v2 (90" in server.prompts()[0] and "not loadable" in server.prompts()[0]
    assert [p.name for p in choice.picked] == ["all-MiniLM-L6-v2"]
    assert ordered.best("text").name == "all-MiniLM-L6-v2"
    assert len(ordered.checkpoints) == 2  # nothing invented joins the retrieval
    why = {r.name: r.why for r in choice.rejected}
    assert why["bert-giant-2030"] == "not in the offline catalog for text"
    assert why["sentence-transformers/all-mpnet-base-v2"].startswith("not loadable here: not in the hub cache")
    assert why["resnet18"].startswith("the task has no image data")


def test_retriever_brain_in_a_run_on_a_text_task(task: Path, tmp_path: Path) -> None:
    for name in ("train.csv", "test.csv"):
        frame = pd.read_csv(task / name)
        rng = np.random.default_rng(len(frame))
        frame["note"] = [" ".join(rng.choice(WORDS, 12)) for _ in range(len(frame))]
        frame.to_csv(task / name, index=False)

    def responder(request: dict) -> str:
        agent = agent_of(request)
        if agent == "Description Analyzer":
            return json.dumps(rules_facts(request))
        if agent == "Model Retriever":
            return json.dumps({"picks": [{"modality": "text", "name": "no-such-encoder", "reason": "made up"}]})
        return "no plan from me"  # the Guideline Agent's refinement fails: the expert blueprint stays

    with FakeLLMServer(responder=responder) as server:
        run = start(task, tmp_path / "run", server.url)
        run.execute(stop_after="plan")

    assert any("Model Retriever" in r["messages"][0]["content"] for r in server.requests)
    choice = json.loads(run.folder.file("retrieval_llm.json").read_text())
    assert choice["picked"] == [] and choice["rejected"][0]["name"] == "no-such-encoder"
    record = events(run, "llm_retrieval")[0]
    assert record["rejected"][0]["why"] == "not in the offline catalog for text"
    retrieval = json.loads(run.folder.file("retrieval.json").read_text())
    assert [c["name"] for c in retrieval["checkpoints"]] == [e["name"] for e in catalog()["text"]]
    assert events(run, "llm_task_summary")[0]["changed"] == []

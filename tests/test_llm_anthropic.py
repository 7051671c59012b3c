"""Anthropic through its own SDK (the `anthropic` extra) against a local server speaking the Messages API.

Same seam as every other provider: messages in, text or a validated object out, faults retried,
tokens and cost accounted, the key sent to the server and nowhere else.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from iml.flow import Run
from iml.llm.client import LLM, LLMConfigError, LLMUnavailable
from iml.options import RunOptions
from iml.progress import Progress
from llm_fake import FakeLLMServer, Scripted

pytest.importorskip("anthropic")  # installed by the `test` extra; the `anthropic` extra for users

MODEL = "anthropic:claude-3-5-haiku-latest"  # priced in prices.json: $0.80 in, $4.00 out per 1M tokens
KEY = "sk-ant-planted-NEVER-IN-RUN-FOLDER-7"
MESSAGES = [{"role": "system", "content": "You are the Tester of iml."},
            {"role": "user", "content": "Say hello."}]


class Verdict(BaseModel):
    answer: str
    confidence: float


def llm(server: FakeLLMServer, records: list[dict] | None = None) -> LLM:
    return LLM(MODEL, base_url=server.anthropic_url, backoff_s=0.01,
               on_call=records.append if records is not None else None)


def test_faults_are_retried_and_the_reply_is_accounted(monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    records: list[dict] = []
    with FakeLLMServer() as server:
        # 429, then 529 (overloaded), then an empty content list, then the answer.
        server.enqueue(Scripted(status=429), Scripted(status=529), Scripted(text=""),
                       Scripted(text="Hello.", prompt_tokens=1000, completion_tokens=500))
        reply = llm(server, records).complete(MESSAGES, "greeting")

    assert reply.text == "Hello." and reply.attempts == 4
    assert (reply.prompt_tokens, reply.completion_tokens) == (1000, 500)
    assert reply.cost_usd == pytest.approx((1000 * 0.80 + 500 * 4.00) / 1e6)
    assert [r["outcome"] for r in records] == ["rate_limited", "server_error", "empty", "ok"]
    assert records[-1]["cost_usd"] == pytest.approx(0.0028) and records[-1]["model"] == MODEL
    # The Messages API's shape: the system prompt apart, the turns alone, a reply cap; the key in x-api-key.
    request = server.requests[-1]
    assert server.paths[-1] == "/v1/messages"
    assert request["system"] == "You are the Tester of iml."
    assert request["messages"] == [{"role": "user", "content": "Say hello."}]
    assert request["model"] == "claude-3-5-haiku-latest" and request["max_tokens"] > 0
    headers = server.headers[-1]  # SDK versions send the key as x-api-key or as a bearer token
    assert KEY in (headers.get("x-api-key"), headers.get("authorization", "").removeprefix("Bearer "))
    assert "anthropic-version" in headers


def test_structured_answer_is_reasked_and_validated() -> None:
    with FakeLLMServer() as server:
        server.enqueue('Sure: {"answer": "yes", "confidence": ', "```json\n" +
                       json.dumps({"answer": "yes", "confidence": "high"}) + "\n```",
                       json.dumps({"answer": "yes", "confidence": 0.9}))
        verdict = llm(server).structured(MESSAGES, Verdict, "verdict")

    assert verdict == Verdict(answer="yes", confidence=0.9)
    assert "no JSON object in the reply" in server.prompts()[1]
    assert "confidence: Input should be a valid number" in server.prompts()[2]
    # A re-ask is a proper conversation for the Messages API: user, assistant, user.
    assert [m["role"] for m in server.requests[2]["messages"]] == ["user", "assistant", "user", "assistant", "user"]


def test_refusal_and_missing_key(monkeypatch) -> None:
    with FakeLLMServer() as server:
        server.enqueue(Scripted(status=401))
        with pytest.raises(LLMUnavailable, match="refused"):
            llm(server).complete(MESSAGES, "greeting")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(LLMConfigError, match=r"ANTHROPIC_API_KEY"):
        LLM(MODEL)


def test_an_agent_asks_through_anthropic_and_the_key_stays_out(binary_task: Path, tmp_path: Path,
                                                               monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)

    def responder(request: dict) -> str:  # the Description Analyzer confirms the rules' facts
        prompt = request["messages"][-1]["content"]
        return prompt[prompt.index("```json"):prompt.index("```", prompt.index("```json") + 7) + 3]

    with FakeLLMServer(responder=responder) as server:
        options = RunOptions(data_dir=str(binary_task), run_dir=str(tmp_path / "run"), time_budget=30,
                             tracks=["traditional"], llm=MODEL, llm_base_url=server.anthropic_url)
        run = Run.start(options, Progress(quiet=True))
        run.execute(stop_after="perceive")

    assert "Description Analyzer" in server.requests[0]["system"]
    calls = [e for e in run.folder.events() if e["event"] == "llm_call"]
    assert [(c["purpose"], c["outcome"], c["model"]) for c in calls] == [("describe", "ok", MODEL)]
    assert calls[0]["cost_usd"] > 0 and calls[0]["prompt_tokens"] == 50
    assert [e for e in run.folder.events() if e["event"] == "llm_task_summary"][0]["source"] == "llm"
    for path in run.folder.path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path

"""The LLM seam through the real `openai` client against a local chat-completions server."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict

from iml.llm.client import (
    LLM,
    BudgetExhausted,
    LLMConfigError,
    LLMUnavailable,
    ReplyInvalid,
    extract_code,
    extract_json,
)
from llm_fake import FakeLLMServer, Scripted, closed_port_url

MESSAGES = [{"role": "user", "content": "hello"}]


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    score: float


def client(server_url: str, calls: list | None = None, **kwargs) -> LLM:
    return LLM(kwargs.pop("spec", "openai:gpt-4o-mini"), base_url=server_url,
               on_call=(calls.append if calls is not None else None), backoff_s=0.01, **kwargs)


@pytest.fixture
def server():
    with FakeLLMServer() as s:
        yield s


def test_completion_reports_tokens_latency_and_cost(server) -> None:
    calls: list[dict] = []
    server.enqueue(Scripted("hi there", prompt_tokens=1000, completion_tokens=500))
    reply = client(server.url, calls).complete(MESSAGES, "greet")
    assert reply.text == "hi there"
    assert (reply.prompt_tokens, reply.completion_tokens) == (1000, 500)
    assert reply.cost_usd == pytest.approx((1000 * 0.15 + 500 * 0.60) / 1e6)
    assert reply.latency_s >= 0
    assert calls[-1]["outcome"] == "ok" and calls[-1]["purpose"] == "greet"
    assert server.requests[0]["model"] == "gpt-4o-mini" and server.requests[0]["messages"] == MESSAGES


@pytest.mark.parametrize("status,outcome", [(429, "rate_limited"), (500, "server_error"), (503, "server_error")])
def test_transient_status_is_retried_with_backoff(server, status: int, outcome: str) -> None:
    calls: list[dict] = []
    server.enqueue(Scripted(status=status), "fine")
    reply = client(server.url, calls).complete(MESSAGES, "p")
    assert reply.text == "fine" and reply.attempts == 2
    assert [c["outcome"] for c in calls] == [outcome, "ok"]


def test_empty_reply_is_retried(server) -> None:
    calls: list[dict] = []
    server.enqueue(Scripted(""), "now something")
    assert client(server.url, calls).complete(MESSAGES, "p").text == "now something"
    assert [c["outcome"] for c in calls] == ["empty", "ok"]


def test_timeout_is_retried(server) -> None:
    calls: list[dict] = []
    server.enqueue(Scripted("late", delay_s=1.5), "on time")
    reply = client(server.url, calls, timeout_s=0.5).complete(MESSAGES, "p")
    assert reply.text == "on time"
    assert calls[0]["outcome"] == "timeout"


def test_a_slow_provider_cannot_take_more_than_its_share_of_the_run(server) -> None:
    """Waiting time is capped in total: each request's timeout shrinks to what is left, then the LLM stops."""
    calls: list[dict] = []
    server.enqueue(Scripted("slow but fine", delay_s=1.0), *[Scripted("too late", delay_s=5.0)] * 4)
    llm = client(server.url, calls, timeout_s=30.0, time_cap_s=4.0)
    assert llm.complete(MESSAGES, "first").text == "slow but fine"
    with pytest.raises(LLMUnavailable, match="too slow for this budget"):
        llm.complete(MESSAGES, "second")
    assert [c["outcome"] for c in calls] == ["ok", "timeout", "time_exhausted"]
    assert 3.5 < llm.seconds_used < 5.0  # the second request was cut at the cap, not at timeout_s


def test_reply_length_is_capped_per_purpose(server) -> None:
    server.enqueue("short", "free")
    llm = client(server.url, reply_caps={"describe": 100})
    llm.complete(MESSAGES, "describe")
    llm.complete(MESSAGES, "other")
    assert server.requests[0]["max_tokens"] == 100
    assert "max_tokens" not in server.requests[1]


def test_compatible_servers_get_reply_caps_but_openai_itself_does_not(monkeypatch, tmp_path) -> None:
    from iml.llm.mode import REPLY_CAPS, make_llm
    from iml.options import RunOptions

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    base = dict(data_dir=str(tmp_path), time_budget=100)
    assert make_llm(RunOptions(llm="openai:gpt-4o", **base)).reply_caps == {}
    local = make_llm(RunOptions(llm="openai:gemma3", llm_base_url="http://localhost:8080/v1", **base))
    assert local.reply_caps == REPLY_CAPS and local.time_cap_s == pytest.approx(40)
    assert make_llm(RunOptions(llm="llamacpp:gemma3", **base)).reply_caps["describe"] >= 1000


def test_retries_are_bounded(server) -> None:
    server.enqueue(*[Scripted(status=500)] * 3)
    with pytest.raises(LLMUnavailable, match="failed 3 times"):
        client(server.url, attempts=3).complete(MESSAGES, "p")


def test_server_down_is_unavailable() -> None:
    calls: list[dict] = []
    with pytest.raises(LLMUnavailable):
        client(closed_port_url(), calls, attempts=2).complete(MESSAGES, "p")
    assert [c["outcome"] for c in calls] == ["connection_error", "connection_error"]


def test_auth_refusal_is_not_retried(server) -> None:
    server.enqueue(Scripted(status=401), "never")
    with pytest.raises(LLMUnavailable, match="refused"):
        client(server.url).complete(MESSAGES, "p")
    assert len(server.requests) == 1


def test_malformed_json_is_reasked_with_the_errors(server) -> None:
    calls: list[dict] = []
    server.enqueue("Sure! {name: 'x', score: }", '```json\n{"name": "x"}\n```',
                   'Here you go:\n```json\n{"name": "x", "score": 0.5}\n```')
    answer = client(server.url, calls).structured(MESSAGES, Answer, "answer")
    assert answer == Answer(name="x", score=0.5)
    assert "invalid JSON" in server.prompts()[1]
    assert "score: Field required" in server.prompts()[2]
    assert [c["outcome"] for c in calls].count("reasked") == 2


def test_structured_gives_up_after_bounded_reasks(server) -> None:
    server.enqueue("no json", "still none", "nothing")
    with pytest.raises(ReplyInvalid):
        client(server.url, reasks=2).structured(MESSAGES, Answer, "answer")
    assert len(server.requests) == 3


def test_code_without_fence_or_with_wrong_shape_is_reasked(server) -> None:
    server.enqueue("I would write a function that adds numbers.",
                   "```python\ndef add(a, b):\n    return a + b\n```",
                   "```python\nclass Model:\n    def fit(self, X, y):\n        return self\n```")
    source = client(server.url).code(MESSAGES, "model",
                                     check=lambda s: [] if "class Model" in s else ["define class Model"])
    assert source.startswith("class Model")
    assert "no ```python fenced block" in server.prompts()[1]
    assert "define class Model" in server.prompts()[2]


def test_cost_cap_stops_before_the_call(server) -> None:
    server.enqueue(Scripted("one", prompt_tokens=1_000_000, completion_tokens=0), "two")
    llm = client(server.url, max_cost=0.2)
    llm.complete(MESSAGES, "first")
    assert llm.spent_usd == pytest.approx(0.15)
    llm._completions = [200_000]  # the next reply is expected to be long: ~0.12 USD
    with pytest.raises(BudgetExhausted):
        llm.complete(MESSAGES, "second")
    assert len(server.requests) == 1


def test_cost_cap_needs_a_price(server) -> None:
    with pytest.raises(LLMConfigError, match="price"):
        client(server.url, spec="openai:unknown-model", max_cost=1.0)


def test_hosted_provider_without_key_is_a_config_error(monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LLMConfigError, match="OPENAI_API_KEY"):
        LLM("openai:gpt-4o-mini")
    with pytest.raises(LLMConfigError, match="PROVIDER:MODEL"):
        LLM("gpt-4o")
    with pytest.raises(LLMConfigError, match="unknown LLM provider"):
        LLM("acme:x")


def test_key_comes_from_the_environment(server, monkeypatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "gm-planted-123")
    server.enqueue("ok")
    LLM("gemini:gemini-2.0-flash", base_url=server.url).complete(MESSAGES, "p")
    assert server.headers[0]["authorization"] == "Bearer gm-planted-123"


def test_extractors() -> None:
    assert extract_json('text ```json\n{"a": 1}\n``` more') == {"a": 1}
    assert extract_json('prefix {"a": {"b": 2}} suffix') == {"a": {"b": 2}}
    assert extract_code("```python\nx = 1\n```\nand\n```python\ny = 2\n```") == "y = 2\n"
    assert extract_code("x = 1\nprint(x)") == "x = 1\nprint(x)\n"
    with pytest.raises(ValueError):
        extract_code("Here is how: first, load data.")

"""The one LLM seam: messages in, text, code or a validated pydantic object out.

Every provider is reached through the `openai` SDK's chat-completions API with a
base URL, except Anthropic, reached through its own `anthropic` SDK's Messages API
(the `anthropic` extra). The SDKs' own retries are off: this client owns retries,
backoff and the cost cap, the same for both. Keys come from the environment only and never leave this object:
they are not logged, not stored in the run folder, not passed to generated code.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable

from pydantic import BaseModel, ValidationError

from iml.distribution import install_hint
from iml.errors import IMLError


# ---------------------------------------------------------------------------- providers (data)
@dataclass(frozen=True)
class Provider:
    base_url: str
    key_env: str | None  # environment variable holding the key
    key_required: bool  # hosted services refuse calls without one; local servers do not care
    protocol: str = "openai"  # "openai": chat completions via the openai SDK; "anthropic": Messages API via its SDK
    # The SDK's own variable for another endpoint (a proxy, a gateway): users set it once for every tool.
    base_url_env: str | None = None

    def user_base_url(self, explicit: str | None = None) -> str | None:
        """The endpoint the user chose: --llm-base-url, else the SDK's variable; None means the provider's own."""
        return explicit or (os.environ.get(self.base_url_env) if self.base_url_env else None) or None


PROVIDERS: dict[str, Provider] = {
    "openai": Provider("https://api.openai.com/v1", "OPENAI_API_KEY", True, base_url_env="OPENAI_BASE_URL"),
    "gemini": Provider("https://generativelanguage.googleapis.com/v1beta/openai/", "GEMINI_API_KEY", True),
    "openrouter": Provider("https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", True),
    "ollama": Provider("http://localhost:11434/v1", "OLLAMA_API_KEY", False),
    "vllm": Provider("http://localhost:8000/v1", "VLLM_API_KEY", False),
    "llamacpp": Provider("http://localhost:8080/v1", "LLAMACPP_API_KEY", False),
    "lmstudio": Provider("http://localhost:1234/v1", "LMSTUDIO_API_KEY", False),
    "anthropic": Provider("https://api.anthropic.com", "ANTHROPIC_API_KEY", True, protocol="anthropic",
                          base_url_env="ANTHROPIC_BASE_URL"),
}
# SDK module and the iml extra that installs it, per protocol.
SDKS = {"openai": ("openai", "llm"), "anthropic": ("anthropic", "anthropic")}
# The Messages API needs a reply length cap; generous enough for a whole module.
ANTHROPIC_MAX_TOKENS = 8192
# Used when a prompt's reply length is not known yet (tokens); later calls use the observed mean.
EXPECTED_COMPLETION_TOKENS = 800


# ---------------------------------------------------------------------------- errors
class LLMError(IMLError):
    """One LLM call failed; the agent falls back to its expert brain."""


class LLMConfigError(LLMError):
    """The --llm spec, base URL, key or price table cannot be used."""


class LLMUnavailable(LLMError):
    """The provider cannot be reached or refuses us (down, auth, retries exhausted): stop using it."""


class BudgetExhausted(LLMError):
    """The next call would cross --max-cost: stop using the LLM."""


class ReplyInvalid(LLMError):
    """The replies stayed unusable (empty, no JSON, no code, wrong shape) after the allowed re-asks."""


# ---------------------------------------------------------------------------- spec and prices
@dataclass(frozen=True)
class LLMSpec:
    provider: str
    model: str

    @classmethod
    def parse(cls, spec: str) -> "LLMSpec":
        provider, sep, model = spec.partition(":")
        if not sep or not model:
            raise LLMConfigError(f"--llm {spec!r} is not PROVIDER:MODEL.",
                                 hint=f"e.g. --llm openai:gpt-4o-mini; providers: {', '.join(PROVIDERS)}")
        if provider not in PROVIDERS:
            raise LLMConfigError(f"unknown LLM provider {provider!r}.",
                                 hint=f"use one of {', '.join(PROVIDERS)} (any OpenAI-compatible server: "
                                      "openai:<model> with --llm-base-url)")
        return cls(provider, model)

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"


def load_prices(user_file: str | None = None) -> dict[str, dict]:
    prices = json.loads(resources.files("iml.llm").joinpath("prices.json").read_text())
    if user_file:
        try:
            prices.update(json.loads(Path(user_file).read_text()))
        except (OSError, ValueError) as exc:
            raise LLMConfigError(f"price file {user_file} cannot be read: {exc}",
                                 hint='a JSON object {"provider:model": {"input": USD_per_1M, "output": USD_per_1M}}')
    return {k: v for k, v in prices.items() if not k.startswith("_")}


def price_of(spec: LLMSpec, prices: dict[str, dict]) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens, or None when the table does not know the model."""
    entry = prices.get(str(spec)) or prices.get(f"{spec.provider}:*")
    return None if entry is None else (float(entry["input"]), float(entry["output"]))


# ---------------------------------------------------------------------------- replies
@dataclass
class Reply:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cost_usd: float | None = 0.0
    attempts: int = 1
    extra: dict = field(default_factory=dict)


_FENCE = re.compile(r"```([A-Za-z0-9_+-]*)[ \t]*\n(.*?)```", re.DOTALL)


def extract_json(text: str):
    """The JSON object of a reply: a ```json fence, any fence holding an object, or the bare outermost braces."""
    candidates = [body for lang, body in _FENCE.findall(text) if lang.lower() in ("json", "")]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start:end + 1])
    last_error = "no JSON object in the reply"
    for body in candidates:
        try:
            return json.loads(body)
        except ValueError as exc:
            last_error = f"invalid JSON: {exc}"
    raise ValueError(last_error)


def extract_code(text: str) -> str:
    """The last ```python block of a reply, or the whole reply when it is bare code that compiles."""
    blocks = [body for lang, body in _FENCE.findall(text) if lang.lower() in ("python", "py", "python3", "")]
    if blocks:
        return blocks[-1].strip() + "\n"
    bare = text.strip()
    try:
        ast.parse(bare)
    except SyntaxError:
        raise ValueError("no ```python fenced block, and the reply is not Python code by itself") from None
    if not bare:
        raise ValueError("the reply is empty")
    return bare + "\n"


# ---------------------------------------------------------------------------- the client
class LLM:
    """One configured model. ``complete`` retries transport faults; ``structured`` and ``code`` re-ask bad answers."""

    def __init__(self, spec: str | LLMSpec, base_url: str | None = None, max_cost: float | None = None,
                 prices_file: str | None = None, on_call: Callable[[dict], None] | None = None,
                 attempts: int = 4, backoff_s: float = 1.0, timeout_s: float = 120.0, reasks: int = 2,
                 spent_usd: float = 0.0, temperature: float | None = 0.2, time_cap_s: float | None = None,
                 seconds_used: float = 0.0, reply_caps: dict[str, int] | None = None):
        self.spec = spec if isinstance(spec, LLMSpec) else LLMSpec.parse(spec)
        provider = PROVIDERS[self.spec.provider]
        chosen = provider.user_base_url(base_url)
        self.base_url = chosen or provider.base_url
        key = os.environ.get(provider.key_env) if provider.key_env else None
        if provider.key_required and not key and chosen is None:
            raise LLMConfigError(f"{self.spec.provider} needs an API key in ${provider.key_env}.",
                                 hint=f"export {provider.key_env}=... (keys are read from the environment only)")
        self.price = price_of(self.spec, load_prices(prices_file))
        if max_cost is not None and self.price is None:
            raise LLMConfigError(f"--max-cost needs a price for {self.spec}, and the price table has none.",
                                 hint='pass --llm-prices FILE with {"%s": {"input": X, "output": Y}} '
                                      "(USD per 1M tokens)" % self.spec)
        self.max_cost = max_cost
        self.spent_usd = spent_usd
        self.on_call = on_call or (lambda record: None)
        self.attempts, self.backoff_s, self.reasks = attempts, backoff_s, reasks
        # Seconds of waiting on the provider the whole run may spend: a slow local model must not
        # eat the time the expert needs to train (a timed-out request may still hold the server).
        self.timeout_s, self.time_cap_s, self.seconds_used = timeout_s, time_cap_s, seconds_used
        # Longest reply (tokens) per purpose: a small model that rambles stops there instead of at its context end.
        self.reply_caps = reply_caps or {}
        self.temperature = temperature
        self._completions: list[int] = []
        self.protocol = provider.protocol
        module, extra = SDKS[self.protocol]
        try:
            self._sdk = importlib.import_module(module)
        except ImportError:
            raise LLMConfigError(f"the {self.spec.provider} provider needs the `{module}` package, "
                                 "which is not installed.", hint=install_hint(extra)) from None
        # The key goes to the SDK object and nowhere else; local servers accept any placeholder.
        client_cls = self._sdk.Anthropic if self.protocol == "anthropic" else self._sdk.OpenAI
        self._client = client_cls(base_url=self.base_url, api_key=key or "not-needed", max_retries=0,
                                  timeout=timeout_s)

    # -- accounting -------------------------------------------------------------------
    def cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        if self.price is None:
            return None
        return (prompt_tokens * self.price[0] + completion_tokens * self.price[1]) / 1e6

    def estimate(self, messages: list[dict]) -> float:
        """Expected cost of one more call with these messages (about four characters per token)."""
        prompt = sum(len(m["content"]) for m in messages) // 4 + 8 * len(messages)
        completion = (sum(self._completions) // len(self._completions)) if self._completions else EXPECTED_COMPLETION_TOKENS
        return self.cost(prompt, completion) or 0.0

    def _log(self, purpose: str, outcome: str, attempt: int, **fields) -> None:
        self.on_call({"model": str(self.spec), "purpose": purpose, "attempt": attempt, "outcome": outcome,
                      "spent_usd": round(self.spent_usd, 6), **fields})

    # -- one completion, transport faults retried -------------------------------------
    def _create(self, messages: list[dict], timeout: float, cap: int | None) -> tuple[str, int, int]:
        """One request to the provider: (text, prompt tokens, completion tokens). Every wait counts
        against the time cap, whatever came of it."""
        began = time.monotonic()
        try:
            return self._request(messages, timeout, cap)
        finally:
            self.seconds_used += time.monotonic() - began

    def _request(self, messages: list[dict], timeout: float, cap: int | None) -> tuple[str, int, int]:
        if self.protocol == "anthropic":
            # The Messages API takes the system prompt apart from the turns. No temperature: recent SDKs
            # and models no longer take one, and the model's own sampling is fine for iml's prompts.
            system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
            turns = [{"role": m["role"], "content": m["content"]} for m in messages if m["role"] != "system"]
            kwargs = {"system": system} if system else {}
            response = self._client.messages.create(model=self.spec.model, max_tokens=cap or ANTHROPIC_MAX_TOKENS,
                                                    messages=turns, timeout=timeout, **kwargs)
            text = "".join(getattr(b, "text", "") for b in (response.content or []) if getattr(b, "type", "") == "text")
            usage = getattr(response, "usage", None)
            return (text, int(getattr(usage, "input_tokens", 0) or 0), int(getattr(usage, "output_tokens", 0) or 0))
        kwargs = {"temperature": self.temperature} if self.temperature is not None else {}
        if cap:
            kwargs["max_tokens"] = cap
        response = self._client.chat.completions.create(model=self.spec.model, messages=messages, timeout=timeout,
                                                        **kwargs)
        usage = getattr(response, "usage", None)
        choices = getattr(response, "choices", None) or []
        text = (choices[0].message.content or "") if choices else ""
        return (text, int(getattr(usage, "prompt_tokens", 0) or 0), int(getattr(usage, "completion_tokens", 0) or 0))

    def complete(self, messages: list[dict], purpose: str) -> Reply:
        sdk = self._sdk  # openai and anthropic name their exceptions alike
        last = ""
        for attempt in range(1, self.attempts + 1):
            if self.max_cost is not None and self.spent_usd + self.estimate(messages) > self.max_cost:
                self._log(purpose, "budget_exhausted", attempt, max_cost=self.max_cost)
                raise BudgetExhausted(f"the next LLM call ({purpose}) would cross --max-cost "
                                      f"${self.max_cost:.4f} (spent ${self.spent_usd:.4f}).",
                                      hint="raise --max-cost; the run goes on with the expert brain")
            timeout = self._request_timeout(purpose, attempt)
            began = time.monotonic()
            try:
                text, prompt_tokens, completion_tokens = self._create(messages, timeout, self.reply_caps.get(purpose))
            except (sdk.RateLimitError, sdk.InternalServerError, sdk.APITimeoutError, sdk.APIConnectionError) as exc:
                # Subclasses count as their parent (anthropic's 529 OverloadedError is a server error).
                outcome = next((name for cls, name in ((sdk.RateLimitError, "rate_limited"),
                                                        (sdk.InternalServerError, "server_error"),
                                                        (sdk.APITimeoutError, "timeout")) if isinstance(exc, cls)),
                               "connection_error")
                last = f"{outcome}: {_short(exc)}"
                self._log(purpose, outcome, attempt, latency_s=round(time.monotonic() - began, 3), error=_short(exc))
                self._sleep(attempt)
                continue
            except (sdk.AuthenticationError, sdk.PermissionDeniedError, sdk.NotFoundError) as exc:
                self._log(purpose, "refused", attempt, error=_short(exc))
                raise LLMUnavailable(f"{self.spec} at {self.base_url} refused the call: {_short(exc)}",
                                     hint="check the model name and the key's environment variable") from None
            except sdk.APIStatusError as exc:  # 400 and the like: this request is bad, the service is fine
                self._log(purpose, "bad_request", attempt, error=_short(exc))
                raise LLMError(f"{self.spec} rejected the {purpose} request: {_short(exc)}") from None
            except sdk.APIError as exc:  # a body the SDK could not read
                last = f"unreadable reply: {_short(exc)}"
                self._log(purpose, "unreadable", attempt, latency_s=round(time.monotonic() - began, 3),
                          error=_short(exc))
                self._sleep(attempt)
                continue
            latency = round(time.monotonic() - began, 3)
            cost = self.cost(prompt_tokens, completion_tokens)
            self.spent_usd += cost or 0.0
            self._completions.append(completion_tokens)
            fields = dict(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, latency_s=latency,
                          cost_usd=None if cost is None else round(cost, 6))
            if not text.strip():
                last = "empty reply"
                self._log(purpose, "empty", attempt, **fields)
                self._sleep(attempt)
                continue
            self._log(purpose, "ok", attempt, **fields)
            return Reply(text=text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                         latency_s=latency, cost_usd=cost, attempts=attempt)
        if last.startswith(("connection_error", "timeout", "rate_limited", "server_error")):
            raise LLMUnavailable(f"{self.spec} at {self.base_url} failed {self.attempts} times: {last}",
                                 hint="check that the server runs (`iml doctor`); the run goes on with the expert")
        raise ReplyInvalid(f"{self.spec} gave no usable reply for {purpose} in {self.attempts} attempts: {last}")

    def _request_timeout(self, purpose: str, attempt: int) -> float:
        if self.time_cap_s is None:
            return self.timeout_s
        left = self.time_cap_s - self.seconds_used
        if left < 2.0:
            self._log(purpose, "time_exhausted", attempt, seconds_used=round(self.seconds_used, 1))
            raise LLMUnavailable(f"LLM calls have used the {self.time_cap_s:.0f}s of the run's time budget they "
                                 f"may take ({self.spec} at {self.base_url} is too slow for this budget).",
                                 hint="raise --time-budget or use a faster model; the run goes on with the expert")
        return min(self.timeout_s, left)

    def _sleep(self, attempt: int) -> None:
        if attempt < self.attempts:
            time.sleep(self.backoff_s * 2 ** (attempt - 1))

    # -- answers that must parse ------------------------------------------------------
    def structured(self, messages: list[dict], model_cls: type[BaseModel], purpose: str,
                   check: Callable[[BaseModel], list[str]] | None = None) -> BaseModel:
        """A pydantic object; invalid JSON or a failed validation is sent back with the errors."""

        def parse(text: str):
            try:
                data = extract_json(text)
            except ValueError as exc:
                return None, [str(exc)]
            try:
                obj = model_cls.model_validate(data)
            except ValidationError as exc:
                return None, [f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors()[:20]]
            problems = check(obj) if check else []
            return (None, problems) if problems else (obj, [])

        reask = ("Your reply could not be used:\n{problems}\nReply again with the corrected JSON object only "
                 "(a valid " + model_cls.__name__ + ").")
        return self._ask_until(messages, purpose, parse, reask)

    def code(self, messages: list[dict], purpose: str, check: Callable[[str], list[str]] | None = None) -> str:
        """Python source from the last fenced block; code that does not compile or misses the shape is re-asked."""

        def parse(text: str):
            try:
                source = extract_code(text)
                compile(source, purpose, "exec")
            except (ValueError, SyntaxError) as exc:
                return None, [f"{type(exc).__name__}: {exc}"]
            problems = check(source) if check else []
            return (None, problems) if problems else (source, [])

        return self._ask_until(messages, purpose, parse,
                               "Your reply could not be used:\n{problems}\nReply again with the whole corrected "
                               "module in one ```python fenced block.")

    def _ask_until(self, messages: list[dict], purpose: str, parse, reask: str):
        messages = list(messages)
        for round_ in range(self.reasks + 1):
            reply = self.complete(messages, purpose)
            result, problems = parse(reply.text)
            if not problems:
                return result
            self._log(purpose, "reasked" if round_ < self.reasks else "invalid", round_ + 1,
                      problems=[p[:300] for p in problems[:5]])
            messages += [{"role": "assistant", "content": reply.text},
                         {"role": "user", "content": reask.format(problems="\n".join(f"- {p}" for p in problems))}]
        raise ReplyInvalid(f"{purpose}: the reply stayed unusable after {self.reasks} re-ask(s): "
                           + "; ".join(problems)[:500])


def _short(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def probe(base_url: str, timeout_s: float = 3.0) -> tuple[bool, str]:
    """Does the base URL answer at all (GET /models)? For `iml doctor`; any HTTP answer counts as reachable."""
    import urllib.error
    import urllib.request

    url = base_url.rstrip("/") + "/models"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return True, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return True, f"HTTP {exc.code} (answers; a key may be needed)"
    except (urllib.error.URLError, OSError) as exc:
        return False, str(getattr(exc, "reason", exc))

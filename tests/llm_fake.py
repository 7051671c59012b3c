"""A real HTTP server speaking the chat-completions protocol and Anthropic's Messages API, replaying scripted replies.

The LLM tests reach it through the real `openai` client (``url``, POST /v1/chat/completions)
and the real `anthropic` client (``anthropic_url``, POST /v1/messages), so request building,
status handling and parsing are the SDKs' own. Replies are taken from a queue
(``enqueue``); when the queue is empty a ``responder(request)`` may answer by
looking at the prompt. Every request is recorded for assertions on prompts.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Scripted:
    text: str | None = None
    status: int = 200
    prompt_tokens: int = 50
    completion_tokens: int = 50
    delay_s: float = 0.0
    body: str | None = None  # raw body instead of a completion (malformed responses)


class FakeLLMServer:
    def __init__(self, responder: Callable[[dict], Scripted | str] | None = None):
        self.queue: deque[Scripted] = deque()
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.paths: list[str] = []
        self.responder = responder
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):  # /v1/models, for `iml doctor`
                self._send(200, json.dumps({"object": "list", "data": [{"id": "fake", "object": "model"}]}))

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                request = json.loads(self.rfile.read(length) or b"{}")
                messages_api = self.path.rstrip("/").endswith("/v1/messages")
                with server._lock:
                    server.requests.append(request)
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                    server.paths.append(self.path)
                    item = server.queue.popleft() if server.queue else None
                if item is None and server.responder is not None:
                    try:
                        item = server.responder(request)
                    except Exception as exc:  # a broken script shows up as a server error, not a hang
                        self._send(500, json.dumps({"error": {"message": f"responder: {exc!r}"}}))
                        return
                if isinstance(item, str):
                    item = Scripted(text=item)
                if item is None:
                    self._send(500, json.dumps({"error": {"message": "script exhausted", "type": "server_error"}}))
                    return
                if item.delay_s:
                    time.sleep(item.delay_s)
                if item.body is not None:
                    self._send(item.status, item.body)
                elif item.status != 200:
                    error = {"message": f"scripted {item.status}", "type": "scripted"}
                    self._send(item.status, json.dumps({"type": "error", "error": error} if messages_api
                                                       else {"error": error}))
                elif messages_api:
                    self._send(200, json.dumps(message(request.get("model", "fake"), item)))
                else:
                    self._send(200, json.dumps(completion(request.get("model", "fake"), item)))

            def _send(self, status: int, body: str):
                data = body.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def anthropic_url(self) -> str:
        """The anthropic SDK's base URL: it appends /v1/messages itself."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def enqueue(self, *items: Scripted | str) -> None:
        for item in items:
            self.queue.append(Scripted(text=item) if isinstance(item, str) else item)

    def prompts(self) -> list[str]:
        """The last user message of every request, in order."""
        return [[m for m in r["messages"] if m["role"] == "user"][-1]["content"] for r in self.requests]

    def __enter__(self) -> "FakeLLMServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def completion(model: str, item: Scripted) -> dict:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": item.text}}],
        "usage": {"prompt_tokens": item.prompt_tokens, "completion_tokens": item.completion_tokens,
                  "total_tokens": item.prompt_tokens + item.completion_tokens},
    }


def message(model: str, item: Scripted) -> dict:
    """A Messages API reply; an empty text is an empty content list, as the API sends when nothing was said."""
    return {
        "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": item.text}] if item.text else [],
        "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": item.prompt_tokens, "output_tokens": item.completion_tokens},
    }


def closed_port_url() -> str:
    """A base URL where nothing listens (connection refused)."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/v1"

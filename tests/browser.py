"""A real headless chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON
messages ending in NUL on file descriptors 3 and 4), so the tests need no websocket or browser package."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--mute-audio"]


def chromium() -> str | None:
    """The browser's path, or None when it is not installed."""
    return CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")


@dataclass
class PageVisit:
    """What loading one page showed: console errors, uncaught exceptions, failed requests, DOM facts."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    evaluated: object = None
    screenshot: bytes = b""


class Browser:
    def __init__(self, timeout_s: float = 60.0):
        path = chromium()
        if path is None:
            raise FileNotFoundError("chromium is not installed")
        self.profile = tempfile.mkdtemp(prefix="iml-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # Above 3 and 4, so that placing them there in the child never overwrites one with the other.
        to_browser_r, from_browser_w = (_above(to_browser_r), _above(from_browser_w))
        # The child reads commands on fd 3 and writes replies on fd 4.
        self.proc = subprocess.Popen(
            [path, *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            pass_fds=(3, 4), preexec_fn=_dup_fds(to_browser_r, from_browser_w))
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.deadline = time.monotonic() + timeout_s
        self._next_id, self._buffer, self._pending = 0, b"", []

    # -- protocol -------------------------------------------------------------------
    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._pending.append(reply)

    def events(self) -> list[dict]:
        pending, self._pending = self._pending, []
        return pending

    def wait_for(self, method: str) -> dict:
        while True:
            for i, event in enumerate(self._pending):
                if event.get("method") == method:
                    return self._pending[i]
            self._pending.append(self._read())

    def _read(self) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > self.deadline:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError(f"chromium exited: {self.proc.stderr.read().decode(errors='replace')[-2000:]}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    # -- one page ---------------------------------------------------------------------
    def visit(self, url: str, script: str, width: int = 1200) -> PageVisit:
        """Open ``url``, wait for its load event, evaluate ``script`` (a JSON-returning expression) and take a
        full-page screenshot."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired")
        visit = PageVisit()
        visit.evaluated = json.loads(self.send("Runtime.evaluate", {"expression": script, "returnByValue": True},
                                               session=session)["result"]["value"])
        metrics = self.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
        shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": {
            "x": 0, "y": 0, "width": metrics["width"], "height": metrics["height"], "scale": 1}}, session=session)
        visit.screenshot = base64.b64decode(shot["data"])
        for event in self.events():
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                visit.errors.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                           for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                visit.errors.append("exception: " + json.dumps(params.get("exceptionDetails", {}))[:500])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                visit.errors.append("log: " + params["entry"].get("text", ""))
            elif method == "Network.requestWillBeSent":
                visit.requests.append(params["request"]["url"])
            elif method == "Network.loadingFailed":
                visit.errors.append(f"request failed: {params.get('errorText')}")
        return visit

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:  # it may be gone already
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)


def _above(fd: int, lowest: int = 10) -> int:
    import fcntl

    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, lowest)
    os.close(fd)
    return moved


def _dup_fds(read_end: int, write_end: int):
    def setup() -> None:
        os.dup2(read_end, 3)
        os.dup2(write_end, 4)
    return setup

"""The sandbox: generated code runs here, never inside the iml process.

What it isolates: each execution is a subprocess in its own session (so the whole
process group can be killed), with a wall-clock limit, an address-space limit
(RLIMIT_AS), its own working folder, an environment stripped of secrets, and its
stdout/stderr captured to files. Afterwards the data folder is fingerprinted again
and any change is reported. What it does not isolate: the file system and the
network are reachable with the user's permissions; this is a guard against
accidents of generated code, not a jail for hostile code.
"""

from __future__ import annotations

import hashlib
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from pydantic import BaseModel

SECRET_PATTERN = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)", re.IGNORECASE)
KILL_GRACE_S = 3.0


class SandboxResult(BaseModel):
    command: list[str]
    returncode: int | None
    timed_out: bool
    memory_exceeded: bool
    seconds: float
    stdout_path: str
    stderr_path: str
    data_changed: list[str] = []

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.data_changed

    def stderr_tail(self, chars: int = 4000) -> str:
        text = Path(self.stderr_path).read_text(errors="replace")
        return text[-chars:]


def clean_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not SECRET_PATTERN.search(k)}
    # Keep numeric libraries from oversubscribing the cores the sandbox was given.
    env.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
    # Spinning OpenMP workers (LightGBM, XGBoost) slow a fit 100x+ when any other process wants the cores.
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def fingerprint(folder: Path, hash_limit_bytes: int = 64 * 1024 * 1024) -> dict[str, str]:
    """size + mtime for every file, and a content hash for files small enough to hash quickly."""
    prints = {}
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file():
            continue
        stat = path.stat()
        digest = f"{stat.st_size}:{stat.st_mtime_ns}"
        if stat.st_size <= hash_limit_bytes and path.parent == Path(folder):
            digest += ":" + hashlib.sha256(path.read_bytes()).hexdigest()
        prints[str(path.relative_to(folder))] = digest
    return prints


def _limits(memory_bytes: int | None):
    parent = os.getpid()
    prctl = _prctl()  # looked up here: after fork only the call itself runs

    def apply() -> None:
        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        if prctl is not None:
            # SIGKILL the child when iml dies (kill -9, SIGTERM), so no generated code runs on orphaned.
            prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            if os.getppid() != parent:  # iml died before prctl took effect
                os._exit(1)
    return apply


def _prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def run(
    args: list[str],
    workdir: Path,
    log_dir: Path,
    timeout_s: float,
    memory_mb: int | None = None,
    watch: Path | None = None,
    env: dict[str, str] | None = None,
    on_line=None,
) -> SandboxResult:
    """Run ``python args...`` in ``workdir``; never raises for what the child does."""
    log_dir.mkdir(parents=True, exist_ok=True)
    stdout_path, stderr_path = log_dir / "stdout.txt", log_dir / "stderr.txt"
    before = fingerprint(watch) if watch else None
    command = [sys.executable, *args]
    started = time.monotonic()
    timed_out = False
    with open(stdout_path, "w") as out, open(stderr_path, "w") as err:
        proc = subprocess.Popen(
            command, cwd=workdir, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
            env=clean_environment(env), start_new_session=True,
            preexec_fn=_limits(memory_mb * 1024 * 1024 if memory_mb else None), text=True, bufsize=1,
        )
        timed_out = _pump(proc, out, on_line, started + timeout_s)
    seconds = time.monotonic() - started
    stderr_text = stderr_path.read_text(errors="replace")[-20000:]
    memory_exceeded = bool(re.search(r"MemoryError|std::bad_alloc|Cannot allocate memory|out of memory",
                                     stderr_text))
    changed = []
    if watch:
        after = fingerprint(watch)
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return SandboxResult(command=[str(c) for c in command], returncode=proc.returncode, timed_out=timed_out,
                         memory_exceeded=memory_exceeded, seconds=round(seconds, 2),
                         stdout_path=str(stdout_path), stderr_path=str(stderr_path), data_changed=changed)


def _pump(proc: subprocess.Popen, out, on_line, deadline: float) -> bool:
    """Copy the child's stdout line by line; a watchdog kills the process group at the deadline."""
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        _kill(proc)

    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        for line in proc.stdout:
            out.write(line)
            out.flush()
            if on_line:
                on_line(line.rstrip("\n"))
        proc.wait()
    except BaseException:  # Ctrl-C or an error in on_line: leave no generated code running
        _kill(proc)
        raise
    finally:
        watchdog.cancel()
    return fired.is_set()


def _kill(proc: subprocess.Popen) -> None:
    """SIGTERM the whole process group, then SIGKILL whatever is left."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=KILL_GRACE_S)
            return
        except subprocess.TimeoutExpired:
            continue

"""The sandbox runs generated code in a child process: limits, secrets, data watch, cleanup."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from iml.integration import sandbox


def script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def run(tmp_path: Path, body: str, timeout_s: float = 30, **kw) -> sandbox.SandboxResult:
    code = script(tmp_path, "child.py", body)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return sandbox.run([str(code)], workdir=work, log_dir=tmp_path / "logs", timeout_s=timeout_s, **kw)


def test_success_captures_stdout_and_runs_in_workdir(tmp_path: Path) -> None:
    lines: list[str] = []
    result = run(tmp_path, """
        import os, sys
        print("hello from the child")
        print("cwd=" + os.getcwd())
        print("warning on stderr", file=sys.stderr)
    """, on_line=lines.append)
    assert result.returncode == 0
    assert result.ok and not result.timed_out and not result.memory_exceeded
    stdout = Path(result.stdout_path).read_text()
    assert "hello from the child" in stdout
    assert f"cwd={(tmp_path / 'work').resolve()}" in stdout
    assert "warning on stderr" in Path(result.stderr_path).read_text()
    assert "hello from the child" not in Path(result.stderr_path).read_text()
    assert lines[0] == "hello from the child"  # streamed line by line, newline stripped
    assert Path(result.stdout_path).parent == tmp_path / "logs"


def test_exception_gives_nonzero_exit_and_traceback_in_stderr(tmp_path: Path) -> None:
    result = run(tmp_path, """
        def load():
            raise ValueError("column 'age' is missing")
        load()
    """)
    assert result.returncode not in (0, None)
    assert not result.ok and not result.timed_out
    stderr = Path(result.stderr_path).read_text()
    assert "Traceback (most recent call last)" in stderr
    assert "ValueError: column 'age' is missing" in stderr
    assert "column 'age' is missing" in result.stderr_tail(200)


def test_infinite_loop_is_killed_at_the_wall_clock_limit(tmp_path: Path) -> None:
    began = time.monotonic()
    result = run(tmp_path, """
        print("spinning", flush=True)
        while True:
            pass
    """, timeout_s=2)
    elapsed = time.monotonic() - began
    assert result.timed_out
    assert result.returncode != 0
    assert not result.ok
    assert 1.5 <= elapsed < 2 + sandbox.KILL_GRACE_S + 3
    assert "spinning" in Path(result.stdout_path).read_text()


def test_sigterm_ignoring_child_is_killed_too(tmp_path: Path) -> None:
    began = time.monotonic()
    result = run(tmp_path, """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            time.sleep(0.05)
    """, timeout_s=1)
    assert result.timed_out
    assert time.monotonic() - began < 1 + 2 * sandbox.KILL_GRACE_S + 3


def test_memory_hog_fails_with_memory_exceeded(tmp_path: Path) -> None:
    result = run(tmp_path, """
        hog = []
        while True:
            hog.append(bytearray(2 * 1024 ** 3))
    """, memory_mb=500)
    assert result.returncode not in (0, None)
    assert result.memory_exceeded
    assert not result.timed_out
    assert "MemoryError" in Path(result.stderr_path).read_text()


def test_gradual_numpy_hog_is_stopped_by_the_memory_limit(tmp_path: Path) -> None:
    result = run(tmp_path, """
        import numpy as np
        chunks = []
        for _ in range(100):
            chunks.append(np.ones(50 * 1024 * 1024 // 8))  # 50 MB each, 5 GB in all
        print("allocated everything")
    """, memory_mb=600)
    assert result.memory_exceeded
    assert result.returncode != 0
    assert "allocated everything" not in Path(result.stdout_path).read_text()


def test_without_limit_memory_is_not_flagged(tmp_path: Path) -> None:
    result = run(tmp_path, "x = bytearray(50 * 1024 ** 2)\nprint(len(x))\n", memory_mb=None)
    assert result.returncode == 0 and not result.memory_exceeded


def test_secrets_are_not_visible_to_the_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {
        "OPENAI_API_KEY": "sk-test-openai-0123456789",
        "MY_SERVICE_TOKEN": "tok-very-secret-9876",
        "DB_PASSWORD": "hunter2-db-password",
        "AWS_SECRET_ACCESS_KEY": "aws-secret-abcdef",
    }
    for key, value in secrets.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("IML_TEST_HARMLESS", "visible-value")
    result = run(tmp_path, """
        import json, os
        with open("environ.json", "w") as fh:
            json.dump(dict(os.environ), fh)
    """, env={"IML_EXTRA": "passed-in"})
    assert result.returncode == 0
    dumped = (tmp_path / "work" / "environ.json").read_text()
    environ = json.loads(dumped)
    for key, value in secrets.items():
        assert key not in environ
        assert value not in dumped
    # The environment is filtered, not emptied: ordinary variables and explicit extras get through.
    assert environ["IML_TEST_HARMLESS"] == "visible-value"
    assert environ["IML_EXTRA"] == "passed-in"
    assert "PATH" in environ
    # Nothing was written into the logs either.
    logs = Path(result.stdout_path).read_text() + Path(result.stderr_path).read_text()
    assert all(value not in logs for value in secrets.values())


def test_writes_into_the_watched_data_folder_are_reported(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text("a,b\n1,2\n")
    (data / "test.csv").write_text("a\n1\n")
    result = run(tmp_path, f"""
        from pathlib import Path
        data = Path({str(data)!r})
        (data / "train.csv").write_text("a,b\\n9,9\\n")
        (data / "leak.csv").write_text("x\\n")
    """, watch=data)
    assert result.returncode == 0
    assert sorted(result.data_changed) == ["leak.csv", "train.csv"]
    assert not result.ok  # a run that touched the data is not a good run


def test_reading_the_watched_folder_is_not_a_change(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    (data / "train.csv").write_text("a,b\n1,2\n")
    (data / "images" / "0.png").write_bytes(b"\x89PNG fake")
    result = run(tmp_path, f"""
        from pathlib import Path
        for p in Path({str(data)!r}).rglob("*"):
            if p.is_file():
                p.read_bytes()
    """, watch=data)
    assert result.returncode == 0
    assert result.data_changed == []
    assert result.ok


def test_grandchild_is_killed_with_the_process_group_on_timeout(tmp_path: Path) -> None:
    result = run(tmp_path, """
        import subprocess, sys, time
        grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        with open("pids.txt", "w") as fh:
            fh.write(f"{grandchild.pid}\\n")
        while True:
            time.sleep(0.1)
    """, timeout_s=3)
    assert result.timed_out
    pid = int((tmp_path / "work" / "pids.txt").read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not _alive(pid):
            break
        time.sleep(0.1)
    assert not _alive(pid), "the grandchild outlived the sandbox"
    assert not [p for p in psutil.Process().children(recursive=True) if _alive(p.pid)]


def test_child_is_killed_when_the_caller_is_interrupted(tmp_path: Path) -> None:
    """Ctrl-C (or any exception in the caller while it waits) must not leave generated code running."""
    def interrupt(line: str) -> None:
        if line.startswith("pid="):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, """
            import os, time
            print(f"pid={os.getpid()}", flush=True)
            time.sleep(600)
        """, timeout_s=60, on_line=interrupt)
    pid = int(Path(tmp_path / "logs" / "stdout.txt").read_text().split("pid=")[1].split()[0])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    assert not _alive(pid)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_child_dies_when_the_iml_process_is_killed(tmp_path: Path, sig: int) -> None:
    """`iml run` killed from outside must not leave its generated code running on as an orphan."""
    child = script(tmp_path, "child.py", """
        import os, time
        open("child.pid", "w").write(str(os.getpid()))
        time.sleep(600)
    """)
    driver = script(tmp_path, "driver.py", f"""
        from pathlib import Path
        from iml.integration import sandbox
        sandbox.run([{str(child)!r}], workdir=Path({str(tmp_path)!r}), log_dir=Path({str(tmp_path / "logs")!r}),
                    timeout_s=600)
    """)
    proc = subprocess.Popen([sys.executable, str(driver)], cwd=tmp_path)
    pid_file = tmp_path / "child.pid"
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    assert _alive(pid)
    proc.send_signal(sig)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    alive = _alive(pid)
    if alive:
        os.kill(pid, signal.SIGKILL)
    assert not alive, "generated code kept running after iml was killed"


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_clean_environment_keeps_threads_bounded() -> None:
    env = sandbox.clean_environment()
    assert int(env["OMP_NUM_THREADS"]) >= 1
    # Busy-waiting OpenMP workers make a fit 100x slower as soon as another process wants a core.
    assert env["OMP_WAIT_POLICY"].upper() == "PASSIVE"
    assert env["PYTHONUNBUFFERED"] == "1"


def test_environment_filter_does_not_leak_into_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_API_KEY", "abc")
    env = sandbox.clean_environment()
    assert "SOME_API_KEY" not in env
    assert os.environ["SOME_API_KEY"] == "abc"

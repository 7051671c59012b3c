"""The LLM options through the real command line: estimate, config errors, doctor."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from llm_fake import FakeLLMServer, closed_port_url
from test_llm_runs import Script


def iml(*args, cwd: Path, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "iml.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def test_llm_run_prints_the_estimate_and_finishes(binary_task: Path, tmp_path: Path) -> None:
    with FakeLLMServer(responder=Script()) as server:
        proc = iml("run", binary_task, "--time-budget", 20, "--tracks", "traditional", "--run-dir", tmp_path / "run",
                   "--llm", "openai:gpt-4o-mini", "--llm-base-url", server.url, "--max-cost", "0.5", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "LLM: openai:gpt-4o-mini at http://127.0.0.1" in proc.stderr
    assert "estimated $" in proc.stderr and "hard cap $0.5000" in proc.stderr
    assert "calls ok" in proc.stderr
    assert (tmp_path / "run" / "code" / "model_llm.py").exists()
    assert (tmp_path / "run" / "submission.csv").exists()


def test_missing_key_is_a_clear_error_before_any_run_folder(binary_task: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    proc = subprocess.run([sys.executable, "-m", "iml.cli", "run", str(binary_task), "--llm", "openai:gpt-4o-mini",
                           "--run-dir", str(tmp_path / "run")], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env=env)
    assert proc.returncode == 2
    assert "OPENAI_API_KEY" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "run").exists()
    proc = iml("run", binary_task, "--llm", "nonsense", cwd=tmp_path)
    assert proc.returncode == 2 and "PROVIDER:MODEL" in proc.stderr


def test_doctor_probes_the_configured_provider(tmp_path: Path) -> None:
    with FakeLLMServer() as server:
        proc = iml("doctor", "--llm", "vllm:my-model", "--llm-base-url", server.url, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "vllm:my-model is configured and answers" in proc.stdout
    assert "OPENAI_API_KEY" in proc.stdout  # the table of providers and their key variables
    proc = iml("doctor", "--llm", "llamacpp:gemma", "--llm-base-url", closed_port_url(), cwd=tmp_path)
    assert proc.returncode == 2 and "does not answer" in " ".join(proc.stderr.split())

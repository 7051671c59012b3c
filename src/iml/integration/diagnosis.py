"""Error Analyzer: from the sandbox outcome, the traceback and the contract diff to one blamed module."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from iml.errors import ContractViolation
from iml.integration.sandbox import SandboxResult

FailureClass = Literal["contract_fulfillment", "contract_usage", "environment", "data", "integration"]

_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
_FITTING = re.compile(r"fitting (\w+)/(\w+)")
# Errors raised while reading the user's files: the data, not the code, needs attention.
_DATA_ERROR = re.compile(r"(ParserError|EmptyDataError|UnicodeDecodeError|FileNotFoundError|"
                         r"are not among the contract's classes)[^\n]*")
_MISSING_PACKAGE = re.compile(r"(ModuleNotFoundError|ImportError): (.*)")


class Diagnosis(BaseModel):
    failure: FailureClass
    module: str  # e.g. code/preprocess.py, code/model_traditional.py, pipeline.py
    candidate: str | None = None  # track/learner when one candidate failed
    cause: str  # timeout | memory | missing_package | exception | contract
    evidence: str


def blamed_file(traceback_text: str) -> str | None:
    """The innermost frame that belongs to generated code."""
    blamed = None
    for path, _line in _FRAME.findall(traceback_text):
        name = Path(path).name
        if name.startswith(("preprocess", "model_")):  # preprocess.py, preprocess_llm.py, model_<track>.py
            blamed = f"code/{name}"
        elif name == "pipeline.py" and blamed is None:
            blamed = "pipeline.py"
    return blamed


def diagnose(result: SandboxResult, violations: list[ContractViolation],
             candidate_tracebacks: dict[str, str]) -> list[Diagnosis]:
    """All failures of one verification run, most fundamental first (preprocessing before modeling)."""
    found: list[Diagnosis] = []
    feature_problems = [v for v in violations if v.module.startswith("code/preprocess")]
    failing_preprocessors = list(dict.fromkeys(v.module for v in feature_problems))  # the expert's, the LLM's
    for prep_module in failing_preprocessors:
        found.append(Diagnosis(failure="contract_fulfillment", module=prep_module, cause="contract",
                               evidence="; ".join(v.message for v in feature_problems if v.module == prep_module)))
    if result.timed_out:
        module, candidate = _stage_of(result)
        found.append(Diagnosis(failure="environment", module=module, candidate=candidate, cause="timeout",
                               evidence=f"killed after {result.seconds:.0f}s (wall-clock limit)"))
    elif result.memory_exceeded:
        tail = result.stderr_tail()
        found.append(Diagnosis(failure="environment", module=blamed_file(tail) or "pipeline.py", cause="memory",
                               evidence=_last_line(tail)))
    elif result.returncode not in (0, None) and not candidate_tracebacks:
        tail = result.stderr_tail()
        module = blamed_file(tail) or "pipeline.py"
        missing = _MISSING_PACKAGE.search(tail)
        data = _DATA_ERROR.search(tail)
        if missing:
            found.append(Diagnosis(failure="environment", module=module, cause="missing_package",
                                   evidence=missing.group(0)))
        elif data:
            found.append(Diagnosis(failure="data", module=module, cause="exception", evidence=data.group(0)))
        elif not feature_problems:
            failure = "contract_fulfillment" if module.startswith("code/preprocess") else (
                "contract_usage" if module.startswith("code/model_") else "integration")
            found.append(Diagnosis(failure=failure, module=module, cause="exception", evidence=_last_line(tail)))
    for candidate, text in candidate_tracebacks.items():
        # A candidate fails while fitting or predicting: its model module, unless preprocessing raised.
        module = blamed_file(text)
        if not module or not module.startswith("code/preprocess"):
            module = f"code/model_{candidate.split('/')[0]}.py"
        if module in failing_preprocessors:
            continue
        failure = "contract_usage" if module.startswith("code/model_") else "contract_fulfillment"
        missing = _MISSING_PACKAGE.search(text)
        found.append(Diagnosis(failure="environment" if missing else failure, module=module, candidate=candidate,
                               cause="missing_package" if missing else "exception",
                               evidence=missing.group(0) if missing else _last_line(text)))
    for v in violations:
        if v.module.startswith("code/model_") or v.module == "pipeline.py":
            found.append(Diagnosis(failure="contract_usage" if v.module != "pipeline.py" else "integration",
                                   module=v.module, cause="contract", evidence=v.message,
                                   candidate=getattr(v, "candidate", None)))
    return found


def _stage_of(result: SandboxResult) -> tuple[str, str | None]:
    """On a timeout there is no traceback: the last progress line tells which stage hung."""
    text = Path(result.stdout_path).read_text(errors="replace")
    fitting = _FITTING.findall(text)
    if "preprocessed" not in text or not fitting:
        return "code/preprocess.py", None
    track, learner = fitting[-1]
    return f"code/model_{track}.py", f"{track}/{learner}"


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else "(no output)"

"""One exception hierarchy: every error says what failed, what came, and what to do."""

from __future__ import annotations


class IMLError(Exception):
    """An error a user can act on. The CLI prints ``message`` and ``hint``, no traceback."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict:
        return {"type": type(self).__name__, "message": self.message, "hint": self.hint}

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  -> {self.hint}"


class DataError(IMLError):
    """The task folder or one of its files cannot be used as it is."""


class TaskInferenceError(IMLError):
    """A fact about the task (target, id, type) could not be found."""


class RunFolderError(IMLError):
    """The run folder is missing, incomplete or would be overwritten."""


class ContractViolation(IMLError):
    """An intermediate result does not match the interface contract."""

    def __init__(self, field: str, expected: str, got: str, module: str):
        super().__init__(
            f"{module}: contract field '{field}' expected {expected}, got {got}.",
            hint=f"repair {module}",
        )
        self.field = field
        self.expected = expected
        self.got = got
        self.module = module

    def to_dict(self) -> dict:
        return {**super().to_dict(), "field": self.field, "expected": self.expected,
                "got": self.got, "module": self.module}


class PipelineFailed(IMLError):
    """No track produced a verified pipeline."""

    exit_code = 3

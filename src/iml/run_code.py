"""A run's own code (code/iml_runtime, preprocess, model_<track>, pipeline.py), imported into this process.

A fitted pipeline unpickles into the classes of the run that fitted it, under the names that run gave
them (``iml_runtime.fitted``, ``preprocess``, ``model_traditional``). Two runs in one process (a notebook
comparing them) use the same names for different code, so each run's modules are kept apart: they are
in ``sys.modules`` only while that run's code is active, and set aside (not lost) otherwise.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Iterator


class RunCode:
    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir).resolve()
        self.paths = [str(self.run_dir / "code"), str(self.run_dir)]  # code/ modules; the mono variant's pipeline.py
        code = self.run_dir / "code"
        self.names = {p.stem for p in code.glob("*.py")} | {p.name for p in code.iterdir() if (p / "__init__.py").exists()}
        self.names.add("pipeline")
        self.modules: dict[str, ModuleType] = {}

    def _owned(self, name: str) -> bool:
        return name.split(".")[0] in self.names

    @contextmanager
    def active(self) -> Iterator[None]:
        """This run's modules importable under their own names for the duration (not thread-safe)."""
        aside = {name: sys.modules.pop(name) for name in list(sys.modules) if self._owned(name)}
        sys.modules.update(self.modules)
        sys.path[:0] = self.paths
        try:
            yield
        finally:
            for path in self.paths:
                sys.path.remove(path)
            self.modules = {name: sys.modules.pop(name) for name in list(sys.modules) if self._owned(name)}
            sys.modules.update(aside)

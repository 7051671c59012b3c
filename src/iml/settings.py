"""Where a run's options come from, lowest to highest: RunOptions' defaults, ``iml.toml`` in the
working folder (or ``[tool.iml]`` in its ``pyproject.toml``), ``IML_<OPTION>`` environment
variables, then what the caller passed (the command line's flags, or ``iml.fit``'s arguments).

The CLI and the Python API both resolve through :func:`resolve`, so a config file means the same
thing to both. Values are only collected here; RunOptions validates them, and a bad one is
reported with the place it came from.
"""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path
from typing import Any, Callable, Mapping, get_origin

from pydantic import BaseModel, ValidationError

from iml.errors import IMLError
from iml.options import RunOptions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 gets the same parser from the tomli backport
    import tomli as tomllib

CONFIG_FILE = "iml.toml"
PYPROJECT = "pyproject.toml"
ENV_PREFIX = "IML_"
FLAG = "flag"
# Per run, never a default: the data, its description and the folder a run creates.
PER_RUN = frozenset({"data_dir", "description", "run_dir", "keep_data"})


class Resolved(BaseModel):
    values: dict[str, Any]  # RunOptions fields that are not left at their defaults
    sources: dict[str, str]  # field -> "iml.toml", "pyproject.toml [tool.iml]", "$IML_SEED" or "flag"

    def from_config(self) -> dict[str, str]:
        """The values that did not come from the caller, as ``{field: source}``, for one line on the terminal."""
        return {k: s for k, s in self.sources.items() if s != FLAG}

    def source_of(self, field: str) -> str:
        return self.sources.get(field, "default")


def configurable() -> list[str]:
    """Every RunOptions field a config file or a variable may set (new fields are configurable by default)."""
    return [name for name in RunOptions.model_fields if name not in PER_RUN]


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def resolve(given: Mapping[str, Any] | None = None, cwd: str | Path | None = None,
            environ: Mapping[str, str] | None = None) -> Resolved:
    """The options for one run: the config file's, overridden by the environment's, overridden by ``given``."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    file_values, file_source = read_config(Path(cwd) if cwd is not None else Path.cwd())
    layers = [(file_values, lambda _k: file_source),
              (env_values(os.environ if environ is None else environ), env_name),
              ({k: v for k, v in (given or {}).items() if v is not None}, lambda _k: FLAG)]
    for layer, source in layers:
        for key, value in layer.items():
            values[key] = _normalized(key, value)
            sources[key] = source(key)
    return Resolved(values=values, sources=sources)


def read_config(folder: Path) -> tuple[dict[str, Any], str]:
    """``iml.toml``'s table, else ``pyproject.toml``'s ``[tool.iml]``, else nothing; and its name for messages."""
    own = folder / CONFIG_FILE
    if own.is_file():
        return _checked(_load(own), CONFIG_FILE), CONFIG_FILE
    pyproject = folder / PYPROJECT
    if pyproject.is_file():
        table = _load(pyproject).get("tool", {}).get("iml")
        if table is not None:
            where = f"{PYPROJECT} [tool.iml]"
            if not isinstance(table, dict):
                raise IMLError(f"{where} is not a table.", hint="write it as a [tool.iml] section of key = value lines")
            return _checked(table, where), where
    return {}, ""


def env_values(environ: Mapping[str, str]) -> dict[str, str]:
    """``IML_TIME_BUDGET=60`` and the like; an empty variable counts as unset."""
    return {field: environ[env_name(field)] for field in configurable() if environ.get(env_name(field), "") != ""}


def _load(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IMLError(f"{path} is not valid TOML: {exc}", hint="fix the file (key = value lines), or remove it") from None


def _checked(table: dict, where: str) -> dict[str, Any]:
    """Keys may be written time_budget or time-budget; an unknown one is an error, with the closest known name."""
    known = configurable()
    values = {}
    for key, value in table.items():
        field = str(key).replace("-", "_")
        if field not in known:
            close = difflib.get_close_matches(field, known, n=1)
            also = f"did you mean {close[0]!r}? " if close else ""
            reason = " (it is given per run)" if field in PER_RUN else ""
            raise IMLError(f"{where}: unknown option {key!r}{reason}.",
                           hint=f"{also}known options: {', '.join(known)}")
        values[field] = value
    return values


def _normalized(field: str, value: Any) -> Any:
    """A list option (tracks) may be given as one comma-separated string, from a flag or a variable."""
    if get_origin(RunOptions.model_fields[field].annotation) is list and isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, Path):
        return str(value)
    return value


def run_options(fields: Mapping[str, Any], hint: str, source_of: Callable[[str], str] | None = None) -> RunOptions:
    """RunOptions from ``fields``; a value that does not validate is an IMLError naming each field (and, given
    ``source_of``, where its value came from), for the CLI and the Python API alike."""
    try:
        return RunOptions(**fields)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(map(str, error["loc"]))
            origin = f" (from {source_of(str(error['loc'][0]))})" if source_of else ""
            problems.append(f"{where}{origin}: {error['msg']}")
        raise IMLError(f"invalid option: {'; '.join(problems)}", hint=hint) from None

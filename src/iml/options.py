"""What a user asks of one run; stored in state.json so `iml resume` can continue it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from iml.planning.presets import DEFAULT_PRESET, PRESETS
from iml.runtime.names import TRACKS


class RunOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_dir: str
    description: str | None = None  # overrides description.md (--task FILE / --goal TEXT)
    target: str | None = None
    run_dir: str | None = None
    runs_root: str = "runs"
    time_budget: float = Field(300.0, gt=0)
    seed: int = 0
    debug_rounds: int = Field(10, ge=0)
    variant: str = "full"  # the iML paper's ablations (RQ2): iml.variants.VARIANTS
    # Tracks to explore; one whose packages or checkpoints are missing here is skipped with the reason.
    tracks: list[Literal[TRACKS]] = list(TRACKS)  # type: ignore[valid-type]
    ensemble: Literal["auto", "best", "greedy", "average", "stacking"] = "auto"  # average: the old name of greedy
    presets: str = DEFAULT_PRESET  # how much the expert explores: iml.planning.presets.PRESETS
    memory_mb: int | None = None  # per sandboxed execution; default: 75% of the machine
    sample_rows: int = Field(200, ge=20)  # the verification sample; every class keeps rows in it
    # The LLM brain: "none" (the expert only) or PROVIDER:MODEL (see iml.llm.client.PROVIDERS). No key is stored here.
    llm: str = "none"
    llm_base_url: str | None = None
    max_cost: float | None = Field(None, ge=0)  # USD; a hard cap on LLM calls, then the expert finishes the run
    llm_prices: str | None = None  # JSON price table merged over iml/llm/prices.json
    llm_retry_wait: float = Field(1.0, ge=0)  # seconds before the first retry of a failed call; doubles each time
    llm_timeout: float = Field(120.0, gt=0)  # seconds per LLM request
    # Facts the user gives (--metric, --problem-type, --id): they win over inference, recorded as the user's.
    metric: str | None = None
    problem_type: Literal["binary", "multiclass", "regression"] | None = None
    id_column: str | None = None
    name: str | None = None  # the task's name; default: its data folder's
    # Copy data_dir into the run folder (data/) and read it from there: the tables the Python API was given
    # as DataFrames, or a lone table file, are staged in a temporary folder that does not outlive the call.
    keep_data: bool = False
    # MLflow tracking URI the finished run is logged to; "" for MLflow's own default (MLFLOW_TRACKING_URI,
    # else its local store); None: not logged. True (the Python API's mlflow=True) means "".
    mlflow: str | None = None
    # Where the full run's fits run: local worker processes, or Ray tasks (iml[ray]) on a local Ray started
    # for the run or the cluster at ray_address. Verification on a sample always runs locally.
    executor: Literal["local", "ray"] = "local"
    ray_address: str | None = None

    @field_validator("presets")
    @classmethod
    def _known_preset(cls, value: str) -> str:
        if value not in PRESETS:
            raise ValueError(f"unknown preset {value!r}; expected one of {', '.join(PRESETS)}")
        return value

    @field_validator("variant")
    @classmethod
    def _known_variant(cls, value: str) -> str:
        # Imported here: the variants pull in the planner and scikit-learn, and `iml --help` must start fast.
        from iml.variants import VARIANTS

        if value not in VARIANTS:
            names = [repr(v) for v in VARIANTS]
            raise ValueError(f"unknown variant {value!r}; expected {', '.join(names[:-1])} or {names[-1]}")
        return value

    @field_validator("mlflow", mode="before")
    @classmethod
    def _mlflow_switch(cls, value):
        if value is True:
            return ""
        return None if value is False else value

    @field_validator("executor")
    @classmethod
    def _ray_installed(cls, value: str) -> str:
        import importlib.util

        if value == "ray" and importlib.util.find_spec("ray") is None:
            from iml.distribution import install_hint

            raise ValueError(f"the ray executor needs Ray, which is not installed: {install_hint('ray')}")
        return value

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: str) -> str:
        # Generated code runs in its attempt folder and `iml resume` may start elsewhere: keep it absolute.
        return str(Path(value).resolve())

"""What a person sees of the command line: progress, --quiet/--verbose, --version, --help, config files.

One real short run (plain-line mode: its stderr is a pipe) is shared by the module; its journal and
pipeline events are then replayed into the live panel and the verbose level.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

import iml
from conftest import make_binary_task
from iml.distribution import DISTRIBUTION
from iml.errors import IMLError
from iml.progress import Progress
from iml.runtime.events import read_events
from iml.settings import resolve
from llm_fake import FakeLLMServer

IML_VARS = [k for k in os.environ if k.startswith("IML_") or k in ("OPENAI_BASE_URL", "COLUMNS", "LINES")]


def iml_cli(*args, cwd: Path, env: dict | None = None, pre: str = "", timeout: float = 180):
    """The real CLI in a new process; ``pre`` runs first in that process (to make a package unimportable)."""
    base = {k: v for k, v in os.environ.items() if k not in IML_VARS}
    code = f"{pre}\nimport sys\nfrom iml.cli import main\nsys.argv = ['iml', *sys.argv[1:]]\nmain()"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**base, "COLUMNS": "250", **(env or {})})


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A real run configured from three places: iml.toml, an IML_ variable and a flag."""
    work = tmp_path_factory.mktemp("ux")
    data = make_binary_task(work / "data", n_train=300, n_test=100)
    (work / "iml.toml").write_text('time_budget = 40\npresets = "fast"\ntracks = ["traditional"]\n'
                                   "debug-rounds = 2\nseed = 1\n")
    proc = iml_cli("run", data, "--debug-rounds", "4", "--run-dir", work / "run", cwd=work, env={"IML_SEED": "3"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work / "run", proc


def test_config_file_env_and_flags_each_win_over_the_one_before(plain_run) -> None:
    run, proc = plain_run
    options = json.loads((run / "state.json").read_text())["options"]
    assert options["time_budget"] == 40.0 and options["presets"] == "fast"  # iml.toml
    assert options["tracks"] == ["traditional"]  # iml.toml, as a TOML list
    assert options["seed"] == 3  # IML_SEED over iml.toml's 1
    assert options["debug_rounds"] == 4  # the flag over iml.toml's 2 (written debug-rounds)
    assert "seed=3 (IML_SEED)" in proc.stderr and "time_budget=40 (iml.toml)" in proc.stderr


def test_plain_lines_show_phase_candidate_and_best_score(plain_run) -> None:
    run, proc = plain_run
    lines = proc.stderr.splitlines()
    assert "\x1b[" not in proc.stderr  # not a terminal: no colours, no redrawn panel
    assert any("Training: cross-validating" in line for line in lines)
    assert any("fitting traditional/lightgbm" in line for line in lines)
    best = [line for line in lines if "best so far: CV auc" in line]
    assert best, proc.stderr
    saved = json.loads((run / "pipeline_report.json").read_text())["selection"]
    assert f"CV auc {saved['cv_score']:.5f}" in best[-1]  # the last line names the pipeline that was kept
    assert all("/40s" in line for line in lines[1:])  # elapsed against the run's budget
    assert "done in" in proc.stdout and "validation auc" in proc.stdout


def replay(run: Path, progress: Progress) -> None:
    """The run's own journal and the full run's typed pipeline events, through the progress view."""
    for record in map(json.loads, (run / "events.jsonl").read_text().splitlines()):
        if record["event"] == "phase_done":
            progress.phase(record["phase"])
        progress.run_event(record)
    for attempt in sorted((run / "attempts").glob("*-full")):
        for event in read_events(attempt / "pipeline_events.jsonl"):
            progress.pipeline_event(event)


def test_live_panel_from_a_real_event_stream(plain_run) -> None:
    run, _ = plain_run
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, color_system=None)
    progress = Progress(console=console, live=True)
    progress.view.time_budget, progress.view.metric = 40.0, "auc"
    replay(run, progress)
    panel = io.StringIO()
    Console(file=panel, width=120, color_system=None).print(progress.panel())
    text = panel.getvalue()
    saved = json.loads((run / "pipeline_report.json").read_text())["selection"]
    assert "Report" in text  # the last phase heard
    assert f"CV auc {saved['cv_score']:.5f}" in text
    assert "of 40s" in text and "repairs 0" in " ".join(text.split())
    assert "fitting traditional/" not in buffer.getvalue()  # the panel shows the candidate; no line for it


def test_verbose_prints_every_event_and_quiet_nothing(plain_run) -> None:
    run, _ = plain_run
    loud, silent = io.StringIO(), io.StringIO()
    replay(run, Progress(level="verbose", console=Console(file=loud, width=200), live=False))
    replay(run, Progress(level="quiet", console=Console(file=silent, width=200), live=False))
    text = loud.getvalue()
    for kind in ("run_started:", "execute:", "phase_done:", "pipeline_started:", "data_loaded:", "pipeline_finished:"):
        assert kind in text, kind
    assert silent.getvalue() == ""


def test_quiet_and_verbose_on_other_commands(plain_run, tmp_path: Path) -> None:
    run, _ = plain_run
    rows = run.parent / "data" / "test.csv"
    quiet = iml_cli("predict", run, rows, "--out", tmp_path / "q.csv", "-q", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stdout == "" and (tmp_path / "q.csv").exists(), quiet.stderr
    loud = iml_cli("predict", run, rows, "--out", tmp_path / "v.csv", "--verbose", cwd=tmp_path)
    assert loud.returncode == 0 and "100 rows of" in loud.stdout and "predictions:" in loud.stdout, loud.stderr
    both = iml_cli("doctor", "-q", "-v", cwd=tmp_path)
    assert both.returncode != 0 and "exclude each other" in both.stderr


def test_version() -> None:
    proc = iml_cli("--version", cwd=Path.cwd())
    assert proc.returncode == 0
    assert proc.stdout.strip().startswith(f"{DISTRIBUTION} {iml.__version__}")


def test_run_help_shows_defaults_allowed_values_and_extras(tmp_path: Path) -> None:
    text = " ".join(iml_cli("run", "--help", cwd=tmp_path).stdout.split())
    assert f"pip install '{DISTRIBUTION}[nn,pretrained]'" in text  # not eaten as markup
    assert "[default: 300.0]" in text and "[default: medium]" in text and "[default: auto]" in text
    from iml.variants import VARIANTS

    for allowed in ("|".join(VARIANTS), "fast|medium|best", "auto|best|greedy|stacking",
                    "traditional,pretrained,custom_nn"):
        assert allowed in text, allowed
    assert "iml.toml" in text and "[tool.iml]" in text and "IML_TIME_BUDGET" in text
    assert "sample_rows (200)" in text  # options only a config file sets, with their defaults


def test_missing_sdk_error_names_the_extra(tmp_path: Path) -> None:
    data = make_binary_task(tmp_path / "data", n_train=60, n_test=20)
    proc = iml_cli("run", data, "--llm", "openai:gpt-4o-mini", "--run-dir", tmp_path / "run", cwd=tmp_path,
                   env={"OPENAI_API_KEY": "sk-test"}, pre="import sys; sys.modules['openai'] = None")
    assert proc.returncode == 2, proc.stderr
    assert f"what to do: pip install '{DISTRIBUTION}[llm]'" in " ".join(proc.stderr.split())
    assert not (tmp_path / "run").exists()


def test_openai_base_url_is_honoured(tmp_path: Path) -> None:
    from iml.llm.client import LLM

    with FakeLLMServer() as server:
        server.enqueue("hello")
        os.environ["OPENAI_BASE_URL"] = server.url
        try:
            llm = LLM("openai:gpt-4o-mini")  # no key needed: the user chose the endpoint
            reply = llm.complete([{"role": "user", "content": "hi"}], "greet")
        finally:
            del os.environ["OPENAI_BASE_URL"]
        assert llm.base_url == server.url and reply.text == "hello" and len(server.requests) == 1
        proc = iml_cli("doctor", "--llm", "openai:gpt-4o-mini", cwd=tmp_path, env={"OPENAI_BASE_URL": server.url})
    assert proc.returncode == 0, proc.stderr
    assert "openai:gpt-4o-mini is configured and answers" in proc.stdout and server.url in proc.stdout


# ---------------------------------------------------------------- resolution, without a run
def test_pyproject_tool_table_and_iml_toml_first(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.iml]\ntime-budget = 90\nllm = "ollama:q"\n')
    got = resolve({}, cwd=tmp_path, environ={})
    assert got.values == {"time_budget": 90, "llm": "ollama:q"}
    assert got.source_of("time_budget") == "pyproject.toml [tool.iml]"
    (tmp_path / "iml.toml").write_text("seed = 7\n")  # the folder's own file wins; the two are not merged
    got = resolve({"presets": "best"}, cwd=tmp_path, environ={"IML_TRACKS": "traditional, custom_nn", "IML_SEED": ""})
    assert got.values == {"seed": 7, "tracks": ["traditional", "custom_nn"], "presets": "best"}
    assert got.sources == {"seed": "iml.toml", "tracks": "IML_TRACKS", "presets": "flag"}


def test_unknown_config_key_is_named_with_the_closest_option(tmp_path: Path) -> None:
    (tmp_path / "iml.toml").write_text("time_budgte = 60\n")
    with pytest.raises(IMLError) as caught:
        resolve({}, cwd=tmp_path, environ={})
    assert "time_budgte" in caught.value.message and "time_budget" in caught.value.hint


def test_bad_value_from_config_names_its_source(tmp_path: Path) -> None:
    (tmp_path / "iml.toml").write_text("time_budget = -5\n")
    proc = iml_cli("run", tmp_path, cwd=tmp_path)
    assert proc.returncode != 0 and "time_budget (from iml.toml)" in " ".join(proc.stderr.split()), proc.stderr


def test_parquet_tables_read_with_the_parquet_extra(tmp_path: Path) -> None:
    import pandas as pd

    from iml.data_io import read_table
    from iml.runtime.data import read_table as runtime_read_table

    frame = pd.DataFrame({"id": [1, 2, 3], "city": ["a", "b", None], "y": [0.5, 1.5, 2.5]})
    frame.to_parquet(tmp_path / "train.parquet")
    for read in (read_table, runtime_read_table):  # perception's reader and the generated pipeline's
        pd.testing.assert_frame_equal(read(tmp_path / "train.parquet"), frame)

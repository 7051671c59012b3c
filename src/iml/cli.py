"""The `iml` command line."""

from __future__ import annotations

import inspect
import tempfile
import time
from pathlib import Path
from typing import Optional, get_args

import typer
from rich.console import Console

from rich.markup import escape

from iml.distribution import DISTRIBUTION, VERSION, install_hint
from iml.errors import IMLError
from iml.llm.client import PROVIDERS
from iml.options import RunOptions
from iml.planning.presets import DEFAULT_PRESET, PRESETS, describe as describe_presets
from iml.runtime.names import TRACKS
from iml.settings import CONFIG_FILE, ENV_PREFIX, PER_RUN, configurable

app = typer.Typer(
    help="iml: a white-box AutoML agent. It reads a task folder, plans, writes modular code, "
         "verifies it under contracts, and returns a submission, a fitted pipeline and readable code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# No hard wrapping: messages carry paths and commands that people copy; the terminal wraps them.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


# Every command takes these; errors are printed whatever they say.
QUIET = typer.Option(False, "--quiet", "-q", help="Print only the result (and errors).")
VERBOSE = typer.Option(False, "--verbose", "-v", help="Print every step: each event of the run and the pipeline.")


def _show_version(wanted: bool) -> None:
    if wanted:
        out.print(f"{DISTRIBUTION} {VERSION} (import iml)", markup=False)
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    pass  # no docstring: the app's help is Typer's help= above; this callback only carries --version


def _level(quiet: bool, verbose: bool) -> str:
    """quiet, normal or verbose; the two flags exclude each other."""
    if quiet and verbose:
        _fail(IMLError("--quiet and --verbose exclude each other.", hint="pass one of them"))
    return "quiet" if quiet else "verbose" if verbose else "normal"


def _progress(quiet: bool, verbose: bool):
    from iml.progress import Progress

    return Progress(level=_level(quiet, verbose))


def _fail(exc: IMLError) -> None:
    # Messages and hints are plain text: markup would eat their square brackets (pip install 'x[nn]').
    err.print(f"[bold red]error:[/bold red] {escape(exc.message)}")
    if exc.hint:
        err.print(f"[yellow]what to do:[/yellow] {escape(exc.hint)}")
    raise typer.Exit(exc.exit_code)


def _finish(outcome) -> None:
    out.print(f"\n[bold green]done[/bold green] in {outcome.seconds:.0f}s")
    if outcome.cv_score is not None:
        holdout = f", holdout {outcome.holdout_score:.5f}" if outcome.holdout_score is not None else ""
        out.print(f"validation {outcome.metric}: {outcome.cv_score:.5f} (CV){holdout}  "
                  f"model: {' + '.join(outcome.members)}")
    out.print(f"submission: {outcome.submission}" if outcome.submission else
              "no submission: the task has no test table (predict new rows with `iml predict`)")
    out.print(f"run folder: {outcome.run_dir}  (report.html, pipeline.py, code/, model/)")
    if outcome.mlflow_run_id:
        out.print(f"MLflow run: {outcome.mlflow_run_id}  (model: runs:/{outcome.mlflow_run_id}/model)")


# "average" is accepted as the old name of greedy, not offered.
ENSEMBLES = [name for name in get_args(RunOptions.model_fields["ensemble"].annotation) if name != "average"]


def _default(field: str) -> str:
    """RunOptions' default of a field, as the help shows it (one source for the CLI, the API and config files)."""
    value = RunOptions.model_fields[field].default
    return ",".join(value) if isinstance(value, list) else str(value)


def _given(ctx: typer.Context) -> dict:
    """The options typed on the command line; the others are left to iml.toml, IML_* variables and the defaults."""
    # By name: recent Typer carries its own copy of click, whose enum is not click.core's.
    return {name: value for name, value in ctx.params.items()
            if getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"}


def _process_started() -> float:
    """This process's start as a time.monotonic() value: `iml run --time-budget N` ends N seconds after the
    command began, its imports (seconds on a busy machine) included."""
    import psutil

    return time.monotonic() - max(0.0, time.time() - psutil.Process().create_time())


def _config_epilog(command) -> str:
    """Where defaults come from, and the options only a config file or a variable sets, with their defaults."""
    flags = set(inspect.signature(command).parameters)
    others = ", ".join(f"{name} ({_default(name)})" for name in configurable() if name not in flags)
    return escape(f"Defaults of every option can be set in {CONFIG_FILE} in the working folder (or [tool.iml] in "
                  f"pyproject.toml), then by {ENV_PREFIX}<OPTION> variables ({ENV_PREFIX}TIME_BUDGET=60, "
                  f"{ENV_PREFIX}PRESETS=fast); flags win. Set only there: {others}.")


def run(
    ctx: typer.Context,
    data_dir: Path = typer.Argument(..., help="Task folder: description.md, train/test files, sample_submission.csv; "
                                    "or one training table (a file, or a folder with only it) and --target."),
    task: Optional[Path] = typer.Option(None, "--task", help="A file whose text replaces description.md."),
    goal: Optional[str] = typer.Option(None, "--goal", help="Task description as text; replaces description.md."),
    target: Optional[str] = typer.Option(None, "--target", help="Name the target column instead of inferring it."),
    run_dir: Optional[Path] = typer.Option(None, "--run-dir", help="Run folder to create (must not exist). "
                                           "Default: runs/<time>-<task>/."),
    time_budget: float = typer.Option(_default("time_budget"), "--time-budget", help="Wall-clock seconds for the whole run."),
    seed: int = typer.Option(_default("seed"), "--seed", help="Random seed for folds, tuning and models."),
    debug_rounds: int = typer.Option(_default("debug_rounds"), "--debug-rounds",
                                     help="Repair rounds (K) when verification fails."),
    variant: str = typer.Option(_default("variant"), "--variant", metavar="full|reactive|mono|static",
                                help="The iML paper's ablations: full (the method), reactive (no blueprint-guided "
                                     "planning), mono (one monolithic script), static (no execution verification "
                                     "or repair)."),
    tracks: str = typer.Option(_default("tracks"), "--tracks", metavar=",".join(TRACKS),
                               help=escape("Comma-separated tracks to explore, any of " + ", ".join(TRACKS)
                                           + "; a track whose packages are missing is skipped with the reason ("
                                           + install_hint("nn", "pretrained") + ").")),
    ensemble: str = typer.Option(_default("ensemble"), "--ensemble", metavar="|".join(ENSEMBLES),
                                 help="auto (the best of the single best, a greedy weighted ensemble and a stacker, "
                                      "by out-of-fold score), best, greedy, stacking."),
    presets: str = typer.Option(_default("presets"), "--presets", metavar="|".join(PRESETS),
                                help="How much to explore; " + describe_presets() + "."),
    memory_mb: Optional[int] = typer.Option(None, "--memory-mb", show_default="75% of the machine",
                                            help="Memory limit of each sandboxed execution."),
    llm: str = typer.Option(_default("llm"), "--llm", metavar="PROVIDER:MODEL|none",
                            help="PROVIDER:MODEL for the llm brains (" + ", ".join(PROVIDERS) + "), or none for "
                                 "the expert. Keys from the environment."),
    llm_base_url: Optional[str] = typer.Option(None, "--llm-base-url", show_default="the provider's; for openai "
                                               "$OPENAI_BASE_URL, for anthropic $ANTHROPIC_BASE_URL",
                                               help="OpenAI-compatible base URL (overrides the provider's default)."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", show_default="no cap",
                                             help="Hard cap in USD on LLM calls; when reached the expert finishes "
                                                  "the run."),
    llm_prices: Optional[Path] = typer.Option(None, "--llm-prices", help="JSON price table (USD per 1M tokens) "
                                              "merged over the packaged one."),
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
    metric: Optional[str] = typer.Option(None, "--metric", help="The metric to optimise, instead of inferring it: "
                                         "auc, logloss, accuracy, balanced_accuracy, f1, f1_macro, precision, "
                                         "recall, average_precision, mcc, qwk, rmse, rmsle, mae, r2, mape, "
                                         "pinball_<quantile> (e.g. pinball_0.9)."),
    problem_type: Optional[str] = typer.Option(None, "--problem-type", metavar="binary|multiclass|regression", help="binary, multiclass or regression, "
                                               "instead of inferring it."),
    id_column: Optional[str] = typer.Option(None, "--id", help="The id column, instead of inferring it."),
    mlflow: Optional[str] = typer.Option(None, "--mlflow", metavar="[TRACKING_URI]",
                                         help=escape("Log the finished run to MLflow: options, task, CV metrics, "
                                                     "leaderboard, report, code, and the pipeline as a pyfunc model "
                                                     "under 'model'. Without a URI: MLFLOW_TRACKING_URI or MLflow's "
                                                     "default. Needs " + install_hint("mlflow") + ".")),
    executor: str = typer.Option(_default("executor"), "--executor", metavar="local|ray",
                                 help=escape("Where the full run's fits run: local worker processes, or Ray tasks "
                                             "on a local Ray started for the run (or the cluster at --ray-address). "
                                             "Needs " + install_hint("ray") + ".")),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", metavar="ADDR",
                                              help="A Ray cluster to run the fits on (ray://HOST:10001 or HOST:6379; "
                                                   "'auto' joins the one this machine belongs to)."),
) -> None:
    """Run the whole flow on a task folder (or one training table) and write a new run folder."""
    from iml.flow import Run
    from iml.planning.presets import preset
    from iml.settings import resolve, run_options

    try:
        if task is not None and goal is not None:
            raise IMLError("--task and --goal both replace the description.", hint="pass only one of them")
        description = goal
        if task is not None:
            if not task.is_file():
                raise IMLError(f"task file {task} does not exist.", hint="pass a text or markdown file")
            description = task.read_text()
        given = {k: v for k, v in _given(ctx).items() if k in RunOptions.model_fields and k not in PER_RUN}
        settings = resolve(given)
        if settings.values.get("presets", DEFAULT_PRESET) not in PRESETS:
            preset(settings.values["presets"])  # the error lists the valid presets with their trade-offs
        options = run_options(dict(data_dir=str(data_dir), description=description,
                                   run_dir=str(run_dir) if run_dir else None, **settings.values),
                              hint="see `iml run --help`", source_of=settings.source_of)
        with _progress(quiet, verbose) as progress:
            if settings.from_config():
                progress.info("options from the environment and config: " + ", ".join(
                    f"{k}={settings.values[k]} ({source})" for k, source in settings.from_config().items()))
            if options.llm != "none":  # checks the spec, key and prices before any run folder exists
                from iml.llm.mode import estimate

                progress.info("LLM: " + estimate(options))
            staged = None
            if data_dir.is_file():  # one table given as a file: staged alone, so the tables beside it stay out
                from iml.inputs import stage_tables

                staged = tempfile.TemporaryDirectory(prefix="iml-input-")
                options = options.model_copy(update={**stage_tables(Path(staged.name), data_dir), "keep_data": True})
            try:
                run_ = Run.start(options, progress, started=_process_started())
            finally:
                if staged is not None:  # Run.start copied the staged table into the run folder
                    staged.cleanup()
            progress.info(f"run folder: {run_.folder.path}")
            outcome = run_.execute()
        _finish(outcome)
    except IMLError as exc:
        _fail(exc)


app.command(epilog=_config_epilog(run))(run)


@app.command()
def resume(
    run_dir: Path = typer.Argument(..., help="A run folder written by `iml run`."),
    time_budget: Optional[float] = typer.Option(None, "--time-budget", help="Seconds for the remaining phases."),
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
) -> None:
    """Continue a run that stopped (killed, failed, or edited by hand) from its last finished phase."""
    from iml.flow import Run

    try:
        with _progress(quiet, verbose) as progress:
            outcome = Run.reopen(run_dir, progress, time_budget).execute()
        _finish(outcome)
    except IMLError as exc:
        _fail(exc)


@app.command()
def rerun(
    run_dir: Path = typer.Argument(..., help="A run folder written by `iml run`."),
    start: str = typer.Option(..., "--from", metavar="plan|code|verify|train", help="The phase to re-run from: plan (after editing blueprint.json), "
                              "code (after editing a module under code/), verify or train. Edits are kept and "
                              "verified; the earlier results move to history/<n>/."),
    time_budget: Optional[float] = typer.Option(None, "--time-budget", help="Seconds for the phases re-run."),
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
) -> None:
    """Re-run a run from a phase after editing its blueprint or code, keeping the edit."""
    from iml.flow import Run

    try:
        with _progress(quiet, verbose) as progress:
            outcome = Run.rerun_from(run_dir, start, progress, time_budget).execute()
        _finish(outcome)
    except IMLError as exc:
        _fail(exc)


@app.command()
def predict(
    run_dir: Path = typer.Argument(..., help="A finished run folder."),
    input_csv: Path = typer.Argument(..., help="Rows to predict, with the test file's columns."),
    out_path: Path = typer.Option(Path("predictions.csv"), "--out", help="Where to write the predictions."),
    output: str = typer.Option("submission", "--output", metavar="submission|labels|probabilities",
                               help="submission (the task's format), labels (the predicted label or value per row) "
                                    "or probabilities (one column per class)."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out when it exists."),
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
) -> None:
    """Predict new rows with the fitted pipeline of a run; rows that do not fit the training schema are refused
    (--quiet: nothing on success)."""
    from rich.markup import escape

    from iml.predicting import predict as predict_rows

    level = _level(quiet, verbose)
    try:
        path = predict_rows(run_dir, input_csv, out_path, output=output, force=force,
                            on_note=lambda note: err.print(f"[yellow]note:[/yellow] {escape(note)}"))
        if level == "verbose":
            import pandas as pd

            out.print(f"{len(pd.read_csv(path))} rows of {input_csv} predicted by {run_dir}/model", markup=False)
        if level != "quiet":
            out.print(f"predictions: {path}", markup=False)
    except IMLError as exc:
        _fail(exc)


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="A run folder written by `iml run`."),
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
) -> None:
    """Rebuild report.html from a run folder (measuring the feature importance if the run had no time left)."""
    from iml.report import write_report
    from iml.runfolder import RunFolder

    level = _level(quiet, verbose)
    try:
        folder = RunFolder.open(run_dir)
        write_report(folder)
        if level != "quiet":
            out.print(f"report: {folder.file('report.html')}", markup=False)
    except IMLError as exc:
        _fail(exc)


@app.command()
def grade(
    task_dir: Path = typer.Argument(..., help="A task folder with task.yaml and prepared/private answers."),
    submission: Path = typer.Argument(..., help="The submission CSV to grade."),
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
) -> None:
    """Grade a submission with TASK_FORMAT.md's validity rules, metric and P_norm (--quiet: the exit code only)."""
    from iml.grading import grade_submission

    level = _level(quiet, verbose)

    try:
        report = grade_submission(task_dir, submission)
    except IMLError as exc:
        _fail(exc)
    if level != "quiet":
        out.print_json(report.model_dump_json())
    if not report.valid:
        from rich.markup import escape

        err.print(f"[bold red]error:[/bold red] the submission is not valid: {escape(report.reason or '')}")
        err.print("[yellow]what to do:[/yellow] pass an existing CSV with exactly sample_submission.csv's "
                  "columns and one row per test id")
        raise typer.Exit(1)


@app.command()
def bench(
    tasks_dir: Path = typer.Argument(..., help="A task folder (TASK_FORMAT.md; also MLE-bench's prepared "
                                               "competitions) or a folder of them."),
    time_budget: float = typer.Option(120.0, "--time-budget", help="Seconds per system and task."),
    out_dir: Path = typer.Option(Path("bench-out"), "--out", help="Results folder (re-runs skip finished cells)."),
    stripped: bool = typer.Option(False, "--stripped",
                                  help="Also run iml with the task-agnostic sentence instead of each description."),
    systems: str = typer.Option("iml", "--systems", help="Comma-separated: iml, autogluon, flaml, floor."),
    variant: str = typer.Option("full", "--variant", help="iml's ablation: full, reactive, mono or static."),
    tracks: str = typer.Option("", "--tracks", help="iml's tracks for every run (default: iml's own default)."),
    jobs: int = typer.Option(1, "--jobs", min=1, help="Cells run at once (they share the machine's cores)."),
    system_python: list[str] = typer.Option([], "--system-python",
                                            help="NAME=PYTHON: the interpreter that has a baseline installed "
                                                 "(or set IML_BENCH_PYTHON_NAME); repeatable."),
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
) -> None:
    """Run systems on task folders and grade every submission with the project's grader.

    Writes results.jsonl (one line per system x task), results.md (tasks x systems with APS),
    pnorm.png and mlebench/*.jsonl (for `mlebench grade`) into --out.
    """
    from iml.bench import BenchSettings, markdown_report, run_bench
    from iml.bench.systems import parse_pythons, parse_systems

    level = _level(quiet, verbose)
    try:
        if not tasks_dir.is_dir():
            raise IMLError(f"{tasks_dir} is not a folder.", hint="pass a task folder or a folder of task folders")
        from iml.variants import VARIANTS

        if variant not in VARIANTS:
            raise IMLError(f"Unknown variant {variant!r}.", hint=f"choose {', '.join(VARIANTS)}")
        settings = BenchSettings(time_budget=time_budget, systems=parse_systems(systems), stripped=stripped,
                                 variant=variant, tracks=tracks, jobs=jobs, pythons=parse_pythons(system_python))

        def show(cell) -> None:
            if level == "quiet":
                return
            score = f"{cell.score:.5f}" if cell.score is not None else "-"
            err.print(f"{cell.task} / {cell.column}: score {score}, P_norm {cell.p_norm:.4f}, "
                      f"valid {cell.valid}, {cell.wall_s:.0f}s")

        cells = run_bench(tasks_dir, out_dir, settings, on_cell=show)
    except IMLError as exc:
        _fail(exc)
    out.print(markdown_report(cells, time_budget))


@app.command()
def doctor(
    llm: str = typer.Option("none", "--llm", help="Check this PROVIDER:MODEL too."),
    llm_base_url: Optional[str] = typer.Option(None, "--llm-base-url", help="Base URL to probe instead."),
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
) -> None:
    """Which LLM providers are configured (key variables present) and whether their base URLs answer.

    --quiet prints only the verdict on --llm.
    """
    import os

    from iml.llm.client import LLMSpec, probe

    level = _level(quiet, verbose)
    wanted = None
    try:
        wanted = LLMSpec.parse(llm) if llm != "none" else None
    except IMLError as exc:
        _fail(exc)
    problems = []
    for name, provider in PROVIDERS.items():
        key = provider.key_env and os.environ.get(provider.key_env)
        key_note = f"${provider.key_env} {'set' if key else 'not set'}" + ("" if provider.key_required else " (optional)")
        chosen = provider.user_base_url(llm_base_url if wanted and wanted.provider == name else None)
        line = f"{name:11s} {chosen or provider.base_url:58s} {key_note}"
        local = not provider.key_required
        if (wanted and wanted.provider == name) or (wanted is None and local):
            url = chosen or provider.base_url
            reachable, detail = probe(url, timeout_s=2.0)
            line += f"; {url} {'answers' if reachable else 'does not answer'} ({detail})"
            if wanted and not reachable:
                problems.append(f"{url} does not answer")
            if wanted and provider.key_required and not key and not chosen:
                problems.append(f"${provider.key_env} is not set")
        if level != "quiet":
            out.print(line, markup=False, highlight=False, soft_wrap=True)
    if wanted is None and level != "quiet":
        out.print("hosted providers are not probed without --llm; the expert brain needs nothing.", markup=False)
    elif problems:
        _fail(IMLError(f"{wanted} is not usable here: {'; '.join(problems)}.",
                       hint="start the server or export the key; or run with --llm none (the expert)"))
    else:
        out.print(f"{wanted} is configured and answers.", markup=False)


def optional_values(argv: list[str]) -> list[str]:
    """``--mlflow`` with no URI after it (last, or before another option) means MLflow's default URI:
    typer options always take a value, so it becomes ``--mlflow=``."""
    fixed = list(argv)
    for i, arg in enumerate(fixed):
        if arg == "--mlflow" and (i + 1 == len(fixed) or fixed[i + 1].startswith("-")):
            fixed[i] = "--mlflow="
    return fixed


def main() -> None:
    import sys

    app(args=optional_values(sys.argv[1:]), prog_name="iml")


if __name__ == "__main__":
    main()

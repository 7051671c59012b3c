"""The `iml` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from iml.errors import IMLError
from iml.planning.presets import DEFAULT_PRESET, describe as describe_presets

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


def _fail(exc: IMLError) -> None:
    err.print(f"[bold red]error:[/bold red] {exc.message}", markup=True)
    if exc.hint:
        err.print(f"[yellow]what to do:[/yellow] {exc.hint}")
    raise typer.Exit(exc.exit_code)


def _finish(outcome) -> None:
    out.print(f"\n[bold green]done[/bold green] in {outcome.seconds:.0f}s")
    if outcome.cv_score is not None:
        holdout = f", holdout {outcome.holdout_score:.5f}" if outcome.holdout_score is not None else ""
        out.print(f"validation {outcome.metric}: {outcome.cv_score:.5f} (CV){holdout}  "
                  f"model: {' + '.join(outcome.members)}")
    out.print(f"submission: {outcome.submission}")
    out.print(f"run folder: {outcome.run_dir}  (report.html, pipeline.py, code/, model/)")
    if outcome.mlflow_run_id:
        out.print(f"MLflow run: {outcome.mlflow_run_id}  (model: runs:/{outcome.mlflow_run_id}/model)")


@app.command()
def run(
    data_dir: Path = typer.Argument(..., help="Task folder: description.md, train/test files, sample_submission.csv."),
    task: Optional[Path] = typer.Option(None, "--task", help="A file whose text replaces description.md."),
    goal: Optional[str] = typer.Option(None, "--goal", help="Task description as text; replaces description.md."),
    target: Optional[str] = typer.Option(None, "--target", help="Name the target column instead of inferring it."),
    run_dir: Optional[Path] = typer.Option(None, "--run-dir", help="Run folder to create (must not exist). "
                                           "Default: runs/<time>-<task>/."),
    time_budget: float = typer.Option(300.0, "--time-budget", help="Wall-clock seconds for the whole run."),
    seed: int = typer.Option(0, "--seed", help="Random seed for folds, tuning and models."),
    debug_rounds: int = typer.Option(10, "--debug-rounds", help="Repair rounds (K) when verification fails."),
    variant: str = typer.Option("full", "--variant", help="The iML paper's ablations: full (the method), reactive "
                                "(no blueprint-guided planning), mono (one monolithic script), static (no execution "
                                "verification or repair)."),
    tracks: str = typer.Option("traditional,pretrained,custom_nn", "--tracks",
                               help="Comma-separated tracks to explore; a track whose packages are missing "
                                    "is skipped with the reason (pip install 'iml[nn,pretrained]')."),
    ensemble: str = typer.Option("auto", "--ensemble", help="auto (the best of the single best, a greedy "
                                 "weighted ensemble and a stacker, by out-of-fold score), best, greedy, stacking."),
    presets: str = typer.Option(DEFAULT_PRESET, "--presets", help="How much to explore; "
                                + describe_presets() + "."),
    memory_mb: Optional[int] = typer.Option(None, "--memory-mb", help="Memory limit of each sandboxed execution."),
    llm: str = typer.Option("none", "--llm", help="PROVIDER:MODEL for the llm brains (openai, gemini, openrouter, "
                            "ollama, vllm, llamacpp, lmstudio, anthropic), or none for the expert. Keys from the environment."),
    llm_base_url: Optional[str] = typer.Option(None, "--llm-base-url", help="OpenAI-compatible base URL "
                                               "(overrides the provider's default)."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", help="Hard cap in USD on LLM calls; when reached "
                                             "the expert finishes the run."),
    llm_prices: Optional[Path] = typer.Option(None, "--llm-prices", help="JSON price table (USD per 1M tokens) "
                                              "merged over the packaged one."),
    quiet: bool = typer.Option(False, "--quiet", help="Only print the result."),
    mlflow: Optional[str] = typer.Option(None, "--mlflow", metavar="[TRACKING_URI]",
                                         help="Log the finished run to MLflow: options, task, CV metrics, "
                                              "leaderboard, report, code, and the pipeline as a pyfunc model "
                                              "under 'model'. Without a URI: MLFLOW_TRACKING_URI or MLflow's "
                                              "default. Needs pip install 'iml\\[mlflow]'."),
) -> None:
    """Run the whole flow on a task folder and write a new run folder."""
    from pydantic import ValidationError

    from iml.flow import Run
    from iml.options import RunOptions
    from iml.planning.presets import PRESETS, preset
    from iml.progress import Progress

    try:
        if task is not None and goal is not None:
            raise IMLError("--task and --goal both replace the description.", hint="pass only one of them")
        description = goal
        if task is not None:
            if not task.is_file():
                raise IMLError(f"task file {task} does not exist.", hint="pass a text or markdown file")
            description = task.read_text()
        if presets not in PRESETS:
            preset(presets)  # the error lists the valid presets with their trade-offs
        try:
            options = RunOptions(data_dir=str(data_dir), description=description, target=target,
                                 run_dir=str(run_dir) if run_dir else None, time_budget=time_budget, seed=seed,
                                 debug_rounds=debug_rounds, variant=variant, tracks=[t.strip() for t in tracks.split(",") if t.strip()],
                                 ensemble=ensemble, presets=presets, memory_mb=memory_mb, llm=llm, llm_base_url=llm_base_url,
                                 max_cost=max_cost, llm_prices=str(llm_prices) if llm_prices else None,
                                 mlflow=mlflow)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise IMLError(f"invalid option: {problems}", hint="see `iml run --help`") from None
        progress = Progress(quiet=quiet)
        if options.llm != "none":  # checks the spec, key and prices before any run folder exists
            from iml.llm.mode import estimate

            progress.info("LLM: " + estimate(options))
        run_ = Run.start(options, progress)
        progress.info(f"run folder: {run_.folder.path}")
        _finish(run_.execute())
    except IMLError as exc:
        _fail(exc)


@app.command()
def resume(
    run_dir: Path = typer.Argument(..., help="A run folder written by `iml run`."),
    time_budget: Optional[float] = typer.Option(None, "--time-budget", help="Seconds for the remaining phases."),
) -> None:
    """Continue a run that stopped (killed, failed, or edited by hand) from its last finished phase."""
    from iml.flow import Run
    from iml.progress import Progress

    try:
        run_ = Run.reopen(run_dir, Progress(), time_budget)
        _finish(run_.execute())
    except IMLError as exc:
        _fail(exc)


@app.command()
def rerun(
    run_dir: Path = typer.Argument(..., help="A run folder written by `iml run`."),
    start: str = typer.Option(..., "--from", help="The phase to re-run from: plan (after editing blueprint.json), "
                              "code (after editing a module under code/), verify or train. Edits are kept and "
                              "verified; the earlier results move to history/<n>/."),
    time_budget: Optional[float] = typer.Option(None, "--time-budget", help="Seconds for the phases re-run."),
) -> None:
    """Re-run a run from a phase after editing its blueprint or code, keeping the edit."""
    from iml.flow import Run
    from iml.progress import Progress

    try:
        run_ = Run.rerun_from(run_dir, start, Progress(), time_budget)
        _finish(run_.execute())
    except IMLError as exc:
        _fail(exc)


@app.command()
def predict(
    run_dir: Path = typer.Argument(..., help="A finished run folder."),
    input_csv: Path = typer.Argument(..., help="Rows to predict, with the test file's columns."),
    out_path: Path = typer.Option(Path("predictions.csv"), "--out", help="Where to write the predictions."),
) -> None:
    """Predict new rows with the fitted pipeline of a run."""
    from iml.predicting import predict as predict_rows

    try:
        path = predict_rows(run_dir, input_csv, out_path)
        out.print(f"predictions: {path}")
    except IMLError as exc:
        _fail(exc)


@app.command()
def grade(
    task_dir: Path = typer.Argument(..., help="A task folder with task.yaml and prepared/private answers."),
    submission: Path = typer.Argument(..., help="The submission CSV to grade."),
) -> None:
    """Grade a submission with TASK_FORMAT.md's validity rules, metric and P_norm."""
    from iml.grading import grade_submission

    try:
        report = grade_submission(task_dir, submission)
    except IMLError as exc:
        _fail(exc)
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
) -> None:
    """Run systems on task folders and grade every submission with the project's grader.

    Writes results.jsonl (one line per system x task), results.md (tasks x systems with APS),
    pnorm.png and mlebench/*.jsonl (for `mlebench grade`) into --out.
    """
    from iml.bench import BenchSettings, markdown_report, run_bench
    from iml.bench.systems import parse_pythons, parse_systems
    from iml.variants import VARIANTS

    try:
        if not tasks_dir.is_dir():
            raise IMLError(f"{tasks_dir} is not a folder.", hint="pass a task folder or a folder of task folders")
        if variant not in VARIANTS:
            raise IMLError(f"Unknown variant {variant!r}.", hint=f"choose {', '.join(VARIANTS)}")
        settings = BenchSettings(time_budget=time_budget, systems=parse_systems(systems), stripped=stripped,
                                 variant=variant, tracks=tracks, jobs=jobs, pythons=parse_pythons(system_python))

        def show(cell) -> None:
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
) -> None:
    """Which LLM providers are configured (key variables present) and whether their base URLs answer."""
    import os

    from iml.llm.client import PROVIDERS, LLMSpec, probe

    wanted = None
    try:
        wanted = LLMSpec.parse(llm) if llm != "none" else None
    except IMLError as exc:
        _fail(exc)
    problems = []
    for name, provider in PROVIDERS.items():
        key = provider.key_env and os.environ.get(provider.key_env)
        key_note = f"${provider.key_env} {'set' if key else 'not set'}" + ("" if provider.key_required else " (optional)")
        line = f"{name:11s} {provider.base_url:58s} {key_note}"
        local = not provider.key_required
        if (wanted and wanted.provider == name) or (wanted is None and local):
            url = llm_base_url if wanted and llm_base_url else provider.base_url
            reachable, detail = probe(url, timeout_s=2.0)
            line += f"; {url} {'answers' if reachable else 'does not answer'} ({detail})"
            if wanted and not reachable:
                problems.append(f"{url} does not answer")
            if wanted and provider.key_required and not key and not llm_base_url:
                problems.append(f"${provider.key_env} is not set")
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    if wanted is None:
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

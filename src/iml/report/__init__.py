"""report.html: what was asked, what the data holds, what was planned and tried, what was chosen and how
well it does, in one self-contained file (plots embedded as PNGs, no script, nothing fetched)."""

from __future__ import annotations

from iml.report import figures, wording
from iml.report.facts import RunFacts, gather, selection_predictions
from iml.report.importance import measure
from iml.runfolder import RunFolder
from iml.templating import render

__all__ = ["write_report", "RunFacts"]


# Seconds the plots and the page take after the importance probe: 2 s on an idle 2-core machine, 8 s with
# four runs sharing it (the probe had been given all the time left, and the run ended 10 s past its budget).
RENDER_RESERVE_S = 5.0


def write_report(folder: RunFolder, seconds_left: float | None = None) -> None:
    """Write report.html from the run folder's artifacts; ``seconds_left``: the run's remaining budget, which
    decides whether the feature importance is measured now (None: rebuilt after the run, no limit)."""
    facts = gather(folder)
    predictions = selection_predictions(folder)
    summary, profile = facts.summary, facts.profile
    probe_seconds = None if seconds_left is None else seconds_left - RENDER_RESERVE_S
    importance = measure(folder, probe_seconds) if facts.selection else None
    data_plots = [figures.target_distribution(profile, predictions), figures.missingness(profile),
                  figures.associations(profile)]
    winner_plots = [figures.importance(importance.columns, summary.metric) if importance else None]
    if predictions is not None:
        rule = facts.selection.rule if facts.selection else None
        winner_plots += [figures.confusion(predictions, rule), *figures.roc_pr(predictions, summary.positive_label),
                         figures.calibration(predictions, summary.positive_label),
                         *figures.residuals(predictions, summary.target_columns[0])]
    selection = facts.selection
    holdout_rows = int((predictions["part"] == "holdout").sum()) if predictions is not None else None
    html = render(
        "report.html.j2",
        facts=facts,
        summary=summary,
        profile=profile,
        bp=facts.blueprint,
        selection=selection,
        members=sorted((c for c in facts.candidates if c.weight), key=lambda c: -c.weight),
        verdict=wording.holdout_verdict(selection.cv_score if selection else None,
                                        selection.holdout_score if selection else None, facts.members_std,
                                        summary.greater_is_better, holdout_rows),
        explanation_author=wording.explanation_author(facts.explanation.by) if facts.explanation else "",
        leaderboard_plot=figures.leaderboard(facts.candidates, summary.metric, summary.greater_is_better,
                                             facts.floor_cv),
        data_plots=[p for p in data_plots if p],
        winner_plots=[p for p in winner_plots if p],
        importance=importance,
        timeline_plot=figures.timeline(facts.steps, facts.marks),
        has_predictions=predictions is not None,
    )
    folder.write_text("report.html", html)

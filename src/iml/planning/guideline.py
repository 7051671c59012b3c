"""Guideline Agent, expert brain: rules from the profile to a Blueprint.

Each rule is one small function and leaves a Decision with its reason, so the
blueprint explains itself to the person who reads blueprint.md.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from iml.distribution import install_hint
from iml.perception.profile import ColumnProfile, MediaProfile, Profile
from iml.perception.profiling import UNSPACED_SCRIPTS
from iml.perception.summary import TaskSummary, TaskType
from iml.retrieval.retriever import Checkpoint, Retrieval
from iml.runtime.names import BOOSTING_LEARNERS, TRACKS
from iml.planning import presets
from iml.planning.blueprint import (
    Blueprint,
    Candidate,
    Decision,
    EvalPlan,
    InterfaceContract,
    MediaJoin,
    ModelPlan,
    PredictionContract,
    PrepPlan,
    SubmissionContract,
    TargetContract,
    TextPlan,
    TrainPlan,
)

ONEHOT_MAX_LEVELS = 12
# Native categories (one category column that the boosting learners split on) from one-hot's limit up to
# this many levels; beyond it, or when the levels are nearly all distinct (too few rows per level for a
# category's statistics), frequency codes only. Measured against frequency codes (5-fold CV, inner-split
# early stopping, LightGBM and XGBoost defaults, seven development tables): with 14-27 levels native
# splits won on both tables that had them (QWK +0.005, log loss -0.026); from 51 levels up frequency
# codes won on 8 of 10 learner-table pairs, by up to 0.05 AUC on a 2,748-level column (partition
# splits over many levels fit the training rows' noise). 32 is LightGBM's max_cat_threshold. One-hot
# stays below 13 levels: the linear model reads the same frame, and a frequency rank orders a nominal
# column arbitrarily.
NATIVE_MAX_LEVELS = 32
NATIVE_MAX_UNIQUE_RATIO = 0.5
# Metrics that weigh every class equally: balanced weights pay off there, and only there
# (for accuracy they trade common-class hits for rare-class ones and lose).
CLASS_BALANCED_METRICS = {"f1_macro", "mcc", "qwk"}
IMBALANCE_FOR_WEIGHTS = 3.0
EMBEDDING_SHARE = 0.3  # of the budget that computing pretrained embeddings may take
# Presence columns of frequent words and word pairs per text column: up to MAX_TEXT_TERMS, and at most
# TERM_CELLS training cells over all text columns (measured on the bird-strike remarks: macro F1 0.34 with
# the SVD alone, 0.38 with 300 terms, 0.45 with 1000, for LightGBM on the text alone).
MAX_TEXT_TERMS = 1000
MIN_TEXT_TERMS = 20
TERM_CELLS = 20_000_000
# Importing torch + transformers in a fresh process: 6 s of CPU, more on a busy machine.
IMPORT_SECONDS = 6.0
IMAGE_SIDE = 16  # the largest thumbnail side: 256 pixel features are as many as a GBDT digests quickly


def plan(summary: TaskSummary, profile: Profile, time_budget: float, retrieval: Retrieval | None = None,
         tracks: tuple[str, ...] = TRACKS[:1], preset: str = presets.DEFAULT_PRESET) -> Blueprint:
    presets.preset(preset)  # an unknown name fails here, listing the valid ones
    prep = _plan_prep(summary, profile, time_budget)
    model = _plan_model(summary, profile, time_budget, preset)
    _add_tracks(model, prep, profile, retrieval or Retrieval(checkpoints=[]), tracks, time_budget)
    train = _plan_train(summary, profile, time_budget, preset)
    eval_plan = EvalPlan(metric=summary.metric, greater_is_better=summary.greater_is_better,
                         prediction=summary.submission.kind)
    rationale = [
        f"{summary.task_type.value} task scored by {summary.metric} "
        f"({'higher' if summary.greater_is_better else 'lower'} is better).",
        f"{profile.n_train_rows} training rows, {len(profile.features())} usable input columns.",
        f"Validation: {train.n_folds}-fold {train.cv} CV"
        + (f" with a locked {train.holdout_fraction:.0%} holdout." if train.holdout_fraction else "."),
        model.reason,
    ]
    chosen = _preset_decision(preset, model, train)
    rationale.insert(0, f"Preset {preset}: {chosen.reason}.")
    return Blueprint(
        task=summary.name,
        modality=_modality(prep, summary),
        prep=prep,
        model=model,
        train=train,
        eval=eval_plan,
        contract=build_contract(summary, profile),
        rationale=[r for r in rationale if r],
        preset=chosen,
    )


def _preset_decision(name: str, model: ModelPlan, train: TrainPlan) -> Decision:
    """Which preset the plan follows and what it made of it, for blueprint.md."""
    traditional = [c.learner for c in model.candidates if c.track == TRACKS[0]]
    return Decision(column="preset", action=name,
                    reason=f"{presets.preset(name)['tradeoff']} (planned: {', '.join(traditional)}; "
                           f"{train.n_folds} folds, at most {train.max_trials} trials)")


def build_contract(summary: TaskSummary, profile: Profile) -> InterfaceContract:
    classification = summary.task_type in (TaskType.binary, TaskType.multiclass)
    classes = summary.classes if classification else None
    return InterfaceContract(
        target=TargetContract(task_type=summary.task_type.value, classes=classes,
                              encoding="class_index" if classification else "float"),
        prediction=PredictionContract(
            proba_columns=len(classes) if classes else None,
            proba_rows_sum_to_one=bool(classes),
            min_value=0.0 if summary.metric == "rmsle" else None,
        ),
        submission=SubmissionContract(columns=summary.submission.columns,
                                      id_column=summary.submission.id_column,
                                      n_rows=profile.n_test_rows),
    )


def _modality(prep: PrepPlan, summary: TaskSummary) -> str:
    kinds = [name for name, cols in (("image", image_columns(prep)), ("audio", audio_columns(prep)),
                                     ("text", prep.text_columns)) if cols]
    tabular = (prep.numeric_columns or prep.onehot_columns or prep.ordinal_columns or prep.native_categorical_columns
               or prep.boolean_columns)
    if len(kinds) > 1 or (kinds and tabular):
        return "multimodal"
    return kinds[0] if kinds else "tabular"


def _input_columns(summary: TaskSummary, profile: Profile, prep: PrepPlan):
    """The columns a model may read; one absent from the test file is dropped, with the reason."""
    for col in profile.columns:
        if col.name in summary.target_columns:
            continue
        if not col.in_test:
            prep.dropped.append(Decision(column=col.name, action="drop", reason="absent from the test file"))
            continue
        yield col


def _plan_prep(summary: TaskSummary, profile: Profile, time_budget: float) -> PrepPlan:
    prep = PrepPlan(id_column=summary.id_column, onehot_max_levels=ONEHOT_MAX_LEVELS)
    for col in _input_columns(summary, profile, prep):
        _place_column(col, summary, profile, prep, time_budget)
    _plan_text_terms(profile, prep)
    _plan_media(summary, profile, prep)
    if summary.metric == "rmsle":
        prep.target_transform = "log1p"
        prep.decisions.append(Decision(column=summary.target, action="log1p target",
                                       reason="RMSLE is RMSE on log1p: fitting log1p(y) optimises the metric"))
    return prep


def _plan_text_terms(profile: Profile, prep: PrepPlan) -> None:
    """Keyword presence beside each text column's SVD, as many terms as the width budget allows."""
    if not prep.text_columns:
        return
    terms = min(MAX_TEXT_TERMS, TERM_CELLS // max(1, profile.n_train_rows * len(prep.text_columns)))
    if terms < MIN_TEXT_TERMS:
        return
    for plan in prep.text_columns:
        plan.terms = terms
        plan.reason += (f"; presence of its {terms} most frequent words and word pairs (the SVD blurs single "
                        "keywords)")
        for decision in prep.decisions:
            if decision.column == plan.column and decision.action == "tf-idf + svd":
                decision.action, decision.reason = "tf-idf + svd + terms", plan.reason


def _place_column(col: ColumnProfile, summary: TaskSummary, profile: Profile, prep: PrepPlan,
                  time_budget: float) -> None:
    def keep(bucket: list, action: str, reason: str) -> None:
        bucket.append(col.name)
        prep.decisions.append(Decision(column=col.name, action=action, reason=reason))

    if col.name == summary.id_column or col.kind == "id":
        prep.dropped.append(Decision(column=col.name, action="drop", reason="row identifier, carries no signal"))
    elif col.kind == "constant":
        prep.dropped.append(Decision(column=col.name, action="drop", reason="constant: one value or none"))
    elif col.kind in ("image_path", "audio_path"):
        pass  # media are planned together, with what the profile measured of their files (_plan_media)
    elif col.kind == "numeric":
        note = f"median imputation ({col.missing_rate:.0%} missing)" if col.n_missing else "as is"
        keep(prep.numeric_columns, "numeric", note)
    elif col.kind == "boolean":
        keep(prep.boolean_columns, "boolean", "two values mapped to 0/1")
    elif col.kind == "datetime":
        keep(prep.datetime_columns, "date parts", "year, month, day, weekday, hour, day of year and epoch time")
    elif col.kind == "text":
        components = 64 if profile.n_train_rows >= 2000 else 32
        # Character n-grams cost about a second per thousand documents: only when the budget has room,
        # or when the script writes no spaces between words (then the word tokenizer sees whole sentences).
        unspaced = col.script in UNSPACED_SCRIPTS
        chars = unspaced or time_budget >= 30 + profile.n_train_rows / 250
        grams = "words+chars" if chars else "words"
        language = f", {col.script} script{', no spaces between words' if unspaced else ''}" if col.script else ""
        prep.text_columns.append(TextPlan(column=col.name, svd_components=components, char_ngrams=chars,
                                          reason=f"free text (mean {col.mean_words or 0:.0f} words{language}): "
                                                 f"TF-IDF {grams} reduced to {components} SVD components "
                                                 "plus length/style counts"))
        prep.decisions.append(Decision(column=col.name, action="tf-idf + svd", reason=prep.text_columns[-1].reason))
    else:
        bucket, action, reason = _categorical_encoding(col)
        keep(getattr(prep, bucket), action, reason)
    if col.leak_suspect:
        prep.decisions.append(Decision(column=col.name, action="kept, flagged",
                                       reason="almost determines the target; kept because test has it too"))


def _categorical_encoding(col: ColumnProfile) -> tuple[str, str, str]:
    """One-hot, native categories or frequency codes for a categorical column: its PrepPlan list, action, reason."""
    levels = col.n_unique
    if levels <= ONEHOT_MAX_LEVELS:
        return "onehot_columns", "one-hot", f"{levels} levels"
    if levels > NATIVE_MAX_LEVELS:
        return ("ordinal_columns", "frequency codes",
                f"{levels} levels: more than {NATIVE_MAX_LEVELS} for a category column (splits over many levels "
                "fit noise); codes ordered by frequency plus the frequency itself")
    if col.unique_ratio > NATIVE_MAX_UNIQUE_RATIO:
        return ("ordinal_columns", "frequency codes",
                f"{levels} levels, {col.unique_ratio:.0%} of the rows distinct: too few rows per level for "
                "category statistics; codes ordered by frequency plus the frequency itself")
    unseen = f", {col.unseen_in_test_rate:.0%} of test values unseen in train" if col.unseen_in_test_rate else ""
    return ("native_categorical_columns", "native categorical",
            f"{levels} levels{unseen}: too many for one-hot; one category column that LightGBM, CatBoost "
            "and XGBoost split on (levels seen once and unseen ones share an 'other' level) plus the "
            "level's frequency; the other learners read its frequency-ordered code")


def image_columns(prep: PrepPlan) -> list[str]:
    """Every column the preprocessing reads images from: named in the data or added by a join."""
    return prep.image_columns + [j.column for j in prep.media_joins if j.modality == "image"]


def audio_columns(prep: PrepPlan) -> list[str]:
    return prep.audio_columns + [j.column for j in prep.media_joins if j.modality == "audio"]


def _plan_media(summary: TaskSummary, profile: Profile, prep: PrepPlan) -> None:
    """Media columns and joined media folders, each decision carrying the files' measured facts."""
    facts = {(m.column, m.pattern): m for m in profile.media}
    sides = [min(m.width.median, m.height.median) for m in profile.media if m.modality == "image" and m.width]
    if sides:
        # Small images are not blown up: a bigger grid would only repeat their pixels.
        prep.image_side = int(max(4, min(IMAGE_SIDE, min(sides))))
    used = {c.name for c in profile.columns}
    for col in profile.columns:
        if col.kind in ("image_path", "audio_path") and col.in_test and col.name not in summary.target_columns:
            modality = col.kind.removesuffix("_path")
            (prep.image_columns if modality == "image" else prep.audio_columns).append(col.name)
            ref = next((m for m in summary.media if m.column == col.name and m.pattern is None), None)
            if ref and ref.folders:
                prep.media_folders[col.name] = ref.folders
            prep.decisions.append(Decision(column=col.name, action=f"{modality} features",
                                           reason=_media_reason(modality, facts.get((col.name, None)), prep.image_side)))
    for ref in summary.media:
        if ref.pattern is None or ref.column not in used or not profile.column(ref.column).in_test:
            continue
        name = f"{ref.column}__{ref.modality}"
        while name in used:  # the added column must not shadow a real one
            name += "_"
        used.add(name)
        prep.media_joins.append(MediaJoin(column=name, key=ref.column, folders=ref.folders, pattern=ref.pattern,
                                          modality=ref.modality))
        item = facts.get((ref.column, ref.pattern))
        prep.decisions.append(Decision(
            column=name, action=f"{ref.modality} features (joined)",
            reason=f"{' or '.join(f + '/' for f in ref.folders)}{ref.pattern.replace('{}', '<' + ref.column + '>')} "
                   "per row; "
                   + _media_reason(ref.modality, item, prep.image_side)))


def _media_reason(modality: str, item: MediaProfile | None, side: int) -> str:
    measured = ""
    if item is not None:
        measured = f"{item.n_found} of {item.n_rows} rows have a file"
        if item.width and item.height:
            measured += (f", median {item.width.median:.0f}x{item.height.median:.0f} px, "
                         f"modes {'/'.join(item.modes)}")
        if item.duration_s:
            measured += (f", median {item.duration_s.median:.2f} s at {'/'.join(item.sample_rates)} Hz, "
                         f"{'/'.join(item.channels)} channel(s)")
        if item.n_unreadable:
            measured += f", {item.n_unreadable} of {item.n_opened} opened files unreadable"
        measured += ". "
    what = (f"{side}x{side} grayscale thumbnail, colour statistics and gradient-orientation histogram"
            if modality == "image" else
            "MFCC means/deviations over the clip and its quarters, loudness, zero crossings")
    return f"{measured}{what}; missing or unreadable files become zeros with an indicator (logged)"


def _plan_model(summary: TaskSummary, profile: Profile, time_budget: float,
                preset: str = presets.DEFAULT_PRESET) -> ModelPlan:
    n_cells = profile.n_train_rows * max(1, len(profile.features()))
    # The preset's learners in its order: LightGBM first (cheap and strong, so a valid submission
    # exists early), the cheap diverse learners last with small weights (they serve the ensemble).
    planned, left_out = presets.candidates(preset, profile.n_train_rows, n_cells, time_budget)
    candidates = [Candidate(learner=learner, weight=weight) for learner, weight in planned]
    class_weight = None
    target = profile.targets[0] if profile.targets else None
    if (summary.metric in CLASS_BALANCED_METRICS and target is not None
            and (target.imbalance_ratio or 1.0) >= IMBALANCE_FOR_WEIGHTS):
        class_weight = "balanced"
    learners = [c.learner for c in candidates]
    boosters = [name for name in learners if name in BOOSTING_LEARNERS]
    diverse = [name for name in learners if name not in BOOSTING_LEARNERS and name != "linear"]
    reason = ("Gradient boosting (" + ", ".join(boosters) + ")"
              + (", a regularised linear model" if "linear" in learners else "")
              + (" and, for the ensemble, " + ", ".join(diverse) if diverse else "")
              + ", tuned with Optuna within their time shares (the defaults, then a portfolio of known-good "
              "configurations, then TPE); out-of-fold predictions decide between the best single model and "
              "their average.")
    if left_out:
        reason += " Left out: " + ", ".join(left_out) + "."
    if class_weight:
        reason += f" Classes are imbalanced ({target.imbalance_ratio:.1f}:1) and {summary.metric} weighs them equally: balanced class weights."
    return ModelPlan(candidates=candidates, class_weight=class_weight, reason=reason)


def _plan_train(summary: TaskSummary, profile: Profile, time_budget: float,
                preset: str = presets.DEFAULT_PRESET) -> TrainPlan:
    n = profile.n_train_rows
    classification = summary.task_type in (TaskType.binary, TaskType.multiclass)
    chosen = presets.preset(preset)
    n_folds = chosen["n_folds"]
    if n_folds is None:  # the rule: 5 folds, 3 on large data or a short budget
        n_folds = 5 if n <= 200_000 else 3
        if time_budget < 60:
            n_folds = min(n_folds, 3)
    return TrainPlan(
        cv="stratified" if classification else "kfold",
        n_folds=n_folds,
        holdout_fraction=0.1 if n >= 2000 else 0.0,
        max_trials=chosen["max_trials"],
        hpo_share=chosen["hpo_share"],
    )


def _embedding_seconds(profile: Profile, prep: PrepPlan, modality: str, encoder: Checkpoint) -> float:
    """Rough, deliberately pessimistic cost of one encoder pass over every cell of a modality.

    Measured or derived for two loaded CPU cores: a MiniLM-sized text encoder takes 4-10 ms per short
    text (longer texts proportionally more); a ViT-base-sized image encoder about 0.25 s per image;
    a wav2vec2-base-sized audio encoder about 0.2 s per second of audio. Smaller encoders scale down
    with their size on disk; a GPU is ~20x faster. Importing the libraries is counted once, by the caller
    (IMPORT_SECONDS). The text rate was measured with its imports and stays as measured.
    """
    rows = profile.n_train_rows + profile.n_test_rows
    speedup = 20.0 if importlib.util.find_spec("torch") and _cuda() else 1.0
    if modality == "text":
        words = sum(profile.column(t.column).mean_words or 10.0 for t in prep.text_columns)
        per_row = 0.008 * max(1.0, words / 12.0) * max(0.05, encoder.size_mb / 90)
        return rows * per_row / speedup
    columns = image_columns(prep) if modality == "image" else audio_columns(prep)
    if modality == "image":
        per_row = 0.25 * len(columns) * max(0.01, encoder.size_mb / 350)
    else:
        seconds = [m.duration_s.median for m in profile.media if m.modality == "audio" and m.duration_s] or [5.0]
        per_row = 0.2 * min(max(seconds), 30.0) * len(columns) * max(0.01, encoder.size_mb / 360)
    return _weights_seconds(encoder) + rows * per_row / speedup


def _weights_seconds(encoder: Checkpoint) -> float:
    return 2.0 + encoder.size_mb / 50


def _cuda() -> bool:
    """An NVIDIA driver is loaded: the planner's guess that PyTorch will find a GPU, without importing
    PyTorch (seconds of the plan phase); the pipeline itself asks torch."""
    return Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()


def _add_tracks(model: ModelPlan, prep: PrepPlan, profile: Profile, retrieval: Retrieval,
                tracks: tuple[str, ...], time_budget: float) -> None:
    """Pretrained and custom-NN candidates, where the task has a use for them and this machine can run them."""
    media = bool(image_columns(prep) or audio_columns(prep))
    if "custom_nn" in tracks:
        if importlib.util.find_spec("torch") is None:
            model.skipped.append(Decision(column="custom_nn", action="track skipped",
                                          reason=f"PyTorch is not installed ({install_hint('nn')})"))
        else:
            # Tables go to TabM (an ensemble of MLPs in one net, the strongest tabular network of its
            # benchmarks); media go to the MLP, whose CNN reads the pixel and log-mel grids.
            tabular = not media and importlib.util.find_spec("tabm") is not None
            network = Candidate(track="custom_nn", learner="tabm" if tabular else "mlp", search=False,
                                weight=4.0 if media else 1.5)
            if tabular:
                model.reason = " ".join(filter(None, [
                    model.reason, "The custom NN track trains TabM (k MLP heads sharing weights, piecewise-linear "
                                  "embeddings of quantile-normalised numbers): on tables it is the network that "
                                  "comes closest to gradient boosting."]))
            # On images and audio the network is the strongest bet: right after the first, quick model.
            model.candidates.insert(1 if media else len(model.candidates), network)
    if "pretrained" in tracks:
        _add_pretrained(model, prep, profile, retrieval, time_budget)


def _add_pretrained(model: ModelPlan, prep: PrepPlan, profile: Profile, retrieval: Retrieval,
                    time_budget: float) -> None:
    """Heads on the embeddings of every modality that has a loadable encoder; the others keep their
    standard features in that track."""
    present = [m for m, cols in (("text", prep.text_columns), ("image", image_columns(prep)),
                                 ("audio", audio_columns(prep))) if cols]
    if not present:
        model.skipped.append(Decision(column="pretrained", action="track skipped",
                                      reason="no text, image or audio column: no pretrained encoder has "
                                             "anything to embed"))
        return
    encoders = {m: retrieval.best(m) for m in present}
    missing = [f"no loadable {m} encoder ({retrieval.why_not(m)})" for m, e in encoders.items() if e is None]
    encoders = {m: e for m, e in encoders.items() if e is not None}
    if not encoders:
        model.skipped.append(Decision(column="pretrained", action="track skipped", reason="; ".join(missing)))
        return
    costs = {m: _embedding_seconds(profile, prep, m, e) for m, e in encoders.items()}
    media = [e for m, e in encoders.items() if m != "text"]
    load = IMPORT_SECONDS + sum(map(_weights_seconds, encoders.values()))
    cost = sum(costs.values()) + (IMPORT_SECONDS if media else 0.0)  # text's rate already holds its imports
    if cost > EMBEDDING_SHARE * time_budget:
        names = ", ".join(f"{m} with {e.name}" for m, e in encoders.items())
        model.skipped.append(Decision(column="pretrained", action="track skipped",
                                      reason=f"embedding {names} takes about {cost:.0f}s here, more than "
                                             f"{EMBEDDING_SHARE:.0%} of the {time_budget:.0f}s budget"))
        return
    for modality, encoder in encoders.items():
        setattr(prep, f"pretrained_{modality}", encoder.location)
        prep.decisions.append(Decision(
            column=f"<{modality}>", action="pretrained embeddings",
            reason=f"pretrained track: {encoder.name} ({encoder.source}, {encoder.size_mb:g} MB, {encoder.licence}"
                   + (f", {encoder.dim}-wide" if encoder.dim else "") + f"), about {costs[modality]:.0f}s"
                   + (f"; {'; '.join(missing)}: standard features there" if missing else "")))
    model.feature_seconds["pretrained"] = round(cost, 1)
    model.feature_load_seconds["pretrained"] = round(load, 1)
    # After the first boosted model: a slow embedding pass must not cost the run its strongest cheap model.
    model.candidates[2:2] = [Candidate(track="pretrained", learner="linear", weight=1.0 + cost / 10),
                             Candidate(track="pretrained", learner="lightgbm", weight=1.5)]


def default_plan(summary: TaskSummary, profile: Profile, time_budget: float) -> Blueprint:
    """The reactive variant's plan: what code gets when nobody plans (the iML paper's "w/o planning" ablation).

    One default learner, untuned, on generic preprocessing: numbers as numbers, every other column as
    frequency codes; no per-column reading of the profile (no text, date or media features, no class
    weights, no target transform). The task's facts and the interface contract stay, because the
    submission must still be valid and the verifier still checks it.
    """
    prep = PrepPlan(id_column=summary.id_column, onehot_max_levels=ONEHOT_MAX_LEVELS)
    for col in _input_columns(summary, profile, prep):
        if col.name == summary.id_column:
            prep.dropped.append(Decision(column=col.name, action="drop", reason="the submission's id column"))
        elif col.kind == "numeric":
            prep.numeric_columns.append(col.name)
        else:
            prep.ordinal_columns.append(col.name)
    prep.decisions.append(Decision(column="*", action="generic",
                                   reason="reactive variant: numbers as numbers, other columns as frequency codes"))
    model = ModelPlan(candidates=[Candidate(learner="lightgbm", search=False)],
                      reason="Reactive variant: one default learner (LightGBM, default parameters), no planning.")
    return Blueprint(
        task=summary.name,
        modality="tabular",
        prep=prep,
        model=model,
        train=_plan_train(summary, profile, time_budget),
        eval=EvalPlan(metric=summary.metric, greater_is_better=summary.greater_is_better,
                      prediction=summary.submission.kind),
        contract=build_contract(summary, profile),
        rationale=[model.reason],
    )  # the Reactive variant (iml.variants) records itself in the blueprint

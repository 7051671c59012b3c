"""Search spaces as data: well-formed ranges, defaults inside them, suggestions that stay inside them."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from iml.runtime import names, spaces

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_every_learner_has_defaults_and_a_space_over_the_same_parameters() -> None:
    assert set(spaces.DEFAULTS) == set(spaces.SPACES) == set(names.LEARNERS)
    for learner in names.LEARNERS:
        assert set(spaces.DEFAULTS[learner]) == set(spaces.SPACES[learner]), learner


@pytest.mark.parametrize("learner", names.LEARNERS)
def test_ranges_are_well_formed(learner: str) -> None:
    for name, spec in spaces.SPACES[learner].items():
        assert spec[0] in ("float", "int", "categorical"), (learner, name)
        if spec[0] == "categorical":
            assert len(spec) == 2 and len(spec[1]) >= 2
        else:
            kind, low, high, log = spec
            assert low < high and isinstance(log, bool), (learner, name)
            assert not log or low > 0, (learner, name)  # a log range must be positive
            if kind == "int":
                assert isinstance(low, int) and isinstance(high, int)


@pytest.mark.parametrize("learner", names.LEARNERS)
def test_defaults_lie_inside_the_ranges(learner: str) -> None:
    for name, value in spaces.DEFAULTS[learner].items():
        assert spaces.contains(learner, name, value), (learner, name, value)


def test_contains_rejects_values_outside_and_non_integers_for_int_ranges() -> None:
    assert not spaces.contains("lightgbm", "learning_rate", 0.5)
    assert not spaces.contains("lightgbm", "num_leaves", 31.5)
    assert not spaces.contains("mlp", "hidden", 64)
    assert spaces.contains("mlp", "hidden", 512)


@pytest.mark.parametrize("learner", names.LEARNERS)
def test_suggestions_stay_inside_the_ranges(learner: str) -> None:
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=5))
    seen: dict[str, set] = {name: set() for name in spaces.SPACES[learner]}
    for _ in range(25):
        trial = study.ask()
        params = spaces.suggest(learner, trial)
        assert set(params) == set(spaces.SPACES[learner])
        for name, value in params.items():
            assert spaces.contains(learner, name, value), (learner, name, value)
            if spaces.SPACES[learner][name][0] == "int":
                assert isinstance(value, int)
            seen[name].add(value)
        study.tell(trial, sum(float(v) if not isinstance(v, str) else len(v) for v in params.values()))
    assert all(len(values) > 1 for values in seen.values())  # every parameter is really searched


@pytest.mark.parametrize("learner", names.LEARNERS)
def test_the_defaults_are_the_first_trial(learner: str) -> None:
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    study.enqueue_trial(spaces.DEFAULTS[learner])
    assert spaces.suggest(learner, study.ask()) == spaces.DEFAULTS[learner]


def test_skipped_parameters_are_not_searched() -> None:
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()
    params = spaces.suggest("lightgbm", trial, skip={"num_leaves": 63})
    assert "num_leaves" not in params and "num_leaves" not in trial.params
    assert set(params) == set(spaces.SPACES["lightgbm"]) - {"num_leaves"}


def test_an_unknown_learner_is_named_in_the_error() -> None:
    trial = optuna.create_study().ask()
    with pytest.raises(ValueError, match="unknown learner 'forest'"):
        spaces.suggest("forest", trial)


# -- the portfolio --------------------------------------------------------------------------------------
def test_every_learner_has_a_portfolio_of_three_to_five_distinct_configurations() -> None:
    assert set(spaces.PORTFOLIO) == set(names.LEARNERS)
    for learner in names.LEARNERS:
        configs = spaces.portfolio(learner)
        assert 3 <= len(configs) == len(spaces.PORTFOLIO[learner]) <= 5, learner  # none repeats the defaults
        assert all(set(c) == set(spaces.DEFAULTS[learner]) for c in configs)  # complete configurations


@pytest.mark.parametrize("learner", names.LEARNERS)
def test_portfolio_entries_lie_inside_the_ranges(learner: str) -> None:
    for entry in spaces.PORTFOLIO[learner]:
        assert entry and set(entry) <= set(spaces.SPACES[learner]), (learner, entry)
        for name, value in entry.items():
            assert spaces.contains(learner, name, value), (learner, name, value)
            assert type(value) is type(spaces.DEFAULTS[learner][name]) or spaces.SPACES[learner][name][0] == "float"


def test_the_portfolio_is_over_the_given_defaults_and_limited() -> None:
    fixed = {**spaces.DEFAULTS["linear"], "C": 0.1}  # equal to the first entry: that one is left out
    assert spaces.portfolio("linear", fixed) == [{"C": 10.0}, {"C": 0.01}]
    assert spaces.portfolio("linear", limit=1) == [{"C": 0.1}]
    assert spaces.portfolio("linear", limit=0) == [] and spaces.portfolio("llm") == []


@pytest.mark.parametrize("learner", names.LEARNERS)
def test_an_enqueued_portfolio_entry_is_suggested_as_it_is(learner: str) -> None:
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    for config in spaces.portfolio(learner):
        study.enqueue_trial(config)
    assert [spaces.suggest(learner, study.ask()) for _ in spaces.PORTFOLIO[learner]] == spaces.portfolio(learner)


SMOKE_LIMITS = {"lightgbm": "num_boost_round", "xgboost": "n_estimators", "catboost": "iterations",
                "mlp": "max_epochs"}


def test_smoke_settings_name_every_learner() -> None:
    assert set(spaces.SMOKE) == set(spaces.DEFAULTS)
    assert set(SMOKE_LIMITS) <= set(spaces.SMOKE)


@pytest.mark.parametrize("learner", sorted(SMOKE_LIMITS))
def test_each_learner_honours_its_smoke_settings_with_a_validation_set(learner: str) -> None:
    pytest.importorskip({"mlp": "torch"}.get(learner, learner))
    from iml.runtime.learners import make_learner

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4)).astype(np.float32)
    y = (X[:, 0] + 0.3 * rng.normal(size=120) > 0).astype(int)
    model = make_learner(learner, task="binary", n_classes=2, params=dict(spaces.SMOKE[learner]),
                         early_stopping_rounds=50).fit(X[:80], y[:80], X[80:], y[80:])
    assert 1 <= model.n_iterations_ <= spaces.SMOKE[learner][SMOKE_LIMITS[learner]]
    assert model.predict_proba(X).shape == (120, 2)

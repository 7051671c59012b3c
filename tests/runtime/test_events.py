"""Typed pipeline events: every kind round-trips; readers skip torn and unknown lines; the tail sees only new ones."""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pytest

from iml.runtime import events as ev

SAMPLE_VALUES = {"str": "some text", "int": 7, "float": 2.5, "float | None": 0.125, "str | None": "x.npy",
                 "dict": {"C": 0.5, "depth": 3}, "list": ["traditional/lightgbm", "pretrained/linear"]}


def filled(cls: type[ev.Event]) -> ev.Event:
    """An event of ``cls`` with every field set away from its default."""
    values = {}
    for f in dataclasses.fields(cls):
        values[f.name] = 12.5 if f.name == "t" else SAMPLE_VALUES[str(f.type)]
    event = cls(**values)
    assert event != cls()
    return event


def test_every_kind_is_registered_once():
    kinds = [cls.kind for cls in ev.EVENT_TYPES.values()]
    defined = {cls for cls in vars(ev).values() if isinstance(cls, type) and issubclass(cls, ev.Event)} - {ev.Event}
    assert len(kinds) == len(set(kinds)) and set(ev.EVENT_TYPES.values()) == defined
    assert "event" not in ev.EVENT_TYPES
    assert all(ev.EVENT_TYPES[k].kind == k for k in ev.EVENT_TYPES)


@pytest.mark.parametrize("kind", sorted(ev.EVENT_TYPES))
def test_every_event_round_trips(kind):
    event = filled(ev.EVENT_TYPES[kind])
    line = event.to_json()
    assert "\n" not in line and json.loads(line)["event"] == kind
    back = ev.parse_line(line)
    assert type(back) is type(event) and back == event


def test_numpy_values_and_none_serialise():
    event = ev.CandidateFinished(track="t", learner="l", cv_mean=np.float64(0.75), folds=np.int64(5),
                                 params={"n": np.int64(3), "lr": np.float32(0.5)}, holdout=None)
    back = ev.parse_line(event.to_json())
    assert back.cv_mean == 0.75 and back.folds == 5 and back.params == {"n": 3, "lr": 0.5} and back.holdout is None


def test_a_newer_writers_extra_fields_are_ignored():
    back = ev.parse_line(json.dumps({"event": "candidate_skipped", "t": 1.0, "track": "a", "learner": "b",
                                     "reason": "late", "added_later": 1}))
    assert back == ev.CandidateSkipped(t=1.0, track="a", learner="b", reason="late")


@pytest.mark.parametrize("line", ["", "   ", '{"event": "candidate_skip', '{"event": "no_such_kind", "t": 1}',
                                  '{"t": 1}', "[1, 2]", "42", '"text"', "not json", '{"event": "featurized", "rows": '])
def test_unreadable_lines_parse_to_none(line):
    assert ev.parse_line(line) is None


def test_read_events_skips_a_torn_last_line_and_unknown_kinds(tmp_path):
    path = tmp_path / "events.jsonl"
    assert ev.read_events(path) == []
    log = ev.EventLog(path)
    log.emit(ev.PipelineStarted(time_budget=60.0))
    with path.open("a") as fh:
        fh.write(json.dumps({"event": "from_the_future", "t": 0.5}) + "\n\n")
    log.emit(ev.CandidateStarted(track="traditional", learner="linear"))
    with path.open("a") as fh:
        fh.write(ev.CandidateFinished(track="traditional", learner="linear").to_json()[:25])  # killed mid-line
    got = ev.read_events(path)
    assert [e.kind for e in got] == ["pipeline_started", "candidate_started"]
    assert got[0].time_budget == 60.0 and got[1].learner == "linear"


def test_event_log_stamps_time_since_start(tmp_path):
    log = ev.EventLog(tmp_path / "deep" / "er" / "events.jsonl", started=time.time() - 100)
    event = log.emit(ev.DataLoaded(train_rows=3))
    assert 100 <= event.t < 10_000
    assert ev.read_events(tmp_path / "deep" / "er" / "events.jsonl") == [event]
    silent = ev.EventLog(None)
    assert silent.emit(ev.PipelineFinished(succeeded=1)).succeeded == 1 and silent.path is None


def test_event_tail_returns_only_new_events(tmp_path):
    path = tmp_path / "events.jsonl"
    tail = ev.EventTail(path)
    assert tail.new() == []  # no file yet
    log = ev.EventLog(path)
    log.emit(ev.PipelineStarted())
    log.emit(ev.DataLoaded(train_rows=10))
    assert [e.kind for e in tail.new()] == ["pipeline_started", "data_loaded"]
    assert tail.new() == []
    log.emit(ev.Featurized(feature_set="standard", rows=10))
    got = tail.new()
    assert len(got) == 1 and got[0].feature_set == "standard"


def test_event_tail_holds_back_an_unfinished_line(tmp_path):
    path = tmp_path / "events.jsonl"
    tail = ev.EventTail(path)
    line = ev.CandidateFailed(track="traditional", learner="xgboost", exception="ValueError",
                              traceback="Traceback (most recent call last):\n  ...\nValueError: ±").to_json()
    with path.open("a") as fh:
        fh.write(ev.CandidateStarted(track="traditional", learner="xgboost").to_json() + "\n" + line[:40])
    assert [e.kind for e in tail.new()] == ["candidate_started"]
    with path.open("a") as fh:
        fh.write(line[40:-5])
    assert tail.new() == []
    with path.open("a") as fh:
        fh.write(line[-5:])
    assert tail.new() == []  # complete text, but no line end yet
    with path.open("a") as fh:
        fh.write("\n")
    got = tail.new()
    assert len(got) == 1 and got[0].exception == "ValueError" and got[0].traceback.endswith("ValueError: ±")
    assert tail.new() == []

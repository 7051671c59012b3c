"""The host's early floor never replaces a submission that is already there, however late it appears."""

from __future__ import annotations

from pathlib import Path

import pytest

from iml.integration import floor


def test_an_existing_submission_is_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "submission.csv"
    out.write_text("id,y\n1,0.9\n")
    assert floor.write_floor_if_absent(None, None, tmp_path, out) is False  # nothing read, nothing written
    assert out.read_text() == "id,y\n1,0.9\n"


def test_a_submission_that_appears_while_the_floor_is_written_wins(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "submission.csv"

    def floor_then_the_pipeline_saves(bp, summary, data_dir, aside: Path) -> Path:
        aside.write_text("id,y\n1,0.5\n")
        out.write_text("id,y\n1,0.9\n")  # the pipeline's model, saved meanwhile
        return aside

    monkeypatch.setattr(floor, "write_floor", floor_then_the_pipeline_saves)
    assert floor.write_floor_if_absent(None, None, tmp_path, out) is False
    assert out.read_text() == "id,y\n1,0.9\n" and list(tmp_path.iterdir()) == [out]  # the aside file is gone


def test_with_no_submission_the_floor_is_linked_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "submission.csv"
    monkeypatch.setattr(floor, "write_floor", lambda bp, s, d, aside: aside.write_text("id,y\n1,0.5\n"))
    assert floor.write_floor_if_absent(None, None, tmp_path, out) is True
    assert out.read_text() == "id,y\n1,0.5\n" and list(tmp_path.iterdir()) == [out]

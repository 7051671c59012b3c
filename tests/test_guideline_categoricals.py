"""The guideline's encoding of each categorical column, and the reason it records for it."""

from __future__ import annotations

from pathlib import Path

from iml.perception.description import analyze_task
from iml.perception.profile import ColumnProfile
from iml.perception.profiling import profile_task
from iml.planning import guideline


def categorical(levels: int, rows: int = 10_000, unseen: float | None = None) -> ColumnProfile:
    return ColumnProfile(name="c", dtype="str", kind="categorical", in_test=True, n_missing=0, missing_rate=0.0,
                         n_unique=levels, unique_ratio=levels / rows, unseen_in_test_rate=unseen)


def test_few_levels_one_hot_mid_and_high_native_huge_or_near_unique_frequency_codes() -> None:
    assert guideline._categorical_encoding(categorical(12))[:2] == ("onehot_columns", "one-hot")
    bucket, action, reason = guideline._categorical_encoding(categorical(13, unseen=0.02))
    assert (bucket, action) == ("native_categorical_columns", "native categorical")
    assert reason.startswith("13 levels, 2% of test values unseen in train") and "category column" in reason
    assert guideline._categorical_encoding(categorical(guideline.NATIVE_MAX_LEVELS))[0] == "native_categorical_columns"
    bucket, action, reason = guideline._categorical_encoding(categorical(guideline.NATIVE_MAX_LEVELS + 1, 100_000))
    assert (bucket, action) == ("ordinal_columns", "frequency codes") and "more than 32" in reason
    bucket, _, reason = guideline._categorical_encoding(categorical(800, 1000))
    assert bucket == "ordinal_columns" and "more than 32" in reason
    bucket, _, reason = guideline._categorical_encoding(categorical(24, 40))
    assert bucket == "ordinal_columns" and "60% of the rows distinct" in reason


def test_the_plan_lists_native_columns_with_their_reason_and_the_module_reads_them(binary_task: Path) -> None:
    from iml.coding import coder

    summary = analyze_task(binary_task)
    bp = guideline.plan(summary, profile_task(summary), 60, tracks=("traditional",))
    assert bp.prep.native_categorical_columns == ["city"] and bp.prep.onehot_columns == ["plan"]
    assert "city" not in bp.prep.ordinal_columns
    reasons = {d.column: (d.action, d.reason) for d in bp.prep.decisions}
    assert reasons["city"][0] == "native categorical" and reasons["city"][1].startswith("30 levels")
    assert bp.contract.features.allow_category
    source = coder.write_preprocess(bp, summary)
    assert "NATIVE = ['city']" in source and "native=NATIVE" in source

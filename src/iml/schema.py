"""The training schema new rows are checked against before a fitted pipeline sees them.

A pipeline fed a table it was not trained on fails deep inside (``KeyError: 'contract'``) or, worse,
predicts quietly from values read as missing (a number column holding ``"abc"``). The check names
what does not fit, with counts, and refuses; columns the training table never had are ignored and
said once. It reads the run's profile and blueprint only, never the generated code, so the CLI can
check a table before the sandbox runs anything.
"""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict

from iml.errors import DataError
from iml.perception.profile import Profile
from iml.perception.summary import TaskSummary
from iml.planning.blueprint import Blueprint

EXAMPLES = 3  # offending values quoted per column


class InputSchema(BaseModel):
    """The columns a pipeline reads (``required``) and what kind of values each of the training table's
    columns holds (``kinds``: the profile's column kinds)."""

    model_config = ConfigDict(extra="forbid")

    kinds: dict[str, str]  # every training column but the targets -> profile kind
    required: list[str]  # the columns the preprocessing reads
    id_column: str | None
    target_columns: list[str]

    @classmethod
    def of(cls, summary: TaskSummary, profile: Profile, blueprint: Blueprint) -> "InputSchema":
        prep = blueprint.prep
        used = [*prep.numeric_columns, *prep.boolean_columns, *prep.onehot_columns, *prep.ordinal_columns,
                *prep.native_categorical_columns, *prep.datetime_columns, *(t.column for t in prep.text_columns),
                *prep.image_columns, *prep.audio_columns, *(join.key for join in prep.media_joins)]
        kinds = {c.name: c.kind for c in profile.columns if c.name not in summary.target_columns}
        required = [c for c in dict.fromkeys(used) if c in kinds]
        return cls(kinds=kinds, required=required, id_column=summary.id_column,
                   target_columns=list(summary.target_columns))

    def check(self, frame: pd.DataFrame, needs_id: bool = False) -> tuple[pd.DataFrame, list[str]]:
        """The frame to predict on and notes for the user; DataError naming every column that does not fit.

        Number columns whose every value reads as a number are given as numbers (``"3.5"`` -> 3.5);
        a value that does not read is an error, never a silent missing value.
        """
        if len(frame) == 0:
            raise DataError("the input table has no rows.", hint="pass at least one row to predict")
        problems, notes = [], []
        needed = self.required + ([self.id_column] if needs_id and self.id_column else [])
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            problems.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}")
        extra = [c for c in frame.columns if c not in self.kinds and c not in self.target_columns]
        if extra:
            notes.append(f"ignored column{'s' if len(extra) > 1 else ''} the training table did not have: "
                         f"{', '.join(map(repr, map(str, extra)))}")
        frame = frame.copy()
        for column in [c for c in self.required if c in frame.columns]:
            kind, values = self.kinds[column], frame[column]
            if kind == "numeric" and not pd.api.types.is_numeric_dtype(values):
                parsed = pd.to_numeric(values, errors="coerce")
                problems += _unreadable(column, values, parsed, "numbers")
                frame[column] = parsed
            elif kind == "datetime" and not pd.api.types.is_datetime64_any_dtype(values):
                parsed = pd.to_datetime(values, errors="coerce", format="mixed")
                problems += _unreadable(column, values, parsed, "dates")
        if problems:
            raise DataError("the input does not fit the training schema: " + "; ".join(problems) + ".",
                            hint="pass rows with the training table's columns and value types "
                                 f"(it reads: {', '.join(self.required)})")
        return frame, notes


def _unreadable(column: str, values: pd.Series, parsed: pd.Series, what: str) -> list[str]:
    """The problem of a column whose non-missing values did not all read as ``what``."""
    bad = values[values.notna() & parsed.isna()]
    if bad.empty:
        return []
    examples = ", ".join(repr(str(v)) for v in bad.unique()[:EXAMPLES])
    return [f"column {column!r}: {len(bad)} of {values.notna().sum()} values are not {what} (e.g. {examples})"]

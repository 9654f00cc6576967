"""The codings table (:class:`~transitions_analysis.core.schema.Codings`): built from rows,
typed, and sorted the same way everywhere so that the same codings give the same bytes."""

from __future__ import annotations

import pandas as pd

from ..core import schema


def codings_table(rows: dict[str, list] | pd.DataFrame) -> pd.DataFrame:
    """A codings DataFrame with schema.CODINGS columns, dtypes fixed and rows sorted."""
    df = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows.copy()
    if df.empty:
        return schema.empty(schema.Codings)
    for col in schema.CODINGS:
        if col not in df.columns:
            df[col] = pd.NA
    df = schema.validate(df[list(schema.CODINGS)], schema.Codings)
    return df.sort_values(
        ["response_id", "start", "end", "code", "source", "coder", "segment_id"], kind="stable", na_position="first"
    ).reset_index(drop=True)

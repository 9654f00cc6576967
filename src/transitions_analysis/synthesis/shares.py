"""Shares of respondents who mention each code, by role, session or year, with Wilson intervals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core import schema
from .common import ALL_RESPONDENTS, group_label, group_order, label_of, mentions, responses_frame, wilson_interval


def code_shares(
    responses: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    by: str = "role",
    codes: Sequence[str] = schema.PRINCIPLES,
    include_total: bool = True,
    include_negated: bool = False,
    question_ids: Iterable[str] | None = None,
    alpha: float = 0.05,
    labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Share of RESPONDENTS of each group who mention each code, with a Wilson interval.

    ``by``: ``role`` (the respondent's), ``session`` or ``year``. The denominator of a group is its
    distinct respondents (who answered anything, or one of ``question_ids`` when given); a
    respondent mentions a code in a group if one of their responses of that group has a
    non-negated coding of it. ``include_total`` adds the group ``ensemble`` (all respondents).
    Columns: <by>, group_label, code, label, respondents, mentioning, share, ci_low, ci_high
    (``1 - alpha`` Wilson interval).
    """
    if by not in ("role", "session", "year"):
        raise ValueError(f"regroupement inconnu : {by!r} (role, session ou year)")
    base = responses_frame(responses)
    if question_ids is not None:
        base = base[base["question_id"].isin(list(question_ids))]
    m = mentions(responses, codings, codes=codes, include_negated=include_negated)
    m = m[m["response_id"].isin(set(base["response_id"]))]
    groups = group_order(by, base[by].unique())
    denominators = {g: base.loc[base[by] == g, "respondent_id"].nunique() for g in groups}
    mentioning = m.groupby([by, "code"])["respondent_id"].nunique()
    rows = []
    for g in groups:
        for code in codes:
            rows.append((g, code, denominators[g], int(mentioning.get((g, code), 0))))
    if include_total:
        total = base["respondent_id"].nunique()
        overall = m.groupby("code")["respondent_id"].nunique()
        for code in codes:
            rows.append((ALL_RESPONDENTS, code, total, int(overall.get(code, 0))))
    out = pd.DataFrame(rows, columns=[by, "code", "respondents", "mentioning"])
    out["share"] = np.where(out["respondents"] > 0, out["mentioning"] / out["respondents"].where(out["respondents"] > 0, 1), np.nan)
    out["ci_low"], out["ci_high"] = wilson_interval(out["mentioning"], out["respondents"], alpha)
    out.insert(1, "group_label", [group_label(by, g) for g in out[by]])
    out.insert(3, "label", [label_of(c, labels) for c in out["code"]])
    return out.reset_index(drop=True)


def principle_shares(responses: pd.DataFrame, codings: pd.DataFrame, *, by: str = "role", **kwargs: Any) -> pd.DataFrame:
    """:func:`code_shares` for the four principles (what each group retains)."""
    return code_shares(responses, codings, by=by, codes=schema.PRINCIPLES, **kwargs)


def outcomes_by_role(responses: pd.DataFrame, codings: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    """:func:`code_shares` by role for the reported outcomes (``outcome.*`` codes): respondents per
    role who report each outcome, over the role's respondents."""
    return code_shares(responses, codings, by="role", codes=schema.OUTCOME_CODES, **kwargs)

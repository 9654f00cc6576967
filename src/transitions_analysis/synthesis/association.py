"""Is a principle retained more by some roles? Chi-square tests with Cramér's V and warnings
on small expected counts."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core import schema
from ..core.labels import percent_fr
from .common import label_of
from .shares import code_shares

log = logging.getLogger(__name__)

SMALL_EXPECTED_FR = (
    "Attention : effectifs attendus faibles (< 5 dans {share} des cases) : le khi-deux est "
    "seulement indicatif, à lire avec prudence."
)
NOT_TESTABLE_FR = "Test impossible : moins de deux lignes ou colonnes non vides."
#: Default selection of the « stakes and strategies » answers: matched (case and accents
#: ignored) against ``question_id + " " + question``.
ROLES_X_PRINCIPLES = "rôles × principes"


def _chi2_row(name: str, table_desc: str, table: pd.DataFrame) -> dict[str, Any]:
    from scipy.stats import chi2_contingency
    from scipy.stats.contingency import association

    t = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    row: dict[str, Any] = {"test": name, "table": table_desc, "n": int(table.to_numpy().sum()),
                           "rows": int(t.shape[0]), "cols": int(t.shape[1])}
    if t.shape[0] < 2 or t.shape[1] < 2:
        row.update(chi2=np.nan, dof=0, p_value=np.nan, cramers_v=np.nan, min_expected=np.nan,
                   share_small_expected=np.nan, small_expected=True, warning=NOT_TESTABLE_FR)
        log.info("%s : %s", name, NOT_TESTABLE_FR)  # expected without roles; the table row says it
        return row
    obs = t.to_numpy(dtype=float)
    res = chi2_contingency(obs, correction=False)
    expected = np.asarray(res.expected_freq)
    share_small = float((expected < 5).mean())
    small = share_small > 0.2 or bool((expected < 1).any())
    row.update(
        chi2=float(res.statistic), dof=int(res.dof), p_value=float(res.pvalue),
        cramers_v=float(association(t.to_numpy(dtype=int), method="cramer", correction=False)),
        min_expected=float(expected.min()), share_small_expected=share_small, small_expected=small,
        warning=SMALL_EXPECTED_FR.format(share=percent_fr(share_small)) if small else "",
    )
    if small:
        log.warning("%s : effectifs attendus < 5 dans %.0f %% des cases, khi-deux indicatif", name, 100 * share_small)
    return row


def mention_table(
    responses: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    roles: Sequence[str] = schema.ROLES,
    codes: Sequence[str] = schema.PRINCIPLES,
    include_negated: bool = False,
) -> pd.DataFrame:
    """Roles x codes contingency table: cell = number of respondents of the role who mention the
    code (index role, columns code). A respondent may count in several columns."""
    return _mentions(_role_shares(responses, codings, roles=roles, codes=codes, include_negated=include_negated), roles, codes)


def _role_shares(responses, codings, *, roles, codes, include_negated) -> pd.DataFrame:
    shares = code_shares(responses, codings, by="role", codes=codes, include_total=False, include_negated=include_negated)
    return shares[shares["role"].isin(list(roles))]


def _mentions(shares: pd.DataFrame, roles: Sequence[str], codes: Sequence[str]) -> pd.DataFrame:
    t = shares.pivot(index="role", columns="code", values="mentioning").reindex(
        index=[r for r in roles if r in set(shares["role"])], columns=list(codes))
    return t.fillna(0).astype(int)


def role_principle_association(
    responses: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    roles: Sequence[str] = schema.ROLES,
    codes: Sequence[str] = schema.PRINCIPLES,
    include_negated: bool = False,
) -> pd.DataFrame:
    """Chi-square tests of the association between role and principles, with Cramér's V.

    First row, ``rôles × principes``: the roles x principles table of :func:`mention_table`
    (respondents of each role mentioning each principle). Since one respondent can mention several
    principles, its cells are not independent observations: read it as a description of how the
    mentions spread across principles, its p-value as indicative. Then one row per principle: the
    roles x (mentions / does not mention) table of respondents, a sound test of « this principle
    is retained more by some roles ». ``inconnu`` is not a role and is left out. No continuity
    correction. A test whose expected counts are < 5 in more than 20 % of the cells (or < 1
    anywhere) is flagged (``small_expected``), logged and carries a French ``warning``.

    Columns: test, table, n, rows, cols (non-empty rows/columns tested), chi2, dof, p_value,
    cramers_v, min_expected, share_small_expected, small_expected, warning.
    """
    shares = _role_shares(responses, codings, roles=roles, codes=codes, include_negated=include_negated)
    rows = [_chi2_row(ROLES_X_PRINCIPLES, "répondant·es mentionnant chaque principe, par rôle", _mentions(shares, roles, codes))]
    for code in codes:
        s = shares[shares["code"] == code].set_index("role")
        t = pd.DataFrame({"mentionne": s["mentioning"], "ne mentionne pas": s["respondents"] - s["mentioning"]})
        rows.append(_chi2_row(label_of(code), "répondant·es par rôle : mentionne / ne mentionne pas", t))
    cols = ["test", "table", "n", "rows", "cols", "chi2", "dof", "p_value", "cramers_v", "min_expected",
            "share_small_expected", "small_expected", "warning"]
    return pd.DataFrame(rows, columns=cols)

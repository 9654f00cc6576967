"""The « who expects what of whom » matrix: one row per (from_role, to_role) cell, with the
principles at stake and representative quotes (withheld below ``k`` respondents)."""

from __future__ import annotations

import logging

import pandas as pd

from .. import config
from ..core import schema
from ..core.labels import ROLE_LABELS_FR
from .common import ROLE_ORDER, respondent_roles
from .quotes import _quote_columns, _top, _vectoriser, representative_quotes

log = logging.getLogger(__name__)


def expectations_matrix(
    expectations: pd.DataFrame,
    responses: pd.DataFrame,
    *,
    k: int = config.MIN_GROUP_SIZE,
    n_quotes: int = 3,
    include_self: bool = False,
    top_principles: int = 2,
    labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """What each role expects of the others: one row per (from_role, to_role) cell.

    Cells: the 4 x 4 roles without the diagonal (``include_self=False``: what a role expects of
    itself is left out of the matrix and its count logged), plus ``inconnu`` rows/columns when
    expectations have that role. ``from_role`` is the respondent's role (:func:`respondent_roles`).
    Columns: from_role, to_role, from_label, to_label, respondents (distinct respondent_id),
    segments (distinct segment_id), principles (the ``top_principles`` principles mentioned by the
    most respondents of the cell, ';'-joined, ties in principle order), principles_fr (« Coopération
    (2) ; ... »), withheld (True when 0 < respondents < k: quotes replaced by ``note``),
    quote_1..quote_<n_quotes>, quote_segments, note.
    """
    r = responses[["response_id", "respondent_id"]]
    roles_of = respondent_roles(responses)
    e = expectations.merge(r, on="response_id", how="left")
    lost = e["respondent_id"].isna()
    if lost.any():
        log.warning("%d attente(s) sans réponse correspondante ignorée(s)", int(lost.sum()))
        e = e[~lost]
    e["from_role"] = e["respondent_id"].map(roles_of).fillna(e["from_role"])
    if not include_self:
        self_rows = e["from_role"] == e["to_role"]
        if self_rows.any():
            log.info("%d attente(s) d'un rôle envers lui-même hors de la matrice (include_self=False)", int(self_rows.sum()))
        e = e[~self_rows]
    from_roles = list(schema.ROLES) + ([schema.UNKNOWN_ROLE] if (e["from_role"] == schema.UNKNOWN_ROLE).any() else [])
    to_roles = list(schema.ROLES) + ([schema.UNKNOWN_ROLE] if (e["to_role"] == schema.UNKNOWN_ROLE).any() else [])
    vec = _vectoriser(e["text"]) if len(e) else None
    rows = []
    for fr in from_roles:
        for to in to_roles:
            if fr == to and not include_self:
                continue
            cell = e[(e["from_role"] == fr) & (e["to_role"] == to)]
            n_resp = int(cell["respondent_id"].nunique())
            prin = cell.assign(p=cell["principles"].str.split(";")).explode("p")
            prin = prin[prin["p"].isin(schema.PRINCIPLES)]
            counts = prin.groupby("p")["respondent_id"].nunique()
            top_ids, top_fr = _top(counts, list(schema.PRINCIPLES), labels, top_principles)
            withheld = 0 < n_resp < k
            chosen = None
            if n_resp >= k:
                chosen = representative_quotes(cell[["segment_id", "respondent_id", "text"]], n_quotes=n_quotes, vectoriser=vec)
            rows.append({
                "from_role": fr, "to_role": to,
                "from_label": ROLE_LABELS_FR[fr], "to_label": ROLE_LABELS_FR[to],
                "respondents": n_resp, "segments": int(cell["segment_id"].nunique()),
                "principles": top_ids, "principles_fr": top_fr, "withheld": withheld,
                **_quote_columns(chosen, n_quotes, withheld, k, n_resp == 0),
            })
    return pd.DataFrame(rows)


def matrix_wide(matrix: pd.DataFrame, value: str = "respondents") -> pd.DataFrame:
    """The expectations matrix as a from_role x to_role table of ``value`` (NaN where no cell)."""
    rows = list(dict.fromkeys(matrix["from_role"]))
    cols = list(dict.fromkeys(matrix["to_role"]))
    cols = sorted(cols, key=lambda r: ROLE_ORDER.get(r, 99))
    return matrix.pivot(index="from_role", columns="to_role", values=value).reindex(index=rows, columns=cols)


def self_expectations_note(expectations: pd.DataFrame, responses: pd.DataFrame) -> str:
    """French note on the expectations of a role towards itself, left out of the matrix ("" if none)."""
    e = expectations.merge(responses[["response_id", "respondent_id"]], on="response_id", how="inner")
    if e.empty:
        return ""
    e["from_role"] = e["respondent_id"].map(respondent_roles(responses)).fillna(e["from_role"])
    own = e[e["from_role"] == e["to_role"]]
    if own.empty:
        return ""
    return (f"Hors matrice : {len(own)} passage(s) de {own['respondent_id'].nunique()} répondant·e(s) expriment une attente "
            "envers leur propre catégorie (table expectations.csv).")

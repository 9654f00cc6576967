"""What every synthesis table shares: respondents' roles, years, code labels, mentions, groups.

Conventions shared by all tables (also in ``docs/synthesis.md``):

- **Respondents, not segments.** A respondent *mentions* a code if at least one of their
  codings has it. Codings flagged ``negated`` (« pas de coopération ») are left out by default
  (``include_negated=False``): a negated mention is not a mention of the principle.
- A respondent's **role** is the most frequent role of their responses (ties: elu, agent,
  socio_eco, etat, inconnu order); the **year** of a response is the first four characters of its
  session, ``inconnue`` when the session is unknown.
- **Privacy**: quotes are shown only for groups of at least ``k`` respondents
  (``config.MIN_GROUP_SIZE``); smaller groups keep their counts but their quotes are replaced by
  a French note.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ..core import schema
from ..core.codebook import as_codebook
from ..core.errors import InputError
from ..core.io import CodedTables
from ..core.labels import NO_SESSION_FR, PRINCIPLE_LABELS_FR, ROLE_LABELS_FR

log = logging.getLogger(__name__)

UNKNOWN_YEAR = "inconnue"
TOTAL = "total"
ALL_RESPONDENTS = "ensemble"
WITHHELD_NOTE_FR = "Citations masquées : moins de {k} répondant·es dans ce groupe (anonymat)."
EMPTY_NOTE_FR = "Aucune réponse."
DEFAULT_COOCCURRENCE_CODES: tuple[str, ...] = schema.PRINCIPLES + schema.ACTOR_CODES + schema.OUTCOME_CODES
ROLE_ORDER = {r: i for i, r in enumerate(schema.ALL_ROLES)}


def select_sessions(tables: CodedTables, sessions: Iterable[str] | None) -> CodedTables:
    """Keep the responses of the given sessions (``AAAA-MM-JJ``) or years (``AAAA``); ``""`` keeps
    undated responses. ``None`` or empty keeps everything. Other tables follow the responses."""
    wanted = [str(s).strip() for s in (sessions or [])]
    if not wanted:
        return tables
    sess = tables.responses["session"]
    keep = pd.Series(False, index=sess.index)
    for w in wanted:
        keep |= (sess == w) if (len(w) != 4 or not w.isdigit()) else sess.str.startswith(w)
    if not keep.any():
        known = sorted(s for s in sess.unique() if s)
        raise InputError(f"aucune réponse pour les sessions demandées {wanted} (sessions présentes : {', '.join(known)})")
    responses = tables.responses[keep].reset_index(drop=True)
    ids = set(responses["response_id"])
    return replace(
        tables,
        responses=responses,
        segments=tables.segments[tables.segments["response_id"].isin(ids)].reset_index(drop=True),
        codings=tables.codings[tables.codings["response_id"].isin(ids)].reset_index(drop=True),
        expectations=tables.expectations[tables.expectations["response_id"].isin(ids)].reset_index(drop=True),
    )


# --------------------------------------------------------------------------- helpers


def session_year(session: pd.Series) -> pd.Series:
    """Year of each session (``AAAA``), ``inconnue`` when the session is empty or not a date."""
    s = session.fillna("").astype(str)
    return s.str.slice(0, 4).where(s.str.match(r"^\d{4}"), UNKNOWN_YEAR)


def respondent_roles(responses: pd.DataFrame) -> pd.Series:
    """Role of each respondent (index respondent_id): their most frequent role, ties in role order."""
    counts = responses.groupby(["respondent_id", "role"]).size().reset_index(name="n")
    counts["order"] = counts["role"].map(ROLE_ORDER).fillna(len(ROLE_ORDER))
    counts = counts.sort_values(["respondent_id", "n", "order"], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates("respondent_id").set_index("respondent_id")["role"]


def code_labels(codebook: Any = None) -> dict[str, str]:
    """French label of every code: the codebook's (default: the shipped one), schema labels first."""
    labels: dict[str, str] = {c.id: c.label for c in as_codebook(codebook).codes}
    labels.update(PRINCIPLE_LABELS_FR)
    labels.update({f"actor.{r}": ROLE_LABELS_FR[r] for r in schema.ROLES if f"actor.{r}" not in labels})
    return labels


def label_of(code: str, labels: dict[str, str] | None = None) -> str:
    """French label of ``code`` (falls back to the id)."""
    return (labels or {}).get(code) or PRINCIPLE_LABELS_FR.get(code) or code


def wilson_interval(count: Any, nobs: Any, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (statsmodels ``proportion_confint(method="wilson")``); NaN when nobs is 0."""
    from statsmodels.stats.proportion import proportion_confint

    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    safe = np.where(nobs > 0, nobs, 1.0)
    low, high = proportion_confint(count, safe, alpha=alpha, method="wilson")
    low = np.where(nobs > 0, low, np.nan)
    high = np.where(nobs > 0, high, np.nan)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)



def responses_frame(responses: pd.DataFrame) -> pd.DataFrame:
    r = responses[["response_id", "respondent_id", "session", "question_id", "question"]].copy()
    r["role"] = responses["respondent_id"].map(respondent_roles(responses))
    r["year"] = session_year(r["session"])
    return r


def mentions(
    responses: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    codes: Sequence[str] | None = None,
    include_negated: bool = False,
) -> pd.DataFrame:
    """One row per (response, code) coded at least once.

    Columns: response_id, respondent_id, role (the respondent's), session, year, question_id,
    code. ``codes`` restricts the codes (default: all); negated codings are dropped unless
    ``include_negated``; codings of responses absent from ``responses`` are ignored.
    """
    c = codings
    if not include_negated:
        c = c[~c["negated"].astype(bool)]
    if codes is not None:
        c = c[c["code"].isin(list(codes))]
    c = c[["response_id", "code"]].drop_duplicates()
    r = responses_frame(responses)
    out = c.merge(r, on="response_id", how="inner")
    cols = ["response_id", "respondent_id", "role", "session", "year", "question_id", "code"]
    return out[cols].sort_values(["response_id", "code"], kind="stable").reset_index(drop=True)


def group_order(by: str, values: Iterable[str]) -> list[str]:
    values = list(dict.fromkeys(values))
    if by == "role":
        return sorted(values, key=lambda v: (ROLE_ORDER.get(v, 99), v))
    return sorted(values, key=lambda v: (v in ("", UNKNOWN_YEAR), v))


def group_label(by: str, value: str) -> str:
    """French label of a group value (role label, ``sans date`` for an empty session...)."""
    if by == "role":
        return ROLE_LABELS_FR.get(value, "Ensemble" if value == ALL_RESPONDENTS else value)
    if value == ALL_RESPONDENTS:
        return "Ensemble"
    if by == "session" and value == "":
        return NO_SESSION_FR
    if by == "year" and value == UNKNOWN_YEAR:
        return "année inconnue"
    return value

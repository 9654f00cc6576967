"""Synthesis stage: from coded tables to the tables the researchers publish.

Every function takes the tables of a coded folder (:class:`~transitions_analysis.core.io.CodedTables`)
and returns a pandas DataFrame whose columns are listed in its docstring and in
``docs/synthesis.md``; :func:`synthesise` makes all of them (:data:`TABLE_TITLES_FR`).

- :mod:`.common` - respondents' roles, years, labels, mentions (the conventions);
- :mod:`.programme` - indicators, answers by session/role/question, rejections;
- :mod:`.shares` - shares of respondents mentioning each code, Wilson intervals;
- :mod:`.association` - role x principle chi-square tests;
- :mod:`.quotes` - representative quotes; :mod:`.matrix` - who expects what of whom;
- :mod:`.stakes` - stakes and strategies; :mod:`.cooccurrence` - codes found together.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import config
from ..core.io import CodedTables, write_table
from ..core.labels import NO_SESSION_FR
from .association import ROLES_X_PRINCIPLES, mention_table, role_principle_association
from .common import (
    ALL_RESPONDENTS,
    DEFAULT_COOCCURRENCE_CODES,
    TOTAL,
    UNKNOWN_YEAR,
    code_labels,
    group_label,
    label_of,
    mentions,
    respondent_roles,
    select_sessions,
    session_year,
    wilson_interval,
)
from .cooccurrence import code_cooccurrence
from .matrix import expectations_matrix, matrix_wide, self_expectations_note
from .programme import (
    answers_by_question,
    answers_by_role,
    answers_by_session,
    programme_indicators,
    rejections_by_reason,
    session_indicators,
    unmapped_role_labels,
)
from .quotes import representative_quotes
from .shares import code_shares, outcomes_by_role, principle_shares
from .stakes import stakes_question_ids, stakes_strategies

__all__ = [
    "ALL_RESPONDENTS",
    "NO_SESSION_FR",
    "ROLES_X_PRINCIPLES",
    "DEFAULT_COOCCURRENCE_CODES",
    "TABLE_TITLES_FR",
    "TOTAL",
    "UNKNOWN_YEAR",
    "answers_by_question",
    "answers_by_role",
    "answers_by_session",
    "code_cooccurrence",
    "code_labels",
    "code_shares",
    "expectations_matrix",
    "group_label",
    "label_of",
    "matrix_wide",
    "mention_table",
    "mentions",
    "outcomes_by_role",
    "principle_shares",
    "programme_indicators",
    "rejections_by_reason",
    "representative_quotes",
    "respondent_roles",
    "role_principle_association",
    "select_sessions",
    "self_expectations_note",
    "session_indicators",
    "session_year",
    "stakes_question_ids",
    "stakes_strategies",
    "synthesise",
    "unmapped_role_labels",
    "wilson_interval",
    "write_tables",
]


#: Every synthesis table: file stem -> French title (also the XLSX sheet name, <= 31 characters).
TABLE_TITLES_FR: dict[str, str] = {
    "indicateurs_programme": "Indicateurs du programme",
    "indicateurs_sessions": "Indicateurs par session",
    "principes_par_role": "Principes retenus par rôle",
    "test_role_principe": "Test rôle × principe",
    "matrice_attentes": "Matrice des attentes",
    "enjeux_strategies": "Enjeux et stratégies",
    "effets_par_role": "Effets observés par rôle",
    "principes_par_session": "Principes par session",
    "principes_par_annee": "Principes par année",
    "cooccurrences": "Cooccurrences des codes",
    "reponses_par_session": "Réponses par session",
    "reponses_par_role": "Réponses par rôle",
    "reponses_par_question": "Réponses par question",
    "rejets_par_motif": "Rejets par motif",
    "roles_non_reconnus": "Rôles non reconnus",
}


def synthesise(
    tables: CodedTables,
    *,
    k: int = config.MIN_GROUP_SIZE,
    n_quotes: int = 3,
    include_negated: bool = False,
    labels: dict[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every synthesis table of :data:`TABLE_TITLES_FR`, keyed by file stem, in that order."""
    tables = tables.validated()
    labels = labels if labels is not None else code_labels()
    r, c = tables.responses, tables.codings
    opts = {"include_negated": include_negated, "labels": labels}
    out = {
        "indicateurs_programme": programme_indicators(r),
        "indicateurs_sessions": session_indicators(r),
        "principes_par_role": principle_shares(r, c, by="role", **opts),
        "test_role_principe": role_principle_association(r, c, include_negated=include_negated),
        "matrice_attentes": expectations_matrix(tables.expectations, r, k=k, n_quotes=n_quotes, labels=labels),
        "enjeux_strategies": stakes_strategies(r, tables.segments, c, k=k, n_quotes=n_quotes, **opts),
        "effets_par_role": outcomes_by_role(r, c, **opts),
        "principes_par_session": principle_shares(r, c, by="session", include_total=False, **opts),
        "principes_par_annee": principle_shares(r, c, by="year", include_total=False, **opts),
        "cooccurrences": code_cooccurrence(r, c, **opts),
        "reponses_par_session": answers_by_session(r),
        "reponses_par_role": answers_by_role(r),
        "reponses_par_question": answers_by_question(r),
        "rejets_par_motif": rejections_by_reason(tables.rejected),
        "roles_non_reconnus": unmapped_role_labels(r),
    }
    assert list(out) == list(TABLE_TITLES_FR)
    return out


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> dict[str, Path]:
    """Write each table as ``<out_dir>/<stem>.csv`` (UTF-8, comma, ``\\n``, floats ``%.4f``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for stem, df in tables.items():
        paths[stem] = write_table(df, out / f"{stem}.csv")
    return paths

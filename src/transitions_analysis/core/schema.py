"""The tables that flow between stages: their columns, documented in one place.

Each stage takes and returns pandas DataFrames with exactly these columns, in this order.
Column names are a contract with the researchers' notebooks and with the files written on disk
(``responses.csv``, ``rejected.csv``, ``segments.csv``, ``codings.csv``, ``expectations.csv``):
add columns only at the end, never rename.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

ROLES: tuple[str, ...] = ("elu", "agent", "socio_eco", "etat")
UNKNOWN_ROLE = "inconnu"
ALL_ROLES: tuple[str, ...] = ROLES + (UNKNOWN_ROLE,)

ROLE_LABELS_FR: dict[str, str] = {
    "elu": "Élu·es",
    "agent": "Agent·es",
    "socio_eco": "Acteurs socio-économiques",
    "etat": "Services de l'État",
    "inconnu": "Rôle inconnu",
}

PRINCIPLES: tuple[str, ...] = (
    "principle.engagement",
    "principle.cooperation",
    "principle.systemic",
    "principle.value",
)
PRINCIPLE_LABELS_FR: dict[str, str] = {
    "principle.engagement": "Engagement",
    "principle.cooperation": "Coopération",
    "principle.systemic": "Approche systémique",
    "principle.value": "Valeur créée",
}
ACTOR_CODES: tuple[str, ...] = tuple(f"actor.{r}" for r in ROLES)
EXPECTATION_CODE = "expectation"
OUTCOME_CODES: tuple[str, ...] = (
    "outcome.understanding",
    "outcome.long_term_management",
    "outcome.key_actors",
    "outcome.financial",
)
#: Every code of the contract, in its order (principles, actors, expectation, outcomes).
CONTRACT_CODES: tuple[str, ...] = PRINCIPLES + ACTOR_CODES + (EXPECTATION_CODE,) + OUTCOME_CODES

# name -> description. Order is the column order on disk.
RESPONSES: dict[str, str] = {
    "response_id": "identifiant déterministe d'une réponse (R + hash du fichier, du rang, de la question)",
    "source_file": "fichier d'origine, relatif au dossier d'entrée",
    "source_row": "rang dans le fichier (tableur : en-tête = 1) ou ligne de début (texte)",
    "session": "date de la session, ISO AAAA-MM-JJ, vide si inconnue",
    "territory": "territoire du répondant, vide si inconnu",
    "respondent_id": "identifiant pseudonyme du répondant (P + hash), jamais le nom",
    "role": "rôle normalisé : elu, agent, socio_eco, etat ou inconnu",
    "role_raw": "rôle tel qu'écrit dans la source (anonymisé)",
    "question_id": "identifiant de la question (q1, q2... ou celui de la correspondance)",
    "question": "intitulé de la question, vide pour une transcription ou un chat",
    "text": "texte de la réponse, anonymisé",
}

REJECTED: dict[str, str] = {
    "source_file": "fichier d'origine",
    "source_row": "rang ou ligne dans le fichier",
    "column": "colonne concernée, vide si la ligne entière",
    "reason": "motif court : empty, duplicate, unreadable, no_text...",
    "detail": "explication en français",
    "text": "texte rejeté (anonymisé), tronqué à 200 caractères",
}

SEGMENTS: dict[str, str] = {
    "segment_id": "identifiant stable : <response_id>-<start>-<end>",
    "response_id": "réponse d'origine",
    "start": "position de début (caractères Unicode, depuis 0) dans le texte de la réponse",
    "end": "position de fin (exclue) ; text == réponse[start:end]",
    "text": "texte du segment",
}

CODINGS: dict[str, str] = {
    "segment_id": "segment codé (vide pour un codage humain au niveau de la réponse)",
    "response_id": "réponse d'origine",
    "code": "identifiant du code du codebook (principle.*, actor.*, expectation, outcome.*)",
    "source": "human, rule ou model",
    "score": "certitude dans [0, 1] (1 pour human ; probabilité pour model)",
    "start": "début de la preuve dans le texte de la réponse",
    "end": "fin (exclue) de la preuve ; evidence == réponse[start:end]",
    "evidence": "texte exact qui justifie le code",
    "negated": "True si le motif est dans une négation (« pas de coopération ») : signalé, pas caché",
    "coder": "codeur : nom pseudonyme de l'humain, 'rules' ou 'model'",
}

EXPECTATIONS: dict[str, str] = {
    "segment_id": "segment qui exprime l'attente",
    "response_id": "réponse d'origine",
    "from_role": "rôle du répondant (qui attend)",
    "to_role": "catégorie dont on attend quelque chose",
    "principles": "codes de principes du segment, séparés par ';'",
    "text": "texte du segment",
    "basis": "question (l'attente vient de la question posée) ou text (du texte lui-même)",
}

HUMAN_CODINGS: dict[str, str] = {
    "response_id": "réponse codée (ou segment_id pour un codage par segment)",
    "coder": "codeur",
    "code": "code attribué ; vide = unité vue, aucun code (différent d'une unité jamais vue)",
}


def empty_frame(spec: Mapping[str, str]) -> pd.DataFrame:
    """An empty DataFrame with the columns of ``spec``, in order."""
    return pd.DataFrame({name: pd.Series(dtype="object") for name in spec})


def check_columns(df: pd.DataFrame, spec: Mapping[str, str], table: str) -> pd.DataFrame:
    """Raise ``ValueError`` naming ``table`` if a column of ``spec`` is missing; return ``df``
    with the spec's columns first, in order (extra columns are kept after them)."""
    missing = [c for c in spec if c not in df.columns]
    if missing:
        raise ValueError(f"table {table}: colonnes manquantes {missing}")
    extra = [c for c in df.columns if c not in spec]
    return df[list(spec) + extra]

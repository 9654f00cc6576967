"""Every French label and number format users read, in one place.

Codes and identifiers stay in English in the tables; what a researcher reads (figure axes,
report sentences, spreadsheet headers, reasons for rejection, dates, percentages) comes from here.
"""

from __future__ import annotations

import math
from typing import Any

ROLE_LABELS_FR: dict[str, str] = {
    "elu": "Élu·es",
    "agent": "Agent·es",
    "socio_eco": "Acteurs socio-économiques",
    "etat": "Services de l'État",
    "inconnu": "Rôle inconnu",
}
PRINCIPLE_LABELS_FR: dict[str, str] = {
    "principle.engagement": "Engagement",
    "principle.cooperation": "Coopération",
    "principle.systemic": "Approche systémique",
    "principle.value": "Valeur créée",
}

#: Why an input row was not kept (``rejected.csv`` column ``reason``) -> what a researcher reads.
REJECTION_REASONS_FR: dict[str, str] = {
    "empty": "réponse vide",
    "duplicate": "doublon",
    "facilitator": "animation",
    "private": "message privé",
    "reaction": "réaction (emoji)",
    "no_speaker": "hors tour de parole",
    "unreadable": "illisible",
    "no_text": "sans texte",
}

NO_SESSION_FR = "sans date"
#: The overall row of the agreement table (code ``__all__``), as people read it.
ALL_CODES_FR = "Ensemble des codes"
MONTHS_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def reason_fr(reason: str) -> str:
    """French label of a rejection reason (the code itself when unknown)."""
    return REJECTION_REASONS_FR.get(reason, reason)


def percent_fr(share: float | None, digits: int = 0) -> str:
    """``0.456`` -> ``46 %`` (French: decimal comma, non-breaking space before %); empty for NaN."""
    if share is None or not math.isfinite(share):
        return ""
    return f"{100 * share:.{digits}f}".replace(".", ",") + "\u00a0%"


def number_fr(value: Any, digits: int = 0) -> str:
    """A number the French way: thin non-breaking space between thousands, decimal comma;
    booleans as oui/non; empty for None/NaN; no « -0,00 »."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and abs(value) < 0.5 * 10**-digits:
        value = 0.0
    if isinstance(value, int) or (isinstance(value, float) and digits == 0):
        return f"{value:,.0f}".replace(",", "\u202f")
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def date_fr(session: str, *, short: bool = False) -> str:
    """``2022-09-21`` -> ``21/09/2022`` (``sept. 2022`` when ``short``); empty -> ``sans date``."""
    import pandas as pd

    if not session:
        return NO_SESSION_FR
    try:
        ts = pd.Timestamp(session)
    except (ValueError, TypeError):
        return str(session)
    return f"{MONTHS_FR[ts.month - 1]} {ts.year}" if short else ts.strftime("%d/%m/%Y")


#: French column headers of every table a researcher opens (XLSX sheets, HTML tables).
COLUMN_LABELS_FR: dict[str, str] = {
    "year": "Année", "sessions": "Sessions", "territories": "Territoires", "participants": "Participant·es",
    "responses": "Réponses", "mean_participants_per_session": "Participant·es par session (moyenne)",
    "session": "Date de session", "session_label": "Session", "roles": "Participant·es par rôle",
    "role": "Rôle", "role_label": "Catégorie", "group_label": "Groupe", "code": "Code", "label": "Libellé",
    "respondents": "Répondant·es", "mentioning": "Mentionnent", "share": "Part", "ci_low": "IC 95 % bas",
    "ci_high": "IC 95 % haut", "test": "Test", "table": "Table testée", "n": "Effectif", "rows": "Lignes",
    "cols": "Colonnes", "chi2": "Khi-deux", "dof": "ddl", "p_value": "p", "cramers_v": "V de Cramér",
    "min_expected": "Effectif attendu minimal", "share_small_expected": "Part des cases attendues < 5",
    "small_expected": "Effectifs faibles", "warning": "Avertissement", "from_role": "Rôle (qui attend)",
    "to_role": "Rôle (de qui)", "from_label": "Qui attend", "to_label": "De qui", "segments": "Passages",
    "principles": "Principes dominants (codes)", "principles_fr": "Principes dominants", "withheld": "Citations masquées",
    "quote_1": "Citation 1", "quote_2": "Citation 2", "quote_3": "Citation 3", "quote_segments": "Passages cités",
    "note": "Note", "questions": "Questions", "top_codes": "Codes les plus cités (codes)",
    "top_codes_fr": "Codes les plus cités", "code_a": "Code A", "code_b": "Code B", "label_a": "Libellé A",
    "label_b": "Libellé B", "n_both": "Réponses avec les deux", "n_a": "Réponses avec A", "n_b": "Réponses avec B",
    "jaccard": "Jaccard", "answers": "Réponses", "files": "Fichiers", "question_id": "Identifiant de question",
    "question": "Question", "reason": "Motif (code)", "reason_fr": "Motif", "rejected": "Écartées",
    "role_raw": "Libellé écrit", "n_units": "Unités", "n_coders": "Codeurs", "percent_agreement": "Accord observé",
    "krippendorff_alpha": "α de Krippendorff", "alpha_ci_low": "α IC bas", "alpha_ci_high": "α IC haut",
    "fleiss_kappa": "κ de Fleiss", "fleiss_n_units": "Unités (κ de Fleiss)", "cohen_kappa": "κ de Cohen",
    "n_present": "Codages portant le code",
    "class": "Classe", "lemma": "Lemme", "lemmas": "Lemmes caractéristiques (χ²)", "frequency": "Fréquence",
    "total_frequency": "Fréquence totale", "expected": "Attendu", "specificity": "Spécificité", "observed": "Observé",
    "residual": "Résidu de Pearson",
}

#: Columns shown as percentages (shares between 0 and 1) in the report and the spreadsheets.
PERCENT_COLUMNS: tuple[str, ...] = ("share", "ci_low", "ci_high", "share_small_expected", "percent_agreement")
#: Decimals shown for the other non-integer columns (p-values: 3 decimals, « < 0,001 » below).
DECIMAL_COLUMNS: dict[str, int] = {
    "rules_precision": 2, "rules_recall": 2, "model_precision": 2, "model_recall": 2,
    "combined_precision": 2, "combined_recall": 2,
    "chi2": 1, "min_expected": 1, "mean_participants_per_session": 1, "cramers_v": 2, "jaccard": 2,
    "krippendorff_alpha": 2, "alpha_ci_low": 2, "alpha_ci_high": 2, "fleiss_kappa": 2, "cohen_kappa": 2,
}

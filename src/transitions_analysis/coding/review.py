"""The review loop: the queue as a spreadsheet, the filled spreadsheet back as human codings.

1. :func:`write_review_xlsx` writes the review queue (:func:`~.combine.review_table`): one row
   per suggestion, least certain first, French headers (segment, contexte, code suggéré,
   certitude, indices, décision...). Every cell is stored as text: a segment starting with
   « = » stays text in Excel or LibreOffice, never a formula.
2. The researcher writes « oui » or « non » in the ``décision`` column (empty = not reviewed).
3. :func:`read_review_xlsx` reads it back (errors name the file, the row and the column) and
   :func:`review_codings` turns the decisions into human codings: a reviewed answer is coded
   with the machine's codes on it, plus the suggestions accepted, minus those rejected.
4. These codings join the researchers' own (``--human-codings``): the learnt coder retrains on
   them and the semantic coder recalibrates its thresholds; re-coding applies both.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..core import schema
from ..core.errors import (
    MSG_REVIEW_BAD_DECISION,
    MSG_REVIEW_MISSING_COLUMN,
    MSG_REVIEW_NO_SHEET,
    MSG_REVIEW_UNKNOWN_CODE,
    InputError,
)
from ..core.io import make_xlsx_deterministic, refuse_raw

log = logging.getLogger(__name__)

SHEET = "à relire"
GUIDE_SHEET = "mode d'emploi"
#: Default coder name of the decisions read back.
REVIEW_CODER = "relecture"
#: review_table column -> French header of the spreadsheet.
HEADERS: dict[str, str] = {
    "response_id": "réponse",
    "segment_id": "segment (identifiant)",
    "segment": "segment",
    "text": "contexte (réponse entière)",
    "label": "code suggéré",
    "code": "code (identifiant)",
    "certainty": "certitude (écart au seuil)",
    "evidence": "indices",
    "source": "codeur",
    "decision": "décision (oui / non)",
}
YES = frozenset({"oui", "o", "yes", "y", "1", "vrai", "x", "accepté", "accepte", "ok"})
NO = frozenset({"non", "n", "no", "0", "faux", "rejeté", "rejete"})
WIDTHS = {"segment": 60, "contexte (réponse entière)": 70, "indices": 30, "code suggéré": 24}


def write_review_xlsx(queue: pd.DataFrame, path: str | Path, *, limit: int | None = None) -> Path:
    """Write the review queue (:func:`~.combine.review_table`) as an XLSX for reviewers.

    ``limit`` keeps the first (least certain) rows. Text cells are typed as text (no formula can
    run); the décision column offers « oui » / « non ». Same queue, same bytes. Returns the path.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    path = refuse_raw(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = queue.head(limit) if limit is not None else queue
    columns = [c for c in HEADERS if c in table.columns]
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append([HEADERS[c] for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, record in enumerate(table[columns].itertuples(index=False), start=2):
        for c, (name, value) in enumerate(zip(columns, record), start=1):
            cell = ws.cell(row=r, column=c)
            if name == "certainty" and pd.notna(value):
                cell.value = float(value)
                continue
            cell.value = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
            cell.data_type = "s"  # text, even when it starts with « = »: never a formula
            cell.alignment = wrap
    for c, name in enumerate(columns, start=1):
        ws.column_dimensions[ws.cell(row=1, column=c).column_letter].width = WIDTHS.get(HEADERS[name], 18)
    ws.freeze_panes = "A2"
    if "decision" in columns and len(table):
        letter = ws.cell(row=1, column=columns.index("decision") + 1).column_letter
        choice = DataValidation(type="list", formula1='"oui,non"', allow_blank=True)
        choice.add(f"{letter}2:{letter}{len(table) + 1}")
        ws.add_data_validation(choice)
    guide = wb.create_sheet(GUIDE_SHEET)
    for line in (
        "Une ligne par suggestion de la machine qu'elle n'a pas pu trancher seule, la moins sûre d'abord.",
        "« certitude » : écart du score au seuil du code, en écarts-types (négatif : sous le seuil ; 0 : négation à vérifier).",
        "« indices » : le texte trouvé, ou les mots de la réponse les plus proches du code.",
        "Écrire « oui » (le code s'applique à ce segment) ou « non » dans la colonne « décision » ; vide = pas encore relu.",
        "Une réponse relue est codée : codes déjà donnés par la machine + suggestions acceptées - suggestions refusées.",
        "Relire ensuite : transitions-analysis review-import FICHIER.xlsx --coded DOSSIER --out codage_relu.csv",
    ):
        guide.append([line])
    guide.column_dimensions["A"].width = 120
    wb.save(path)
    make_xlsx_deterministic(path)
    return path


def read_review_xlsx(path: str | Path, *, codes=None) -> pd.DataFrame:
    """The decisions of a filled review spreadsheet: ``response_id, segment_id, code, decision``
    (``decision`` = ``oui`` / ``non``; rows left empty are skipped).

    :class:`InputError` names the file, the row (spreadsheet numbering) and the column of a
    missing column, an unknown code (when ``codes`` is given) or a decision that is neither
    yes nor no.
    """
    from openpyxl import load_workbook

    path = Path(path)
    if not path.is_file():
        raise InputError("fichier de relecture introuvable", path=path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # not a zip, not a workbook
        raise InputError(f"classeur illisible ({exc.__class__.__name__})", path=path) from exc
    if SHEET not in wb.sheetnames:
        raise InputError(MSG_REVIEW_NO_SHEET.format(sheet=SHEET), path=path)
    rows = list(wb[SHEET].iter_rows(values_only=True))
    wb.close()
    header = [str(h).strip() if h is not None else "" for h in (rows[0] if rows else [])]
    where = {}
    for key in ("response_id", "segment_id", "code", "decision"):
        title = HEADERS[key]
        if title not in header:
            raise InputError(MSG_REVIEW_MISSING_COLUMN.format(column=title), path=path, row=1, column=title)
        where[key] = header.index(title)
    known = set(codes) if codes is not None else None
    out = []
    for r, values in enumerate(rows[1:], start=2):
        def cell(key, values=values):
            i = where[key]
            v = values[i] if i < len(values) else None
            return "" if v is None else str(v).strip()

        decision = cell("decision").lower()
        if not decision:
            continue
        if decision in YES:
            decision = "oui"
        elif decision in NO:
            decision = "non"
        else:
            raise InputError(MSG_REVIEW_BAD_DECISION.format(value=cell("decision")), path=path, row=r,
                             column=HEADERS["decision"])
        code = cell("code")
        if known is not None and code not in known:
            raise InputError(MSG_REVIEW_UNKNOWN_CODE.format(code=code), path=path, row=r, column=HEADERS["code"])
        if not cell("response_id"):
            raise InputError(MSG_REVIEW_MISSING_COLUMN.format(column=HEADERS["response_id"]), path=path, row=r,
                             column=HEADERS["response_id"])
        out.append((cell("response_id"), cell("segment_id"), code, decision))
    decisions = pd.DataFrame(out, columns=["response_id", "segment_id", "code", "decision"])
    log.info("%s : %d décisions lues (%d oui, %d non)", path.name, len(decisions),
             int((decisions["decision"] == "oui").sum()), int((decisions["decision"] == "non").sum()))
    return decisions


def review_codings(decisions: pd.DataFrame, codings: pd.DataFrame, *, coder: str = REVIEW_CODER) -> pd.DataFrame:
    """Human codings (``response_id, coder, code``) of the reviewed answers.

    A reviewed answer gets the machine's codes on it (non-negated, from ``codings``), plus the
    codes accepted, minus the codes rejected; one with none left is « seen, no code » (empty
    code). The result joins the researchers' coding file for retraining.
    """
    codings = schema.validate(codings, schema.Codings)
    reviewed = sorted(set(decisions["response_id"]))
    machine = codings[codings["source"].isin(schema.MACHINE_SOURCES) & ~codings["negated"].astype(bool)
                      & codings["response_id"].isin(reviewed)]
    given: dict[str, set[str]] = {r: set() for r in reviewed}
    for r, c in zip(machine["response_id"], machine["code"]):
        given[r].add(c)
    # a code accepted on any segment stands; a rejection removes a code no segment kept
    accepted = decisions[decisions["decision"] == "oui"]
    rejected = decisions[decisions["decision"] == "non"]
    kept = set(zip(accepted["response_id"], accepted["code"]))
    for r, c in zip(rejected["response_id"], rejected["code"]):
        if (r, c) not in kept:
            given[r].discard(c)
    for r, c in kept:
        given[r].add(c)
    rows = [(r, coder, c) for r in reviewed for c in sorted(given[r])] + [(r, coder, "") for r in reviewed if not given[r]]
    out = pd.DataFrame(rows, columns=["response_id", "coder", "code"])
    return out.sort_values(["response_id", "code"], kind="stable").reset_index(drop=True)

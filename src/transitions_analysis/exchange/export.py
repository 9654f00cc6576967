"""Export to REFI-QDA: the codebook as ``.qdc``, a coded folder (output of ``code``) as ``.qdpx``.

Choices (documented in ``docs/refi-qda.md``):

- one text source per answer (response), named by its ``response_id``, its text stored as
  ``sources/<GUID>.txt`` (UTF-8, no BOM) and referenced ``internal://<GUID>.txt``;
- one ``PlainTextSelection`` per coded span **and coder** (start/end in Unicode code points, end
  excluded, exactly the offsets of ``codings.csv``), its ``creatingUser`` that coder, holding one
  ``Coding`` per code of that coder; its description has that coder's lines only (code, user,
  score, negation). QualCoder takes a coding's coder from its selection and keeps one coding per
  code, span and coder: several coders in one selection would be lost there;
- a coding without offsets (response level) is a selection of the whole text (0 to its length)
  whose description line ends with :data:`WHOLE_RESPONSE` (QualCoder ignores a ``Coding`` placed
  directly under a source); the import gives it back without offsets;
- users: one per coder, people first (QualCoder makes the first user its current coder); the
  machine coders are named ``transitions-analysis (règles)`` and ``transitions-analysis (modèle)``,
  the coder id is kept in the user's ``id``;
- cases: one per respondent (``respondent_id``) with their own variables (« rôle du répondant »...,
  :data:`CASE_VARIABLES`), distinct from the sources' variables (QualCoder keys variables by name
  and would turn a shared one into a case attribute); every source carries the response's columns
  as variables (:data:`SOURCE_VARIABLES`, respondent, role, territory and session included, since
  QualCoder ignores the ``SourceRef`` of a named case), so an import gives them back;
- byte-stable: GUIDs are uuid5 of our ids, dates are a constant (:data:`EXPORT_DATETIME`), zip
  entries are sorted and time-stamped :data:`ZIP_DATE_TIME`.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import math
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
from lxml import etree

from ..config import VERSION
from ..core.codebook import Code, Codebook, as_codebook
from ..core.errors import InputError, QDAError
from ..core.io import read_coded, refuse_raw
from ..core.schema import MACHINE_CODERS, MODEL_CODER, RULE_CODER, SEMANTIC_CODER
from .codes import compose_description, make_guid
from .schemas import NS_CODEBOOK, NS_PROJECT, schema_errors

log = logging.getLogger(__name__)

EXPORT_DATETIME = "2021-01-01T00:00:00Z"  # constant: same inputs -> byte-identical files
ZIP_DATE_TIME = (2021, 1, 1, 0, 0, 0)
MACHINE_USERS: dict[str, str] = {
    RULE_CODER: "transitions-analysis (règles)",
    MODEL_CODER: "transitions-analysis (modèle)",
    SEMANTIC_CODER: "transitions-analysis (sémantique)",
}
# response column -> variable name shown in the QDA tool (all of type Text)
SOURCE_VARIABLES: tuple[tuple[str, str], ...] = (
    ("role", "rôle"),
    ("territory", "territoire"),
    ("session", "session"),
    ("respondent_id", "répondant"),
    ("role_raw", "rôle déclaré"),
    ("question_id", "identifiant de question"),
    ("question", "question"),
    ("source_file", "fichier source"),
    ("source_row", "rang dans le fichier"),
)
# response column -> variable of a case (respondent): names distinct from the sources' variables
CASE_VARIABLES: tuple[tuple[str, str], ...] = (
    ("role", "rôle du répondant"),
    ("territory", "territoire du répondant"),
    ("session", "session du répondant"),
)
#: End of a selection's description line for a response-level coding (selection of the whole text).
WHOLE_RESPONSE = "toute la réponse"
SELECTION_NAME_MAX = 100


def user_name(coder: str) -> str:
    """Name shown in the QDA tool for coder ``coder``."""
    return MACHINE_USERS.get(coder, coder)


def _sub(parent: etree._Element, ns: str, tag: str, attrib: dict[str, str] | None = None, text: str | None = None):
    el = etree.SubElement(parent, f"{{{ns}}}{tag}", attrib or {})
    if text is not None:
        el.text = text
    return el


def _add_codes(parent: etree._Element, ns: str, info: Codebook, code_id: str | None) -> None:
    for code in info.children(code_id):
        has_children = bool(info.children(code.id))
        attrib = {"guid": make_guid("code", code.id), "name": code.label, "isCodable": "false" if has_children else "true"}
        if code.color:
            attrib["color"] = code.color
        el = _sub(parent, ns, "Code", attrib)
        _sub(el, ns, "Description", text=compose_description(code))
        _add_codes(el, ns, info, code.id)


def _tostring(root: etree._Element) -> bytes:
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def codebook_xml(codebook: Any = None) -> bytes:
    """The ``.qdc`` bytes of ``codebook`` (see :func:`export_qdc`)."""
    info = as_codebook(codebook)
    if not info.codes:
        raise QDAError("codebook vide : rien à exporter", path=info.path)
    root = etree.Element(f"{{{NS_CODEBOOK}}}CodeBook", nsmap={None: NS_CODEBOOK})
    root.set("origin", f"transitions-analysis {VERSION}")
    codes = _sub(root, NS_CODEBOOK, "Codes")
    _add_codes(codes, NS_CODEBOOK, info, None)
    errors = schema_errors(root, "codebook")
    if errors:  # our own output must always validate
        raise RuntimeError("codebook exporté non conforme à Codebook.xsd : " + "; ".join(errors[:3]))
    return _tostring(root)


def export_qdc(codebook: Any, path: str | Path) -> Path:
    """Write ``codebook`` (a ``Codebook``, a codebook YAML path or mapping, or None for the shipped
    one) as a REFI-QDA codebook ``.qdc`` (valid against ``Codebook.xsd``); returns the path."""
    data = codebook_xml(codebook)
    path = refuse_raw(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    log.info("Codebook REFI-QDA écrit : %s", path)
    return path


# --------------------------------------------------------------------------- project


def _checked_codings(codings: pd.DataFrame, texts: dict[str, str], path: Path) -> list[dict[str, Any]]:
    """Codings as dicts with int offsets, checked against the answers' texts, duplicates dropped."""
    out: list[dict[str, Any]] = []
    seen: set[tuple] = set()
    duplicates = 0
    for i, rec in enumerate(codings.to_dict("records")):
        row = i + 2  # header = row 1
        rid = rec["response_id"]
        if rid not in texts:
            raise InputError(f"réponse inconnue {rid!r} (absente de responses.csv)", path=path, row=row, column="response_id")
        if not rec["code"].strip():
            raise InputError("code vide", path=path, row=row, column="code")
        start = None if pd.isna(rec["start"]) else int(rec["start"])
        end = None if pd.isna(rec["end"]) else int(rec["end"])
        if (start is None) != (end is None):
            raise InputError("start et end doivent être remplis ensemble", path=path, row=row, column="start")
        text = texts[rid]
        if start is not None:
            if not start <= end <= len(text):
                raise InputError(
                    f"positions {start}-{end} hors du texte de la réponse ({len(text)} caractères)",
                    path=path, row=row, column="end",
                )
            if rec["evidence"] != text[start:end]:
                raise InputError(
                    f"evidence différente du texte de la réponse aux positions {start}-{end}",
                    path=path, row=row, column="evidence",
                )
        coder = rec["coder"].strip() or MACHINE_CODERS.get(rec["source"], "inconnu")
        key = (rid, start, end, rec["code"], coder)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        out.append({**rec, "start": start, "end": end, "coder": coder})
    if duplicates:
        log.warning("%s : %d codage(s) en double ignoré(s) à l'export", path, duplicates)
    return out


def _score_line(rec: dict[str, Any]) -> str:
    """One line of a selection's Description: code, user, score, negation (read back on import)."""
    line = f"{rec['code']} · {user_name(rec['coder'])}"
    score = rec.get("score")
    if score is not None and not (isinstance(score, float) and math.isnan(score)):
        line += f" · score {float(score):.4f}"
    if rec.get("negated"):
        line += " · négation"
    if rec["start"] is None:
        line += f" · {WHOLE_RESPONSE}"
    return line


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SELECTION_NAME_MAX else flat[: SELECTION_NAME_MAX - 1].rstrip() + "…"


def _variable_values(
    parent: etree._Element, variables: Iterable[tuple[str, str]], rec: dict[str, str], *, keep_empty: bool
) -> None:
    for column, name in variables:
        value = rec.get(column)
        value = "" if value is None else str(value)
        if value == "" and not keep_empty:
            continue
        vv = _sub(parent, NS_PROJECT, "VariableValue")
        _sub(vv, NS_PROJECT, "VariableRef", {"targetGUID": make_guid("variable", name)})
        _sub(vv, NS_PROJECT, "TextValue", text=value)


def _codebook_for_export(codebook: Any, run: dict[str, Any], coding_dir: Path) -> Codebook:
    if codebook is None:
        candidate = run.get("codebook_path") or run.get("codebook")
        if isinstance(candidate, dict):
            candidate = candidate.get("path")
        if isinstance(candidate, str) and candidate:
            path = Path(candidate)
            if not path.is_absolute():
                path = coding_dir / path
            if path.is_file():
                codebook = path
    info = as_codebook(codebook)
    used = run.get("codebook") if isinstance(run.get("codebook"), dict) else {}
    if used.get("hash") and used["hash"] != info.hash:
        log.warning(
            "le codebook exporté (empreinte %s) n'est pas celui du codage (empreinte %s, fichier %s) : "
            "passez --codebook avec le fichier utilisé par « code »",
            info.hash[:12], str(used["hash"])[:12], used.get("file", "?"),
        )
    return info


def project_files(
    coding_dir: str | Path, *, codebook: Any = None, name: str | None = None, coders: Iterable[str] | None = None
) -> dict[str, bytes]:
    """Archive member name -> bytes of the ``.qdpx`` for ``coding_dir`` (see :func:`export_qdpx`)."""
    folder = Path(coding_dir)
    if not folder.is_dir():
        raise InputError("dossier de codage introuvable (sortie de « transitions-analysis code »)", path=folder)
    coded = read_coded(folder, required=("responses", "codings"))
    responses, codings, run = coded.responses, coded.codings, coded.run_info
    if coders is not None:
        codings = codings[codings["coder"].isin(list(coders))]
    dup = responses["response_id"].duplicated()
    if dup.any():
        row = int(dup.to_numpy().nonzero()[0][0]) + 2
        raise InputError("response_id en double", path=folder / "responses.csv", row=row, column="response_id")
    texts = dict(zip(responses["response_id"], responses["text"]))
    records = _checked_codings(codings, texts, folder / "codings.csv")
    shifted = [rid for rid, text in texts.items() if "\r\n" in text and not _crlf_first(text)]
    if shifted:
        log.warning(
            "%d réponse(s) dont la première fin de ligne est LF et une suivante CR LF (%s) : QualCoder "
            "décalera d'un caractère par CR LF les positions qui suivent", len(shifted), ", ".join(shifted[:5]),
        )

    info = _codebook_for_export(codebook, run, folder)
    codebook_name, codebook_hash = info.name, info.hash
    known = set(info.ids())
    extra = sorted({r["code"] for r in records} - known)
    if extra:
        log.warning("codes absents du codebook, exportés sans description : %s", ", ".join(extra))
        added = []
        for c in extra:
            parent = c.rsplit(".", 1)[0] if "." in c else None
            added.append(Code(id=c, label=c, description="Code présent dans les codages mais absent du codebook.",
                              parent=parent if parent in known else None))
        info = dataclasses.replace(info, codes=info.codes + tuple(added))

    ns = NS_PROJECT
    root = etree.Element(f"{{{ns}}}Project", nsmap={None: ns})
    root.set("name", name or (f"transitions-analysis : {codebook_name}" if codebook_name else "transitions-analysis"))
    root.set("origin", f"transitions-analysis {VERSION}")
    root.set("creationDateTime", EXPORT_DATETIME)
    root.set("modifiedDateTime", EXPORT_DATETIME)

    # people first: QualCoder makes the first user its current coder (what a researcher codes there)
    coders = sorted({r["coder"] for r in records}, key=lambda c: (c in MACHINE_USERS, c))
    if coders:
        users = _sub(root, ns, "Users")
        for coder in coders:
            _sub(users, ns, "User", {"guid": make_guid("user", coder), "name": user_name(coder), "id": coder})
    if info.codes:
        codes_el = _sub(_sub(root, ns, "CodeBook"), ns, "Codes")
        _add_codes(codes_el, ns, info, None)

    variables = _sub(root, ns, "Variables")
    for column, label in SOURCE_VARIABLES:
        var = _sub(variables, ns, "Variable", {"guid": make_guid("variable", label), "name": label, "typeOfVariable": "Text"})
        _sub(var, ns, "Description", text=f"colonne des réponses de transitions-analysis ({column})")
    for column, label in CASE_VARIABLES:
        var = _sub(variables, ns, "Variable", {"guid": make_guid("variable", label), "name": label, "typeOfVariable": "Text"})
        _sub(var, ns, "Description", text=f"variable du répondant (cas) : la première valeur non vide de ses réponses ({column})")

    response_records = responses.to_dict("records")
    by_respondent: dict[str, list[dict[str, str]]] = {}
    for rec in response_records:
        if rec["respondent_id"].strip():
            by_respondent.setdefault(rec["respondent_id"], []).append(rec)
    if by_respondent:
        cases = _sub(root, ns, "Cases")
        for pid in sorted(by_respondent):
            recs = by_respondent[pid]
            case = _sub(cases, ns, "Case", {"guid": make_guid("case", pid), "name": pid})
            first = {c: next((r[c] for r in recs if r[c]), "") for c, _ in CASE_VARIABLES}
            _variable_values(case, CASE_VARIABLES, first, keep_empty=False)
            for rec in recs:
                _sub(case, ns, "SourceRef", {"targetGUID": make_guid("source", rec["response_id"])})

    by_response: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        by_response.setdefault(rec["response_id"], []).append(rec)
    files: dict[str, bytes] = {}
    if response_records:
        sources = _sub(root, ns, "Sources")
    for rec in response_records:
        rid = rec["response_id"]
        text_guid = make_guid("text", rid)
        files[f"sources/{text_guid}.txt"] = rec["text"].encode("utf-8")
        source = _sub(sources, ns, "TextSource", {
            "guid": make_guid("source", rid), "name": rid, "plainTextPath": f"internal://{text_guid}.txt",
            "creationDateTime": EXPORT_DATETIME, "modifiedDateTime": EXPORT_DATETIME,
        })
        if rec["question"].strip():
            _sub(source, ns, "Description", text=f"Question : {rec['question']}")
        by_selection: dict[tuple[int, int, bool, str], list[dict[str, Any]]] = {}
        for r in by_response.get(rid, []):
            whole = r["start"] is None
            span = (0, len(rec["text"])) if whole else (r["start"], r["end"])
            by_selection.setdefault((*span, whole, r["coder"]), []).append(r)
        for (start, end, whole, coder), here in sorted(by_selection.items(), key=lambda kv: kv[0]):
            here.sort(key=lambda r: r["code"])
            key = f"{rid}::{coder}" if whole else f"{rid}:{start}:{end}:{coder}"
            sel = _sub(source, ns, "PlainTextSelection", {
                "guid": make_guid("selection", key),
                "name": _excerpt(rec["text"][start:end]), "startPosition": str(start), "endPosition": str(end),
                "creatingUser": make_guid("user", coder), "creationDateTime": EXPORT_DATETIME,
            })
            _sub(sel, ns, "Description", text="\n".join(_score_line(r) for r in here))
            for r in here:
                _add_coding(sel, r)
        _variable_values(source, SOURCE_VARIABLES, rec, keep_empty=True)

    description = "Exporté par transitions-analysis : une source texte par réponse, un cas par répondant."
    if codebook_hash:
        description += f" Codebook {codebook_name} (empreinte {codebook_hash})."
    _sub(root, ns, "Description", text=description)
    errors = schema_errors(root, "project")
    if errors:
        raise RuntimeError("project.qde exporté non conforme à Project.xsd : " + "; ".join(errors[:3]))
    files["project.qde"] = _tostring(root)
    return files


def _crlf_first(text: str) -> bool:
    """Whether the first line ending of ``text`` is CR LF: QualCoder then keeps the positions of a
    text with CR LF (it reads texts in text mode and writes each CR LF as LF plus a space)."""
    first = text.find("\n")
    return first > 0 and text[first - 1] == "\r"


def _add_coding(parent: etree._Element, rec: dict[str, Any]) -> None:
    rid, start, end = rec["response_id"], rec["start"], rec["end"]
    span = "" if start is None else f"{start}:{end}"
    coding = _sub(parent, NS_PROJECT, "Coding", {
        "guid": make_guid("coding", f"{rid}:{span}:{rec['code']}:{rec['coder']}"),
        "creatingUser": make_guid("user", rec["coder"]), "creationDateTime": EXPORT_DATETIME,
    })
    _sub(coding, NS_PROJECT, "CodeRef", {"targetGUID": make_guid("code", rec["code"])})


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A deterministic zip: ``project.qde`` first, then the other members sorted, fixed dates."""
    buffer = io.BytesIO()
    order = ["project.qde"] + sorted(n for n in files if n != "project.qde")
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()


def export_qdpx(
    coding_dir: str | Path,
    path: str | Path,
    *,
    codebook: Any = None,
    name: str | None = None,
    coders: Iterable[str] | None = None,
) -> Path:
    """Write the coded folder ``coding_dir`` (``responses.csv``, ``codings.csv``, ``run.json`` of
    ``code``) as a REFI-QDA project ``path`` (``.qdpx``), valid against ``Project.xsd`` and
    byte-identical for the same inputs. ``codebook``: ``Codebook``, YAML path or mapping; None = the
    one named in ``run.json`` if it exists, else the shipped codebook. ``coders``: keep only the
    codings of these coders (``[]`` = a project without codings, for blind human coding).
    Returns ``path``."""
    files = project_files(coding_dir, codebook=codebook, name=name, coders=coders)
    data = zip_bytes(files)
    path = refuse_raw(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    log.info("Projet REFI-QDA écrit : %s (%d sources texte) ; à ouvrir dans NVivo, ATLAS.ti, MAXQDA, QualCoder...", path, len(files) - 1)
    return path

"""Import REFI-QDA files written by other tools (NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette...).

``import_qdpx`` turns a project into the toolkit's tables (responses, segments, codings, rejected)
and ``read_qdc``/``import_qdc`` a codebook into the codebook YAML format. Files are untrusted (see
:mod:`.safety`) and often not quite standard: what can be read without losing meaning is read, and
every tolerance or loss is a French message in the import report (also logged):

- ``Project.qde`` / ``Sources/`` spelt differently, an empty ``<Sets/>``, other schema deviations;
- text sources whose file is missing or external (``relative://``, ``absolute://``: never read,
  neither are any paths outside the archive): the answer goes to ``rejected``, its codings are
  kept with their positions but no evidence;
- picture, PDF-area, audio and video selections: reported by source name, not imported (a PDF's
  plain-text representation is imported as a text source when present);
- CRLF line endings: positions are in code points of the file's text; when they look computed on
  the text with LF line endings (a selection cuts a CR LF pair, ends beyond the CRLF text's LF
  length or its name matches the LF text only), they are converted to the file's text;
- codes absent from the codebook are kept, their name as code id, and listed.
"""

from __future__ import annotations

import bisect
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from lxml import etree

from ..core.codebook import as_codebook
from ..core.errors import MSG_QDA_DUPLICATE_GUID, QDAError
from ..core.ids import make_respondent_id, make_response_id, make_segment_id
from ..core.io import read_csv_table
from ..core.roles import normalise_role
from ..core.schema import ALL_ROLES, CODINGS, MACHINE_CODERS, REJECTED, RESPONSES, SEGMENTS, SOURCE_HUMAN, UNKNOWN_ROLE
from ..core.text import slugify
from .codes import (
    CONTRACT_IDS,
    known_guids,
    normalise_color,
    normalise_guid,
    parse_description,
    split_flat_name,
)
from .export import CASE_VARIABLES, MACHINE_USERS, SOURCE_VARIABLES, WHOLE_RESPONSE
from .safety import DEFAULT_LIMITS, Limits, SafeArchive, parse_xml
from .schemas import NS_CODEBOOK, NS_PROJECT, schema_errors
from .taguette import looks_like_csv, taguette_rows

log = logging.getLogger(__name__)

OUR_RESPONSE_ID = re.compile(r"(?<![0-9A-Za-z])R[0-9a-f]{10}(?![0-9A-Za-z])")
OUR_RESPONDENT_ID = re.compile(r"^P[0-9a-f]{8}$")
_SCORE_LINE = re.compile(
    r"^(?P<code>\S+) · (?P<user>.+?)(?: · score (?P<score>\S+))?(?P<neg> · négation)?"
    r"(?P<whole> · " + re.escape(WHOLE_RESPONSE) + r")?$"
)
_MACHINE_CODERS = {name: coder for coder, name in MACHINE_USERS.items()}
_CODER_SOURCE = {coder: source for source, coder in MACHINE_CODERS.items()}
_SHOWN_MAX = 15
USER_COLUMNS = ("guid", "name", "coder", "codings")
CODE_COLUMNS = ("guid", "name", "path", "code", "matched_by", "in_codebook", "color")


def _local(el: Any) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kids(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and _local(c) == name]


def _kid(el: etree._Element, name: str) -> etree._Element | None:
    found = _kids(el, name)
    return found[0] if found else None


def _name(el: etree._Element, attr: str = "name") -> str:
    """A name attribute in NFC (macOS tools write decomposed accents: same name, same ids)."""
    return unicodedata.normalize("NFC", (el.get(attr) or "").strip())


def _text_of(el: etree._Element | None) -> str:
    return "" if el is None else "".join(el.itertext())


def _names(items: list[str]) -> str:
    shown = ", ".join(f"« {i} »" for i in items[:_SHOWN_MAX])
    return shown + (f" et {len(items) - _SHOWN_MAX} autre(s)" if len(items) > _SHOWN_MAX else "")


class Report(list):
    """French messages of what was tolerated or left out; each one is logged when added."""

    def add(self, message: str, *, level: int = logging.WARNING) -> None:
        if message not in self:
            self.append(message)
            log.log(level, message)


@dataclass
class QDAImport:
    """Tables read from a ``.qdpx``: same columns as the outputs of ``code`` (schema.py) plus the
    project's users and codes and the French ``report`` of everything tolerated or left out."""

    responses: pd.DataFrame
    segments: pd.DataFrame
    codings: pd.DataFrame
    rejected: pd.DataFrame
    report: list[str]
    users: pd.DataFrame
    codes: pd.DataFrame
    name: str = ""
    origin: str = ""
    missing_codes: list[str] = field(default_factory=list)

    def summary_fr(self) -> str:
        return (
            f"{len(self.responses)} réponse(s), {len(self.codings)} codage(s), {len(self.users)} utilisateur(s), "
            f"{len(self.codes)} code(s), {len(self.rejected)} source(s) non importée(s), "
            f"{len(self.report)} remarque(s) d'import"
        )


# --------------------------------------------------------------------------- codes


@dataclass
class _CodeRec:
    guid: str
    name: str
    path: list[str]
    description: str
    color: str | None
    parent_guid: str | None
    code: str = ""
    matched_by: str = ""


def _walk_codes(container: etree._Element, report: Report, where: str) -> list[_CodeRec]:
    """Every <Code> under ``container``, depth first. Two codes with one GUID are refused: each
    coding names its code by GUID, so which one it means could only be guessed."""
    out: list[_CodeRec] = []
    name_of: dict[str, str] = {}

    def walk(el: etree._Element, path: list[str], parent: str | None) -> None:
        for code in _kids(el, "Code"):
            name = _name(code)
            guid = normalise_guid(code.get("guid"))
            if not guid:
                report.add(f"{where} : code « {name} » sans attribut guid, ignoré (aucun codage ne peut le viser)")
                continue
            if not name:
                report.add(f"{where} : code {guid} sans nom ; son GUID lui sert de nom")
                name = guid
            if guid in name_of:
                raise QDAError(MSG_QDA_DUPLICATE_GUID.format(where=where, guid=guid, first=name_of[guid], second=name))
            name_of[guid] = name
            color = code.get("color")
            if color and normalise_color(color) is None:
                report.add(f"{where} : couleur « {color} » du code « {name} » illisible, ignorée")
            out.append(_CodeRec(guid, name, path + [name], _text_of(_kid(code, "Description")), normalise_color(color), parent))
            walk(code, path + [name], guid)

    walk(container, [], None)
    return out


def _resolve_project_codes(records: list[_CodeRec], codebook: Any, report: Report, where: str) -> list[str]:
    """Give every code record our id (see module docstring); returns names missing from the codebook."""
    info = as_codebook(codebook)
    ids = set(info.ids())
    by_guid = known_guids(sorted(ids | set(CONTRACT_IDS)))
    by_label = {slugify(c.label): c.id for c in info.codes}
    taken: dict[str, str] = {}
    missing: list[str] = []
    for rec in records:
        _, _, marker = parse_description(rec.description)
        if marker:
            rec.code, rec.matched_by = marker, "identifiant"
        elif rec.guid in by_guid:
            rec.code, rec.matched_by = by_guid[rec.guid], "guid"
        elif slugify(rec.name) in by_label:
            rec.code, rec.matched_by = by_label[slugify(rec.name)], "libellé"
            report.add(f"{where} : code « {rec.name} » rapproché par son libellé du code {rec.code} du codebook", level=logging.INFO)
        else:
            rec.code, rec.matched_by = rec.name, "nom"
            if rec.code in taken and taken[rec.code] != rec.guid:
                rec.code = " / ".join(rec.path)
            if rec.code in taken and taken[rec.code] != rec.guid:
                rec.code = f"{rec.code} ({rec.guid[:8]})"
        if rec.code in taken and taken[rec.code] != rec.guid:
            report.add(f"{where} : plusieurs codes du fichier correspondent à {rec.code} ; leurs codages sont réunis")
        taken.setdefault(rec.code, rec.guid)
        if rec.code not in ids:
            missing.append(rec.code)
    if missing:
        report.add(
            f"{where} : {len(missing)} code(s) absent(s) du codebook, gardé(s) avec leur nom comme identifiant : {_names(missing)}"
        )
    return missing


# --------------------------------------------------------------------------- text and positions


def _crlf_mapper(text: str, spans: list[tuple[int, int, str]]) -> tuple[bool, Any]:
    """Whether positions of ``spans`` look computed on the LF-normalised ``text``, and a function
    mapping such a position to the position in ``text``."""
    crlf_at: list[int] = []  # indexes, in the LF text, of newlines that were CR LF
    shift = 0
    index = text.find("\r\n")
    while index != -1:
        crlf_at.append(index - shift)
        shift += 1
        index = text.find("\r\n", index + 2)
    norm = text.replace("\r\n", "\n")
    raw_votes = norm_votes = 0

    def mid_word(t: str, pos: int) -> bool:
        return 0 < pos < len(t) and t[pos - 1].isalnum() and t[pos].isalnum()

    for start, end, name in spans:
        if end > len(norm) and end <= len(text):
            raw_votes += 100
        for pos in (start, end):
            if 0 < pos < len(text) and text[pos - 1] == "\r" and text[pos] == "\n":
                norm_votes += 1  # a selection never cuts a CR LF pair in the file's text
            raw_votes += mid_word(norm, pos)  # boundaries inside a word are implausible
            norm_votes += mid_word(text, pos)
        clean = re.sub(r"\s+", " ", name.replace("…", "")).rstrip(".").strip()
        if len(clean) >= 5:  # tools often name a selection by its first words
            raw_ok = re.sub(r"\s+", " ", text[start:end]).startswith(clean)
            norm_ok = re.sub(r"\s+", " ", norm[start:end]).startswith(clean)
            if raw_ok != norm_ok:
                raw_votes += 2 * raw_ok
                norm_votes += 2 * norm_ok
    use_norm = norm_votes > raw_votes

    def to_raw(pos: int) -> int:
        return pos + bisect.bisect_left(crlf_at, pos)

    return use_norm, to_raw


def _decode(data: bytes, name: str, report: Report, where: str) -> tuple[str, bool]:
    """The text of a source file and whether it began with a UTF-8 BOM (removed; QualCoder writes
    one before every text, so the caller reports them once, together)."""
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    try:
        return data.decode("utf-8"), bom
    except UnicodeDecodeError:
        report.add(f"{where} : texte de « {name} » non UTF-8, lu en Windows-1252")
        return data.decode("cp1252", errors="replace"), bom


class _Texts:
    """Finds the plain text of a source inside the archive (never outside it)."""

    def __init__(self, archive: SafeArchive, report: Report, where: str) -> None:
        self.archive = archive
        self.report = report
        self.where = where
        self.members = {n.replace("\\", "/").casefold(): n for n in archive.names}
        self.with_bom: dict[str, None] = {}  # sources whose text file began with a BOM (ordered set)

    def member(self, file_name: str) -> str | None:
        key = file_name.replace("\\", "/").casefold()
        exact = f"sources/{file_name}"
        if key.startswith("sources/") and key in self.members:
            return self.members[key]
        found = self.members.get(f"sources/{key}")
        if found is not None:
            if found != exact:
                self.report.add(f"{self.where} : dossier « {found.split('/')[0]}/ » au lieu de « sources/ », accepté", level=logging.INFO)
            return found
        found = self.members.get(key)
        if found is not None:
            self.report.add(f"{self.where} : source « {found} » hors du dossier sources/, acceptée", level=logging.INFO)
        return found

    def text(self, el: etree._Element, name: str) -> tuple[str | None, str, str]:
        """(text or None, reason, French detail) for a TextSource-like element."""
        content = _kid(el, "PlainTextContent")
        if content is not None:
            return _text_of(content), "", ""
        ref = (el.get("plainTextPath") or "").strip()
        if not ref:
            return None, "no_text", "ni PlainTextContent ni plainTextPath"
        scheme, _, rest = ref.partition("://")
        if scheme.lower() != "internal":
            return None, "external_text", f"texte externe ({ref}) : jamais lu hors de l'archive"
        member = self.member(rest.lstrip("/"))
        if member is None:
            return None, "missing_text", f"fichier texte {ref} absent de l'archive"
        text, bom = _decode(self.archive.read(member), name, self.report, self.where)
        if bom:
            self.with_bom[name] = None
        return text, "", ""

    def report_bom(self) -> None:
        """One line for all the text files that began with a byte order mark (QualCoder writes one
        before every text)."""
        if self.with_bom:
            names = list(self.with_bom)
            shown = ", ".join(f"« {n} »" for n in names[:3]) + (" ..." if len(names) > 3 else "")
            self.report.add(
                f"{self.where} : {len(names)} texte(s) commençant par une marque d'ordre d'octets (BOM), "
                f"retirée ; les positions comptent après elle ({shown})",
                level=logging.INFO,
            )


# --------------------------------------------------------------------------- project


@dataclass
class _Coding:
    response_id: str
    code: str
    coder: str
    start: int | None
    end: int | None
    evidence: str
    score: float | None
    negated: bool


def _variables(el: etree._Element, variable_names: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for vv in _kids(el, "VariableValue"):
        ref = _kid(vv, "VariableRef")
        name = variable_names.get(normalise_guid(ref.get("targetGUID")) if ref is not None else "", "")
        value = next((_text_of(c) for c in vv if isinstance(c.tag, str) and _local(c).endswith("Value")), "")
        if name:
            out[slugify(name)] = value
    return out


# response column -> slugs of the variable names that hold it: ours (a source's, then a case's:
# « rôle du répondant »...), the column itself, and a few names other tools use
_VARIABLE_KEYS: dict[str, tuple[str, ...]] = {
    column: (slugify(label), slugify(column)) + tuple(slugify(case) for c, case in CASE_VARIABLES if c == column)
    for column, label in SOURCE_VARIABLES
}
_VARIABLE_KEYS["session"] += ("date_de_session", "date")
_VARIABLE_KEYS["respondent_id"] += ("participant", "respondent")


def _lookup(column: str, *tables: dict[str, str], default: str = "") -> str:
    """Value of ``column`` from the first table that has the variable (even empty), else ``default``."""
    for table in tables:
        for key in _VARIABLE_KEYS[column]:
            if key in table:
                return table[key]
    return default


def _role(value: str) -> str:
    if value in ALL_ROLES:
        return value
    if not value:
        return UNKNOWN_ROLE
    return normalise_role(value)


def _find_qde(archive: SafeArchive, report: Report) -> str:
    top = [n for n in archive.names if "/" not in n.replace("\\", "/")]
    exact = [n for n in top if n == "project.qde"]
    if exact:
        return exact[0]
    candidates = [n for n in top if n.casefold() == "project.qde"] or [n for n in top if n.casefold().endswith(".qde")]
    if not candidates:
        raise QDAError(
            "project.qde absent de l'archive (un .qdpx contient project.qde et un dossier sources/) ; "
            f"éléments trouvés : {_names(sorted(archive.names)) or 'aucun'}",
            path=archive.path,
        )
    if len(candidates) > 1:
        report.add(f"{archive.path} : plusieurs fichiers .qde ({_names(candidates)}), « {candidates[0]} » lu")
    report.add(f"{archive.path} : projet nommé « {candidates[0]} » au lieu de « project.qde », accepté", level=logging.INFO)
    return candidates[0]


def _int_attr(el: etree._Element, name: str) -> int | None:
    try:
        return int((el.get(name) or "").strip())
    except ValueError:
        return None


def _read_segments(segments: Any) -> pd.DataFrame | None:
    if segments is None:
        return None
    path = None
    if isinstance(segments, (str, Path)):
        path = Path(segments)
        if not path.is_file():
            raise QDAError("table des segments introuvable", path=path)
        segments = read_csv_table(path)
    missing = [c for c in SEGMENTS if c not in segments.columns]
    if missing:
        raise QDAError(f"table des segments : colonnes manquantes {', '.join(missing)}", path=path)
    seg = segments[list(SEGMENTS)].copy()
    seg["start"] = pd.to_numeric(seg["start"]).astype(int)
    seg["end"] = pd.to_numeric(seg["end"]).astype(int)
    return seg


def import_qdpx(
    path: str | Path,
    *,
    codebook: Any = None,
    segments: Any = None,
    limits: Limits = DEFAULT_LIMITS,
) -> QDAImport:
    """Read a REFI-QDA project (``.qdpx``) written by any tool into the toolkit's tables.

    ``codebook`` (``Codebook``, YAML path or mapping; None = the shipped one) maps the project's
    codes to our ids; codes it lacks are kept under their name and listed. ``segments`` (a
    segments table or CSV path) lets codings be attached to the segments they cover; without
    it ``segment_id`` is empty (response-level codings) and ``segments`` holds one segment per
    text source. Hostile or unreadable files raise ``QDAError``; everything tolerated is in
    ``report``.
    """
    path = Path(path)
    report = Report()
    with SafeArchive(path, limits=limits) as archive:
        qde = _find_qde(archive, report)
        root = parse_xml(archive.read(qde), where=f"{path}:{qde}")
        where = f"{path.name}:{qde}"
        return _import_project(root, archive, report, where=where, path=path, codebook=codebook, segments=segments)


def _check_root(root, element: str, namespace: str, what: str, report: Report, *, where: str, path) -> str | None:
    """Refuse a file whose root is not ``element``; report (and tolerate) another namespace and an
    empty ``<Sets/>``. Returns the file's namespace."""
    if _local(root) != element:
        raise QDAError(f"élément racine <{_local(root) or root.tag}> au lieu de <{element}> : pas {what} REFI-QDA", path=path)
    found = etree.QName(root).namespace
    if found != namespace:
        report.add(f"{where} : espace de noms « {found or 'aucun'} » au lieu de {namespace}, lu quand même")
    sets = _kid(root, "Sets")
    if sets is not None and not len(sets):
        report.add(f"{where} : élément <Sets/> vide (non conforme au schéma), ignoré", level=logging.INFO)
    return found


def _import_project(root, archive, report: Report, *, where: str, path: Path, codebook: Any, segments: Any) -> QDAImport:
    namespace = _check_root(root, "Project", NS_PROJECT, "un projet", report, where=where, path=where)
    errors = schema_errors(root, "project") if namespace == NS_PROJECT else []
    other = [e for e in errors if "Sets" not in e]
    if other:
        report.add(f"{where} : {len(other)} écart(s) à Project.xsd tolérés, dont : " + " ; ".join(other[:3]))
    reader = _ProjectReader(root, archive, report, where=where, codebook=codebook)
    reader.read_sources(_kid(root, "Sources"))
    reader.report_losses()
    responses_df = _frame(reader.responses, RESPONSES)
    segments_df, codings_df = _segments_and_codings(responses_df, reader.codings, _read_segments(segments), report, where)
    coded_by = codings_df["coder"].value_counts()
    users = [
        {"guid": g, "name": reader.user_names[g], "coder": c, "codings": int(coded_by.get(c, 0))}
        for g, c in reader.users.items()
    ]
    idle = [u["name"] or u["guid"] for u in users if not u["codings"]]
    if idle:  # QualCoder's « default » owns the sources it imported; not a coder
        report.add(f"{where} : {len(idle)} utilisateur(s) sans aucun codage, laissé(s) de côté : {_names(idle)}", level=logging.INFO)
    users_df = pd.DataFrame([u for u in users if u["codings"]], columns=list(USER_COLUMNS))
    codes_df = pd.DataFrame(
        [
            {"guid": r.guid, "name": r.name, "path": " / ".join(r.path), "code": r.code, "matched_by": r.matched_by,
             "in_codebook": r.code not in reader.missing_codes, "color": r.color or ""}
            for r in reader.records
        ],
        columns=list(CODE_COLUMNS),
    )
    return QDAImport(
        responses=responses_df,
        segments=segments_df,
        codings=codings_df,
        rejected=_frame(reader.rejected, REJECTED),
        report=list(report),
        users=users_df,
        codes=codes_df,
        name=root.get("name") or "",
        origin=root.get("origin") or "",
        missing_codes=reader.missing_codes,
    )


class _ProjectReader:
    """Reads the parts of a ``project.qde`` into rows: users, codes, variables and cases first
    (the lookups), then each source with its selections and codings. Every loss is reported."""

    def __init__(self, root: etree._Element, archive: SafeArchive, report: Report, *, where: str, codebook: Any):
        self.report, self.where = report, where
        self.users: dict[str, str] = {}  # guid -> coder
        self.user_names: dict[str, str] = {}
        users_el = _kid(root, "Users")
        for user in _kids(users_el, "User") if users_el is not None else []:
            guid = normalise_guid(user.get("guid"))
            name = _name(user) or _name(user, "id") or guid
            self.user_names[guid] = _name(user)
            self.users[guid] = _MACHINE_CODERS.get(name, name)
        codebook_el = _kid(root, "CodeBook")
        codes_el = _kid(codebook_el, "Codes") if codebook_el is not None else None
        self.records = _walk_codes(codes_el, report, where) if codes_el is not None else []
        self.missing_codes = _resolve_project_codes(self.records, codebook, report, where) if self.records else []
        self.code_of = {r.guid: r.code for r in self.records}
        variables_el = _kid(root, "Variables")
        self.variable_names = {
            normalise_guid(v.get("guid")): _name(v)
            for v in (_kids(variables_el, "Variable") if variables_el is not None else [])
        }
        self.case_of_source: dict[str, tuple[str, dict[str, str]]] = {}
        cases_el = _kid(root, "Cases")
        for case in _kids(cases_el, "Case") if cases_el is not None else []:
            values = _variables(case, self.variable_names)
            for ref in _kids(case, "SourceRef"):
                self.case_of_source.setdefault(
                    normalise_guid(ref.get("targetGUID")), (_name(case) or normalise_guid(case.get("guid")), values)
                )
        self.project_user = normalise_guid(root.get("creatingUserGUID"))
        self.texts = _Texts(archive, report, where)
        self.responses: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self.codings: list[_Coding] = []
        self.used_ids: set[str] = set()
        self.unknown_users: set[str] = set()
        self.unknown_code_refs: Counter = Counter()
        self.no_user = 0

    # -- lookups ---------------------------------------------------------------------------------
    def coder_of(self, *els: etree._Element) -> str:
        """The coder of a coding: the first ``creatingUser`` among ``els`` (the coding, then its
        selection, source...), else the project's creator, else « inconnu »."""
        for el in els:
            guid = normalise_guid(el.get("creatingUser"))
            if guid:
                if guid not in self.users:
                    self.unknown_users.add(guid)
                    return guid
                return self.users[guid]
        if self.project_user:
            return self.users.get(self.project_user, self.project_user)
        self.no_user += 1
        return "inconnu"

    def code_for(self, coding: etree._Element) -> str | None:
        """Our code id for a ``<Coding>`` (the referenced code's GUID when the code is unknown)."""
        ref = _kid(coding, "CodeRef")
        guid = normalise_guid(ref.get("targetGUID")) if ref is not None else ""
        if guid in self.code_of:
            return self.code_of[guid]
        self.unknown_code_refs[guid or "(sans CodeRef)"] += 1
        return guid or None

    @staticmethod
    def scores(sel: etree._Element) -> dict[tuple[str, str], tuple[float | None, bool, bool]]:
        """(code, coder) -> (score, negated, response level) written by our exporter in a
        selection's description (QualCoder keeps it as the coding's memo and writes it back)."""
        out = {}
        for line in _text_of(_kid(sel, "Description")).splitlines():
            m = _SCORE_LINE.match(line.strip())
            if m:
                coder = _MACHINE_CODERS.get(m["user"], m["user"])
                try:
                    score = float(m["score"]) if m["score"] else None
                except ValueError:
                    score = None
                out[(m["code"], coder)] = (score, bool(m["neg"]), bool(m["whole"]))
        return out

    def response_id_for(self, name: str, guid: str) -> str:
        """Our response id in a source name, else one made from the name (and the GUID if taken)."""
        match = OUR_RESPONSE_ID.search(name)
        rid = match.group(0) if match else make_response_id(name, 1, "")
        if rid in self.used_ids:
            rid = make_response_id(name, 1, guid)
            self.report.add(f"{self.where} : plusieurs sources nommées « {name} » ; identifiants distingués par leur GUID")
        self.used_ids.add(rid)
        return rid

    # -- sources ---------------------------------------------------------------------------------
    def read_sources(self, sources_el: etree._Element | None) -> None:
        """Every source: text sources (and PDFs with a text representation) become answers; the
        others are rejected with the number of codings lost."""
        where = self.where
        for source in list(sources_el) if sources_el is not None else []:
            kind = _local(source)
            if not kind:
                continue
            name = _name(source) or normalise_guid(source.get("guid")) or kind
            guid = normalise_guid(source.get("guid"))
            if kind == "TextSource":
                self.read_text(source, name, guid, source)
                continue
            n_codings = len([c for c in source.iter() if isinstance(c.tag, str) and _local(c) == "Coding"])
            if kind == "PDFSource":
                rep = _kid(source, "Representation")
                pdf_selections = _kids(source, "PDFSelection")
                pdf_codings = sum(len(_kids(s, "Coding")) for s in pdf_selections) + len(_kids(source, "Coding"))
                if rep is not None and self.texts.text(rep, name)[0] is not None:
                    self.report.add(f"{where} : source PDF « {name} » lue par sa représentation texte", level=logging.INFO)
                    self.read_text(rep, name, guid, source)
                    if pdf_codings:
                        self.report.add(f"{where} : « {name} » : {pdf_codings} codage(s) de zones de page PDF non importé(s) (coordonnées, pas de texte)")
                    continue
                self.reject(name, "not_text", f"source PDF sans représentation texte lisible ; {n_codings} codage(s) non importé(s)")
                continue
            labels = {"PictureSource": "image", "AudioSource": "audio", "VideoSource": "vidéo"}
            what = labels.get(kind, f"de type {kind} inconnu")
            self.reject(name, "not_text", f"source {what} non textuelle, non importée ; {n_codings} codage(s) non importé(s)")

    def reject(self, name: str, reason: str, detail: str) -> None:
        self.rejected.append({"source_file": name, "source_row": "", "column": "", "reason": reason, "detail": detail, "text": ""})
        self.report.add(f"{self.where} : « {name} » : {detail}")

    def _valid_spans(self, el: etree._Element, name: str) -> list[tuple[etree._Element, int, int]]:
        spans = []
        for sel in _kids(el, "PlainTextSelection"):
            start, end = _int_attr(sel, "startPosition"), _int_attr(sel, "endPosition")
            if start is None or end is None or start < 0 or end < start:
                self.report.add(
                    f"{self.where} : sélection « {sel.get('name') or sel.get('guid')} » de « {name} » : positions "
                    f"invalides ({sel.get('startPosition')!r}, {sel.get('endPosition')!r}), ignorée avec ses codages"
                )
                continue
            spans.append((sel, start, end))
        return spans

    def _crlf(self, text: str | None, spans: list, name: str):
        """A position mapper when positions were counted on the LF text of a CRLF file, else None."""
        if text is None or "\r\n" not in text or not spans:
            return None
        use_norm, to_raw = _crlf_mapper(text, [(s, e, sel.get("name") or "") for sel, s, e in spans])
        if not use_norm:
            return None
        self.report.add(
            f"{self.where} : « {name} » : fins de ligne CRLF et positions comptées sur le texte en LF, "
            f"{len(spans)} sélection(s) recalée(s) sur le texte du fichier"
        )
        return to_raw

    def read_text(self, el: etree._Element, name: str, guid: str, owner: etree._Element) -> None:
        """One text source: its codings (selections and whole-source codings) and, when its text
        is readable, one answer with the variables of the source and of its case."""
        text, reason, detail = self.texts.text(el, name)
        rid = self.response_id_for(name, guid)
        spans = self._valid_spans(el, name)
        mapper = self._crlf(text, spans, name)
        kept_without_text = 0
        for sel, start, end in spans:
            if mapper is not None:
                start, end = mapper(start), mapper(end)
            if text is not None and end > len(text):
                self.report.add(
                    f"{self.where} : sélection « {sel.get('name') or sel.get('guid')} » de « {name} » : fin {end} au-delà "
                    f"du texte ({len(text)} caractères), ignorée avec ses codages"
                )
                continue
            evidence = text[start:end] if text is not None else ""
            known_scores = self.scores(sel)
            for coding in _kids(sel, "Coding"):
                code = self.code_for(coding)
                if code is None:
                    continue
                coder = self.coder_of(coding, sel, el, owner)
                score, negated, whole = known_scores.get((code, coder), (None, False, False))
                if whole and start == 0 and text is not None and end == len(text):  # our response-level coding
                    self.codings.append(_Coding(rid, code, coder, None, None, "", score, negated))
                else:
                    self.codings.append(_Coding(rid, code, coder, start, end, evidence, score, negated))
                kept_without_text += text is None
        for coding in _kids(el, "Coding"):
            code = self.code_for(coding)
            if code is not None:
                self.codings.append(_Coding(rid, code, self.coder_of(coding, el, owner), None, None, "", None, False))
        if text is None:
            message = f"{self.where} : source « {name} » non importée : {detail}"
            if kept_without_text:
                message += f" ; ses {kept_without_text} codage(s) sont gardés avec leurs positions, sans texte"
            self.report.add(message)
            self.rejected.append({"source_file": name, "source_row": "", "column": "", "reason": reason, "detail": detail, "text": ""})
            return
        self.responses.append(self._response(rid, name, guid, el, owner, text))

    def _response(self, rid: str, name: str, guid: str, el: etree._Element, owner: etree._Element, text: str) -> dict[str, Any]:
        values = _variables(el, self.variable_names)
        if owner is not el:
            values = {**_variables(owner, self.variable_names), **values}
        case_name, case_values = self.case_of_source.get(guid, ("", {}))
        respondent = _lookup("respondent_id", values)
        if not respondent and case_name:
            respondent = case_name if OUR_RESPONDENT_ID.match(case_name) else make_respondent_id("qdpx-case", case_name)
        role_value = _lookup("role", values, case_values)
        return {
            "response_id": rid,
            "source_file": _lookup("source_file", values, default=name),
            "source_row": _lookup("source_row", values, default="1"),
            "session": _lookup("session", values, case_values),
            "territory": _lookup("territory", values, case_values),
            "respondent_id": respondent or make_respondent_id("qdpx-source", rid),
            "role": _role(role_value),
            "role_raw": _lookup("role_raw", values, default=role_value),
            "question_id": _lookup("question_id", values),
            "question": _lookup("question", values),
            "text": text,
        }

    def report_losses(self) -> None:
        """One line per kind of loss or tolerance: unknown users, codings without user, unknown
        codes, text files with a BOM."""
        where = self.where
        self.texts.report_bom()
        if self.unknown_users:
            self.report.add(f"{where} : {len(self.unknown_users)} utilisateur(s) absent(s) de <Users>, leur GUID sert de codeur : {_names(sorted(self.unknown_users))}")
        if self.no_user:
            self.report.add(f"{where} : {self.no_user} codage(s) sans utilisateur : codeur « inconnu »")
        if self.unknown_code_refs:
            self.report.add(
                f"{where} : {sum(self.unknown_code_refs.values())} codage(s) vers un code absent du livre de codes du projet, "
                f"gardés avec le GUID comme code : {_names(sorted(self.unknown_code_refs))}"
            )


def _frame(rows: list[dict[str, Any]], spec: dict[str, str]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in spec})
    return pd.DataFrame(rows, columns=list(spec)).astype({c: "object" for c in spec})


def _segments_and_codings(
    responses: pd.DataFrame, codings: list[_Coding], given: pd.DataFrame | None, report: Report, where: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    texts = dict(zip(responses["response_id"], responses["text"]))
    order = {rid: i for i, rid in enumerate(responses["response_id"])}
    # duplicates (same span, code, coder) are dropped once
    unique: dict[tuple, _Coding] = {}
    for c in codings:
        unique.setdefault((c.response_id, c.start, c.end, c.code, c.coder), c)
    if len(unique) < len(codings):
        report.add(f"{where} : {len(codings) - len(unique)} codage(s) en double (même passage, code et codeur) réunis")
    items = sorted(
        unique.values(),
        key=lambda c: (order.get(c.response_id, len(order)), c.response_id, -1 if c.start is None else c.start,
                       -1 if c.end is None else c.end, c.code, c.coder),
    )
    segs_by_response: dict[str, list[tuple[str, int, int]]] = {}
    if given is None:
        seg_rows = [
            {"segment_id": make_segment_id(rid, 0, len(text)), "response_id": rid, "start": 0, "end": len(text), "text": text}
            for rid, text in texts.items() if text
        ]
    else:
        seg_rows = []
        mismatched = []
        for rid, group in given[given["response_id"].isin(texts)].groupby("response_id", sort=False):
            text = texts[rid]
            rows = group.to_dict("records")
            if any(r["end"] > len(text) or text[r["start"]:r["end"]] != r["text"] for r in rows):
                mismatched.append(rid)
                continue
            seg_rows.extend(rows)
            segs_by_response[rid] = [(r["segment_id"], r["start"], r["end"]) for r in rows]
        if mismatched:
            report.add(
                f"{where} : segments ne correspondant pas au texte importé pour {len(mismatched)} réponse(s) "
                f"({_names(mismatched)}) : leurs codages restent au niveau de la réponse"
            )
        without = [rid for rid in texts if rid not in segs_by_response and rid not in mismatched]
        if without:
            report.add(f"{where} : {len(without)} réponse(s) sans segment dans la table fournie : {_names(without)}")
    rows = []
    unplaced = spread = 0
    for c in items:
        source = _CODER_SOURCE.get(c.coder, SOURCE_HUMAN)
        score = c.score if c.score is not None else (1.0 if source == SOURCE_HUMAN else float("nan"))
        base = {"response_id": c.response_id, "code": c.code, "source": source, "score": score, "start": c.start,
                "end": c.end, "evidence": c.evidence, "negated": c.negated, "coder": c.coder}
        targets = [""]
        # a person's coding of the whole answer is a response-level coding (as the toolkit writes them)
        whole = source == SOURCE_HUMAN and c.start == 0 and c.end == len(texts.get(c.response_id, ""))
        if given is not None and c.start is not None and c.response_id in segs_by_response and not whole:
            text = texts[c.response_id]
            targets = [
                sid for sid, s, e in segs_by_response[c.response_id]
                if re.search(r"\w", text[max(s, c.start):min(e, c.end)])
            ]
            if not targets:
                unplaced += 1
                targets = [""]
            elif len(targets) > 1:
                spread += 1
        rows.extend({"segment_id": sid, **base} for sid in targets)
    if unplaced:
        report.add(f"{where} : {unplaced} codage(s) ne recouvrant aucun segment, gardés au niveau de la réponse")
    if spread:
        report.add(f"{where} : {spread} codage(s) couvrant plusieurs segments, reportés sur chacun", level=logging.INFO)
    codings_df = pd.DataFrame(rows, columns=list(CODINGS))
    codings_df = codings_df.astype({c: "object" for c in CODINGS if c not in {"start", "end", "score", "negated"}})
    codings_df["start"] = pd.array(codings_df["start"].tolist(), dtype="Int64")
    codings_df["end"] = pd.array(codings_df["end"].tolist(), dtype="Int64")
    codings_df["score"] = codings_df["score"].astype(float)
    codings_df["negated"] = codings_df["negated"].astype(bool)
    segments_df = pd.DataFrame(seg_rows, columns=list(SEGMENTS))
    segments_df = segments_df.astype({"segment_id": "object", "response_id": "object", "text": "object"})
    segments_df["start"] = segments_df["start"].astype(int)
    segments_df["end"] = segments_df["end"].astype(int)
    return segments_df, codings_df


# --------------------------------------------------------------------------- codebook


@dataclass
class QDCImport:
    """A ``.qdc`` read into the codebook YAML format (``codebook``, a mapping) plus the report."""

    codebook: dict[str, Any]
    report: list[str]
    origin: str = ""


def read_qdc(path: str | Path, *, codebook: Any = None, limits: Limits = DEFAULT_LIMITS) -> QDCImport:
    """Read a codebook into the codebook YAML format (see /docs/refi-qda.md): a REFI-QDA ``.qdc``
    (XML), or Taguette's CSV codebook (a ``.csv``, or any file that is not XML; see :mod:`.taguette`).

    Ids: ours when recoverable (identifier line of the description, or our deterministic GUID),
    otherwise a slug of the path of names (``emotions_negatives.colere``); missing parents of a
    flat hierarchy (``a::b``, Taguette's ``a.b``) are created as group codes."""
    path = Path(path)
    report = Report()
    where = path.name
    if not path.is_file():
        raise QDAError("fichier introuvable", path=path)
    if path.stat().st_size > limits.max_member_bytes:
        raise QDAError(f"fichier trop gros ({path.stat().st_size} octets, limite {limits.max_member_bytes})", path=path)
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise QDAError("ceci est une archive ZIP (projet .qdpx ?) et non un codebook .qdc : utilisez import-qdpx", path=path)
    if looks_like_csv(path, data):
        notes: list[str] = []
        rows = taguette_rows(path, data, notes)
        for note in notes:
            report.add(note)
        records = [_CodeRec(f"ligne {number}", tag, [tag], description, None, None) for number, tag, description in rows]
        return _codebook_from_records(records, path, report, codebook=codebook, origin="", kind="codebook CSV (Taguette)",
                                      flat=True, dots=True)
    root = parse_xml(data, where=str(path))
    namespace = _check_root(root, "CodeBook", NS_CODEBOOK, "un codebook", report, where=where, path=path)
    if namespace == NS_CODEBOOK:
        other = [e for e in schema_errors(root, "codebook") if "Sets" not in e]
        if other:
            report.add(f"{where} : {len(other)} écart(s) à Codebook.xsd tolérés, dont : " + " ; ".join(other[:3]))
    codes_el = _kid(root, "Codes")
    if codes_el is None:
        raise QDAError("élément <Codes> absent : pas de codes à importer", path=path)
    records = _walk_codes(codes_el, report, where)
    if not records:
        raise QDAError("aucun code dans <Codes>", path=path)
    origin = root.get("origin") or ""
    flat = all(r.parent_guid is None for r in records)
    return _codebook_from_records(records, path, report, codebook=codebook, origin=origin, kind="codebook REFI-QDA",
                                  flat=flat, dots=flat and origin.lower().startswith("taguette"))


def _codebook_from_records(
    records: list[_CodeRec], path: Path, report: Report, *, codebook: Any, origin: str, kind: str, flat: bool, dots: bool
) -> QDCImport:
    """The codebook mapping of the codes ``records`` read from ``path`` (a hierarchy, or a flat
    list whose names hold it when ``flat``: ``::``, and ``.`` when ``dots``)."""
    where = path.name
    info = as_codebook(codebook)
    by_guid = known_guids(sorted(set(CONTRACT_IDS) | set(info.ids())))

    codes: list[dict[str, Any]] = []
    id_of_path: dict[tuple[str, ...], str] = {}
    id_of_guid: dict[str, str] = {}
    taken: set[str] = set()

    def unique(code_id: str) -> str:
        base, n = code_id, 2
        while code_id in taken:
            code_id = f"{base}_{n}"
            n += 1
        taken.add(code_id)
        return code_id

    file_order = {id(rec): i for i, rec in enumerate(records)}
    if flat:  # parents read before children, whatever the file's order (Taguette keeps the order of creation)
        records = sorted(records, key=lambda r: len(split_flat_name(r.name, dots=dots)))
    split_names = []
    for rec in records:
        here = file_order[id(rec)]
        description, lists, marker = parse_description(rec.description)
        names = split_flat_name(rec.name, dots=dots) if flat else rec.path
        if flat and len(names) > 1:
            split_names.append(rec.name)
        parent_path = tuple(names[:-1])
        for depth in range(1, len(parent_path) + 1):  # parents missing from a flat list
            prefix = parent_path[:depth]
            if prefix not in id_of_path:
                parent_id = id_of_path.get(prefix[:-1])
                new_id = unique(f"{parent_id}.{slugify(prefix[-1])}" if parent_id else slugify(prefix[-1]))
                id_of_path[prefix] = new_id
                codes.append({"id": new_id, "label": prefix[-1], "description": "", "_at": here - 0.5})
                report.add(f"{where} : code parent « {' / '.join(prefix)} » absent du fichier, créé ({new_id})", level=logging.INFO)
        if marker:
            code_id = unique(marker)
        elif rec.guid in by_guid:
            code_id = unique(by_guid[rec.guid])
        else:
            parent_id = id_of_guid.get(rec.parent_guid or "") or id_of_path.get(parent_path)
            code_id = unique(f"{parent_id}.{slugify(names[-1])}" if parent_id else slugify(names[-1]))
        id_of_guid[rec.guid] = code_id
        id_of_path.setdefault(tuple(names), code_id)
        entry: dict[str, Any] = {"id": code_id, "label": names[-1], "description": description, "_at": here}
        for key in ("include", "exclude", "examples"):
            if lists[key]:
                entry[key] = lists[key]
        if rec.color:
            entry["color"] = rec.color
        codes.append(entry)
    if split_names:
        report.add(
            f"{where} : liste de codes à plat, hiérarchie déduite des noms ({'« :: » et « . »' if dots else '« :: »'}) "
            f"pour {len(split_names)} code(s)", level=logging.INFO,
        )
    # a dotted id needs its parent declared: re-root children whose parent is not there
    ids = {c["id"] for c in codes}
    for entry in codes:
        if "." in entry["id"] and entry["id"].rsplit(".", 1)[0] not in ids:
            new_id = entry["id"].replace(".", "_")
            report.add(f"{where} : identifiant {entry['id']} sans parent déclaré, renommé {new_id}")
            entry["id"] = new_id
    # parents before children, file order otherwise (a created parent: where its first child was)
    position = {c["id"]: c.pop("_at") for c in codes}

    def sort_key(entry: dict[str, Any]) -> list[float]:
        parts = entry["id"].split(".")
        return [position.get(".".join(parts[: i + 1]), position[entry["id"]]) for i in range(len(parts))]

    codes.sort(key=sort_key)
    result = {
        "name": f"Codebook importé de {path.name}",
        "version": "1",
        "language": "fr",
        "description": f"Importé de {path.name}, {kind}" + (f" (origine : {origin})" if origin else "")
        + " par transitions-analysis import-qdc : à compléter (motifs, inclusions, exclusions, exemples).",
        "codes": codes,
    }
    return QDCImport(codebook=result, report=list(report), origin=origin)


def import_qdc(path: str | Path, *, codebook: Any = None) -> dict[str, Any]:
    """The ``.qdc`` at ``path`` as a mapping in the codebook YAML format (``name``, ``version``,
    ``language``, ``description``, ``codes``); see :func:`read_qdc` for the report."""
    return read_qdc(path, codebook=codebook).codebook

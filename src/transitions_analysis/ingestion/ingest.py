"""Ingestion: raw feedback exports -> one tidy table of answers (+ what was rejected).

``ingest(paths, anonymiser=...)`` reads every supported file (CSV, XLSX, Framaforms/Webform
exports, transcripts, video chats; see :mod:`transitions_analysis.ingestion.readers`), one row per
answer with the columns of :class:`~transitions_analysis.core.schema.Responses`; answers that are
empty, duplicated, facilitators' turns... go to a rejected table
(:class:`~transitions_analysis.core.schema.Rejected`) so that ``read == kept + rejected``. The
``anonymiser`` (the anonymisation stage, passed in by the caller: :func:`transitions_analysis.ingest`
does) replaces names, e-mails and phones before anything is returned.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import config
from ..core import schema
from ..core.errors import (
    MSG_DUPLICATE,
    MSG_EMPTY,
    MSG_FILE_NOT_FOUND,
    MSG_HUMAN_CODING_AS_EXPORT,
    MSG_OUTPUT_FOLDER_AS_INPUT,
    MSG_UNSUPPORTED_FORMAT,
    SKIP_EMPTY_FILE,
    SKIP_HUMAN_CODING,
    SKIP_SYMLINK,
    SKIP_UNSUPPORTED,
    InputError,
)
from ..core.ids import make_respondent_id, make_response_id
from ..core.io import looks_like_human_codings, output_folder_files, refuse_partial_output_folder
from ..core.labels import reason_fr
from ..core.roles import RoleTable, load_role_table
from ..core.schema import REJECTED, RESPONSES, UNKNOWN_ROLE
from ..core.text import file_name_words, transfer_edits
from .readers import (
    MAPPING_SUFFIX,
    SUPPORTED_SUFFIXES,
    TABLE_SUFFIXES,
    Mapping,
    load_mapping,
    mapping_path_for,
    read_table_file,
    read_text_file,
    slug_question,
)

log = logging.getLogger(__name__)

REJECTED_TEXT_MAX = 200
#: Columns an anonymiser replaces names, e-mails and phones in: answers, role labels, question
#: wordings and source column headers (« … Mme Hélène Marchetti (06 12 34 56 78) ? »).
ANONYMISED_COLUMNS = ("text", "role_raw", "question", "column")
#: An anonymiser takes a frame with the :data:`ANONYMISED_COLUMNS` and ``_names`` (names known
#: from the source) and returns it with names, e-mails, phones replaced and ``_names`` dropped.
Anonymiser = Callable[[pd.DataFrame], pd.DataFrame]
# What the summary says of a file that may carry a person's name (file, mapping and sheet names, headers).
_NAMED_FIELDS = ("file", "mapping", "sheet")
_NAMED_LISTS = ("dropped_columns", "empty_sheets_skipped")



@dataclass
class IngestResult:
    """Result of :func:`ingest`: kept answers, rejected answers and the run summary."""

    responses: pd.DataFrame
    rejected: pd.DataFrame
    summary: dict[str, Any]


def _is_blank(text: str) -> bool:
    """Blank or only punctuation/whitespace/symbols (no letter or digit)."""
    return not any(ch.isalnum() for ch in text)


def _frame_of(kept: dict[str, list[Any]]) -> pd.DataFrame:
    """The kept answers as a table (pandas' strings take less than the Python strings they come
    from), the lists emptied."""
    frame = pd.DataFrame({name: pd.Series(values) for name, values in kept.items()}, columns=list(kept))
    for values in kept.values():
        values.clear()
    return frame


def _words_digest(text: str) -> bytes:
    """A 16-byte digest of the words of ``text`` (spacing ignored): equal words, equal digests."""
    return hashlib.blake2b(" ".join(text.split()).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _resubmissions(answers: list[dict[str, Any]]) -> dict[str, str]:
    """Respondents of a table whose whole submission repeats an earlier one's -> that earlier one.

    A submission is the respondent's session, territory, role label and every non-blank
    (question, text) pair; a form sent twice (same answers under a new submission number) or a
    sticky note typed twice is then rejected as a duplicate of the first, answer by answer.
    """
    submissions: dict[str, list] = {}
    meta: dict[str, tuple[str, str, str]] = {}
    for a in answers:
        key = a["respondent_key"]
        meta.setdefault(key, (a["session"], a["territory"], a["role_raw"]))
        if not _is_blank(a["text"]) and a.get("reject") is None:
            # the answer's words as a digest, not a second copy of every text
            submissions.setdefault(key, []).append((a["question_id"], _words_digest(a["text"])))
    first: dict[tuple, str] = {}
    repeats: dict[str, str] = {}
    for key, pairs in submissions.items():
        signature = (meta[key], tuple(sorted(pairs)))
        if signature in first:
            repeats[key] = first[signature]
        else:
            first[signature] = key
    return repeats


def _folder_entries(root: Path) -> list[Path]:
    """Files of a folder that may be data, sorted by name (mappings, READMEs, hidden and lock files
    are never data)."""
    return [
        path for path in sorted(root.iterdir(), key=lambda p: p.name)
        if not path.name.endswith(MAPPING_SUFFIX)
        and not path.name.upper().startswith("README")
        and not path.name.startswith((".", "~$"))
    ]


def _has_data(root: Path) -> bool:
    return any(
        p.is_file() and not p.is_symlink() and p.suffix.lower() in SUPPORTED_SUFFIXES and not looks_like_human_codings(p)
        for p in _folder_entries(root)
    )


def collect_files(paths: Iterable[str | Path] | str | Path) -> tuple[list[tuple[Path, str]], list[dict[str, str]]]:
    """``(file, source_file)`` pairs to read and the files skipped, each with its reason.

    A directory contributes its supported files (sorted by name, not recursive; ``*.mapping.yaml``,
    ``README*`` and hidden/lock files are never data); ``source_file`` is relative to it. A folder
    holding no data file of its own but subfolders that do (``data/raw/sample`` and its
    ``feedback/``) is read as if those subfolders were given. Skipped, with a warning: symbolic
    links inside a folder (a link to a file of the same folder would be read twice, one out of it
    followed), empty (0-byte) files, human-coding files (``coder``, ``code`` and ``response_id``
    or ``segment_id`` columns: used as the human coding, not as answers) and unsupported formats.
    A file given explicitly must be supported (else ``InputError``) and is named by its file name.
    An output folder of the toolkit is refused (it is not a set of raw exports).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[tuple[Path, str]] = []
    skipped: list[dict[str, str]] = []

    def skip(path: Path, shown: str, reason: str) -> None:
        log.warning("%s : %s, fichier ignoré", path, reason)
        skipped.append({"file": shown, "reason": reason})

    roots: list[Path] = []
    for given in map(Path, paths):
        if given.is_dir() and not _has_data(given):
            subfolders = [p for p in _folder_entries(given) if p.is_dir() and not p.is_symlink() and _has_data(p)]
            if subfolders:
                log.info("%s : pas d'export dans ce dossier, lecture de ses sous-dossiers %s", given,
                         ", ".join(p.name for p in subfolders))
                roots += subfolders
                continue
        roots.append(given)
    for root in roots:
        if root.is_dir():
            refuse_partial_output_folder(root)
            if output_folder_files(root):
                raise InputError(MSG_OUTPUT_FOLDER_AS_INPUT.format(files=", ".join(output_folder_files(root))), path=root)
            for path in _folder_entries(root):
                shown = path.relative_to(root).as_posix()
                if path.is_symlink():
                    skip(path, shown, SKIP_SYMLINK)
                    continue
                if not path.is_file():
                    continue
                if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                    skip(path, shown, SKIP_UNSUPPORTED)
                    continue
                if looks_like_human_codings(path):
                    skip(path, shown, SKIP_HUMAN_CODING)
                    continue
                if path.stat().st_size == 0:
                    skip(path, shown, SKIP_EMPTY_FILE)
                    continue
                files.append((path, shown))
        elif root.is_file():
            if root.suffix.lower() not in SUPPORTED_SUFFIXES:
                raise InputError(
                    MSG_UNSUPPORTED_FORMAT.format(suffix=root.suffix or "sans extension", supported=", ".join(SUPPORTED_SUFFIXES)),
                    path=root,
                )
            if root.stat().st_size == 0:
                skip(root, root.name, SKIP_EMPTY_FILE)
                continue
            if looks_like_human_codings(root):
                raise InputError(MSG_HUMAN_CODING_AS_EXPORT, path=root)
            files.append((root, root.name))
        else:
            raise InputError(MSG_FILE_NOT_FOUND, path=root)
    names = Counter(source for _, source in files)
    clash = sorted(n for n, c in names.items() if c > 1)
    if clash:
        raise InputError(
            f"deux fichiers d'entrée portent le même nom {clash[0]!r} : les identifiants de réponses se confondraient",
            path=clash[0],
        )
    return files, skipped


def read_source(path: Path, source_file: str, *, table: RoleTable):
    """Read one file with its mapping (``NAME.mapping.yaml`` beside it, when present)."""
    is_table = path.suffix.lower() in TABLE_SUFFIXES
    mapping_file = mapping_path_for(path)
    mapping = load_mapping(mapping_file, for_table=is_table) if mapping_file.is_file() else Mapping()
    if is_table:
        read = read_table_file(path, mapping, source_file=source_file)
    else:
        read = read_text_file(path, mapping, source_file=source_file, table=table)
    read.info["mapping"] = mapping_file.name if mapping.path else None
    return read


def ingest(
    paths: Iterable[str | Path] | str | Path,
    *,
    anonymiser: Anonymiser | None,
    role_table: RoleTable | str | Path | None = None,
) -> IngestResult:
    """Read files and/or directories into responses + rejected tables and a summary dict.

    ``anonymiser``: see :data:`Anonymiser` (``None`` only for tests and checks on synthetic data:
    the result then holds raw names, and its summary says so). ``role_table`` is a
    :class:`RoleTable` or the path of a roles YAML (default: the shipped table).
    """
    table = role_table if isinstance(role_table, RoleTable) else load_role_table(role_table)
    files, skipped = collect_files(paths)
    # kept answers column by column (one list per column, not one dict per row: a million answers
    # read take about 0.5 GB less)
    kept: dict[str, list[Any]] = {c: [] for c in [*RESPONSES, "_names", "_qorder"]}
    parts: list[pd.DataFrame] = []  # kept answers already turned into a table, slice by slice
    rejected: list[dict[str, Any]] = []
    file_stats: list[dict[str, Any]] = []
    role_cache: dict[str, str] = {}

    for path, source_file in files:
        read = read_source(path, source_file, table=table)
        answers = sorted(read.answers, key=lambda a: (a["source_row"], a["_qorder"]))
        resubmitted = _resubmissions(answers) if read.format not in ("chat", "transcript") else {}
        seen: dict[tuple[str, str, str], str] = {}
        n_kept = 0
        reasons: Counter[str] = Counter()
        n_read = len(answers)
        for i in range(n_read):
            a, answers[i] = answers[i], None  # let go once read: its text lives on in the table only
            a["source_file"] = source_file
            reason = a.get("reject")
            if reason is None and _is_blank(a["text"]):
                reason = ("empty", MSG_EMPTY)
            if reason is None:
                rid = a.get("response_id") or make_response_id(source_file, a["source_row"], a["question_id"] or None)
                first_key = resubmitted.get(a["respondent_key"], a["respondent_key"])
                dup_key = (first_key, a["question_id"], _words_digest(a["text"]))
                if dup_key in seen:
                    reason = ("duplicate", MSG_DUPLICATE.format(other=seen[dup_key]))
                else:
                    seen[dup_key] = rid
            if reason is not None:
                reasons[reason[0]] += 1
                rejected.append({
                    "source_file": source_file, "source_row": a["source_row"], "column": a["column"],
                    "reason": reason[0], "detail": reason[1], "text": a["text"], "_names": a["_names"],
                    "_qorder": a["_qorder"],
                })
                continue
            label = a["role_raw"]
            if label not in role_cache:
                role_cache[label] = table.role_of(label)
            for column, value in (
                ("response_id", rid),
                ("source_file", source_file),
                ("source_row", a["source_row"]),
                ("session", a["session"]),
                ("territory", a["territory"]),
                ("respondent_id", make_respondent_id(source_file, a["respondent_key"])),
                ("role", role_cache[label]),
                ("role_raw", label),
                ("question_id", a["question_id"]),
                ("question", a["question"]),
                ("text", a["text"]),
                ("_names", a["_names"]),
                ("_qorder", a["_qorder"]),
            ):
                kept[column].append(value)
            n_kept += 1
            if len(kept["response_id"]) >= config.INGEST_SLICE:
                parts.append(_frame_of(kept))
        stat = {
            "file": source_file, "format": read.format, "read": n_read, "kept": n_kept,
            "rejected": n_read - n_kept, "rejected_by_reason": dict(sorted(reasons.items())),
        }
        stat.update({k: v for k, v in read.info.items() if v is not None})
        file_stats.append(stat)
        log.debug("%s : %s, %d réponses lues", source_file, read.format, n_read)
        del read, answers, seen  # one object per row: not kept alive through anonymisation

    if kept["response_id"]:
        parts.append(_frame_of(kept))
    if parts:  # pandas' strings of the slices are put together without being copied
        responses = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    else:  # nothing kept: the dtypes pandas gives empty lists
        responses = pd.DataFrame(kept, columns=list(kept))
    del kept, parts
    # each file's answers are in (row, question) order and file names are distinct: the table is
    # already sorted when the files were read in name order (no sorted copy of a large table then)
    read_order = [source for _, source in files]
    if read_order != sorted(read_order):
        responses = responses.sort_values(["source_file", "source_row", "_qorder"], kind="stable")
    responses = responses.drop(columns="_qorder").reset_index(drop=True)
    rejected_df = pd.DataFrame(rejected, columns=[*REJECTED, "_names", "_qorder"])
    del rejected
    rejected_df = rejected_df.sort_values(["source_file", "source_row", "_qorder", "reason"], kind="stable")
    rejected_df = rejected_df.drop(columns="_qorder").reset_index(drop=True)
    dupes = responses["response_id"][responses["response_id"].duplicated()]
    if len(dupes):
        row = responses[responses["response_id"] == dupes.iloc[0]].iloc[-1]
        raise InputError(f"identifiant de réponse en double : {dupes.iloc[0]}", path=row["source_file"], row=int(row["source_row"]))

    if anonymiser is not None:
        responses, rejected_df, file_stats, skipped = _anonymise(anonymiser, responses, rejected_df, file_stats, skipped)
    if not len(responses):
        log.warning("aucune réponse gardée (%d lue(s), toutes écartées : voir rejected.csv)", len(rejected_df))
    responses = schema.validate(responses.drop(columns="_names"), schema.Responses)
    rejected_df = schema.validate(rejected_df.drop(columns="_names"), schema.Rejected)
    rejected_df["text"] = rejected_df["text"].str.slice(0, REJECTED_TEXT_MAX)

    summary = _summary(responses, rejected_df, file_stats, skipped, anonymise=anonymiser is not None, table=table)
    return IngestResult(responses=responses, rejected=rejected_df, summary=summary)


def _anonymise(
    anonymiser: Anonymiser,
    responses: pd.DataFrame,
    rejected: pd.DataFrame,
    file_stats: list[dict[str, Any]],
    skipped: list[dict[str, str]],
) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, Any]], list[dict[str, str]]]:
    """Everything that leaves ingestion, through one call of the anonymiser.

    One frame, so that a name known from a rejected row is searched in kept ones too and a person
    gets the same placeholder everywhere: answers and role labels, question wordings and column
    headers of kept and rejected rows, and file names (``source_file``, the summary's file list,
    dropped columns and mapping files). A question id made from the question's wording is made
    again from the anonymised wording.
    """
    labels = sorted(
        {f["file"] for f in skipped}
        | {str(f[k]) for f in file_stats for k in _NAMED_FIELDS if f.get(k)}
        | {str(v) for f in file_stats for k in _NAMED_LISTS for v in f.get(k, [])}
    )
    label_rows = pd.DataFrame({"text": [file_name_words(n) for n in labels],
                               "_names": [[] for _ in labels]})
    frame = pd.concat(
        [responses[["text", "role_raw", "question", "_names"]].assign(column=""),
         rejected[["text", "column", "_names"]].assign(role_raw="", question=""),
         label_rows.assign(role_raw="", question="", column="")],
        ignore_index=True,
    )[[*ANONYMISED_COLUMNS, "_names"]]
    done = anonymiser(frame)
    n, m = len(responses), len(rejected)
    responses, rejected = responses.copy(), rejected.copy()
    old_questions = responses["question"].to_numpy()
    for column in ("text", "role_raw", "question"):
        responses[column] = done[column].iloc[:n].to_numpy()
    for column in ("text", "column"):
        rejected[column] = done[column].iloc[n : n + m].to_numpy()
    renamed = {
        label: transfer_edits(label, spaced, new)
        for label, spaced, new in zip(labels, label_rows["text"], done["text"].iloc[n + m :])
    }
    changed = responses["question"].to_numpy() != old_questions
    slugs = {q: slug_question(q) for q in dict.fromkeys(old_questions)}  # once per question, not per answer
    derived = [qid == slugs[q] for qid, q in zip(responses["question_id"], old_questions)]
    for i in (i for i in range(n) if changed[i] and derived[i]):
        responses.iat[i, responses.columns.get_loc("question_id")] = slug_question(responses["question"].iat[i])
    for table in (responses, rejected):
        table["source_file"] = table["source_file"].map(lambda f: renamed.get(f, f))
    file_stats = [
        {**f, **{k: renamed.get(str(f[k]), f[k]) for k in _NAMED_FIELDS if f.get(k)},
         **{k: [renamed.get(str(v), v) for v in f[k]] for k in _NAMED_LISTS if k in f}}
        for f in file_stats
    ]
    skipped = [{**f, "file": renamed.get(f["file"], f["file"])} for f in skipped]
    return responses, rejected, file_stats, skipped


def _summary(
    responses: pd.DataFrame,
    rejected: pd.DataFrame,
    file_stats: list[dict[str, Any]],
    skipped: list[dict[str, str]],
    *,
    anonymise: bool,
    table: RoleTable,
) -> dict[str, Any]:
    read = sum(f["read"] for f in file_stats)
    unknown = responses.loc[(responses["role"] == UNKNOWN_ROLE) & (responses["role_raw"] != ""), "role_raw"]
    unmapped = Counter(unknown)
    return {
        "read": read,
        "kept": len(responses),
        "rejected": len(rejected),
        "balanced": read == len(responses) + len(rejected),
        "rejected_by_reason": dict(sorted(Counter(rejected["reason"]).items())),
        "roles": dict(sorted(Counter(responses["role"]).items())),
        "no_role_given": int((responses["role_raw"] == "").sum()),
        "unmapped_role_labels": dict(sorted(unmapped.items(), key=lambda kv: (-kv[1], kv[0]))),
        "respondents": int(responses["respondent_id"].nunique()),
        "sessions": sorted(s for s in responses["session"].unique() if s),
        "files": file_stats,
        "skipped": skipped,
        "anonymised": anonymise,
        "role_table": Path(table.path).name,
    }


def summary_fr(summary: dict[str, Any]) -> str:
    """The run summary as one French paragraph (for the log)."""
    files = summary["files"]
    formats = Counter(f["format"] for f in files)
    encodings = Counter(f"{f['encoding']}" + (f" « {_delim_fr(f['delimiter'])} »" if "delimiter" in f else "") for f in files if "encoding" in f)
    parts = [
        f"Ingestion : {len(files)} fichier(s) lu(s) ("
        + ", ".join(f"{n} {fmt}" for fmt, n in sorted(formats.items()))
        + ")"
    ]
    if encodings:
        parts[-1] += ", encodages/séparateurs détectés : " + ", ".join(f"{k} ×{n}" for k, n in sorted(encodings.items()))
    reasons = ", ".join(f"{reason_fr(r)} : {n}" for r, n in summary["rejected_by_reason"].items())
    parts.append(
        f"{summary['read']} réponses lues, {summary['kept']} gardées, {summary['rejected']} rejetées"
        + (f" ({reasons})" if reasons else "")
        + (" ; bilan équilibré" if summary["balanced"] else " ; BILAN DÉSÉQUILIBRÉ")
    )
    roles = ", ".join(f"{r} : {n}" for r, n in summary["roles"].items())
    if roles:
        parts.append(f"rôles : {roles}")
    if summary["unmapped_role_labels"]:
        top = list(summary["unmapped_role_labels"].items())[:5]
        parts.append(
            f"{len(summary['unmapped_role_labels'])} libellé(s) de rôle non reconnu(s), classés « inconnu » ("
            + ", ".join(f"« {k} » ×{n}" for k, n in top)
            + ") : complétez la table des rôles"
        )
    if summary["skipped"]:
        parts.append(f"{len(summary['skipped'])} fichier(s) ignoré(s) ("
                     + ", ".join(f"{f['file']} : {f['reason']}" for f in summary["skipped"][:5])
                     + (", ..." if len(summary["skipped"]) > 5 else "") + ")")
    if not summary["anonymised"]:
        parts.append("ATTENTION : textes NON anonymisés")
    return " ; ".join(parts) + "."


def _delim_fr(delim: str) -> str:
    return "tabulation" if delim == "\t" else delim

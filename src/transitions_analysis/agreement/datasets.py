"""Loaders for public multi-coder data used to test and illustrate the agreement stage.

Only the AN 2016 crowd coding for now (``../shared/data/an2016_egalite_fh_crowdcoded/``: the
Assemblée nationale's 2016 consultation on gender equality, coded by volunteers, ODbL, Regards
Citoyens). The package never reads it at run time; tests and notebooks pass its path.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..core.errors import MSG_FILE_NOT_FOUND, MSG_MISSING_COLUMN, InputError

log = logging.getLogger(__name__)

AN2016_CODINGS_FILE = "an2016_crowd_codings_long.csv"
AN2016_DOCUMENTS_FILE = "an2016_coded_documents.csv"
#: The 14 yes/no codes of the AN 2016 crowd form: C_* = content of the answer (one question,
#: several boxes), O_* = originality, U_* = what the Assembly should do with it (one choice).
AN2016_CODES: tuple[str, ...] = (
    "C_experience_personnelle",
    "C_analyse_des_causes",
    "C_description_probleme",
    "C_analyse_ou_proposition_generale",
    "C_nouvelles_mesures",
    "C_questions_demandes_info",
    "C_pour_mesure_existante",
    "C_contre_mesure_existante",
    "O_original_jamais_entendu",
    "U_recoit_auteur",
    "U_cite_dans_rapport",
    "U_demande_eclaircissement",
    "U_prend_en_compte",
    "U_rien",
)
AN2016_CONTENT_CODES: tuple[str, ...] = tuple(c for c in AN2016_CODES if c.startswith("C_"))
#: Value of ``affirmations_raw`` when the coder left the content question blank.
AN2016_BLANK = "0"


def _dir(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise InputError(MSG_FILE_NOT_FOUND, path=path)
    return path


def load_an2016_codings(
    path: str | Path, *, blank: str = "missing", codes: Sequence[str] | None = None
) -> pd.DataFrame:
    """The AN 2016 crowd codings as a codings frame ``response_id, coder, code``.

    ``path``: the ``an2016_egalite_fh_crowdcoded`` folder (or its codings CSV). ``response_id`` is
    the ``document_id``; coders are anonymous, so each coding (form) is its own coder
    ``crowd<coding_id>`` (the source does not say who filled which form). A form with no box
    ticked among ``codes`` gives one row with an empty code (seen, no code).

    ``blank`` decides what a form whose content question was left blank
    (``affirmations_raw == "0"``) means: ``"missing"`` (default) - the volunteer did not code the
    answer, the form is dropped (its few O_/U_ boxes with it); ``"absent"`` - the form is kept and
    its unticked boxes count as « code absent ». ``codes``: a subset of :data:`AN2016_CODES`.
    """
    if blank not in ("missing", "absent"):
        raise ValueError(f"blank doit valoir 'missing' ou 'absent', pas {blank!r}")
    path = _dir(path)
    file = path / AN2016_CODINGS_FILE if path.is_dir() else path
    raw = pd.read_csv(_dir(file), dtype=str, keep_default_na=False)
    wanted = list(codes) if codes is not None else list(AN2016_CODES)
    for col in ["coding_id", "document_id", "affirmations_raw", *wanted]:
        if col not in raw.columns:
            raise InputError(MSG_MISSING_COLUMN.format(column=col), path=file, column=col)
    is_blank = raw["affirmations_raw"].str.strip() == AN2016_BLANK
    if blank == "missing":
        log.info("%s : %d formulaires sans réponse à la question de contenu comptés comme manquants", file.name, int(is_blank.sum()))
        raw = raw[~is_blank]
    coder = "crowd" + raw["coding_id"].str.zfill(4)
    ticks = raw[wanted].apply(pd.to_numeric, errors="raise").astype(int)
    long = (
        ticks.assign(response_id=raw["document_id"].to_numpy(), coder=coder.to_numpy())
        .melt(id_vars=["response_id", "coder"], var_name="code", value_name="tick")
    )
    coded = long[long["tick"] == 1][["response_id", "coder", "code"]]
    none = ticks.sum(axis=1) == 0
    empty = pd.DataFrame({"response_id": raw.loc[none, "document_id"].to_numpy(), "coder": coder[none].to_numpy(), "code": ""})
    out = pd.concat([coded, empty], ignore_index=True)
    order = out["response_id"].astype(int)
    return (
        out.assign(_order=order)
        .sort_values(["_order", "coder", "code"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def load_an2016_texts(path: str | Path) -> pd.DataFrame:
    """The coded AN 2016 answers: ``response_id`` (= document_id), ``question``, ``text``."""
    path = _dir(path)
    file = path / AN2016_DOCUMENTS_FILE if path.is_dir() else path
    raw = pd.read_csv(_dir(file), dtype=str, keep_default_na=False)
    for col in ("document_id", "question", "text"):
        if col not in raw.columns:
            raise InputError(MSG_MISSING_COLUMN.format(column=col), path=file, column=col)
    return pd.DataFrame({"response_id": raw["document_id"], "question": raw["question"], "text": raw["text"]})

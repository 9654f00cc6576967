"""Session dates: what people write (« 16/03/2021 », « 16 mars 2021 »...) -> ISO ``AAAA-MM-JJ``."""

from __future__ import annotations

import datetime as dt
import re

from ...core.text import fold_label

_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4,
    "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "sep": 9,
    "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DMY_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:\s*(?:a|à)?\s*\d{1,2}[:h]\d{2}(?::\d{2})?)?$")
_LONG_RE = re.compile(
    r"^(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?(\d{1,2})(?:er)?\s+([a-z]+)\.?\s+(\d{4})$"
)
DATE_FORMATS_HELP = "16/03/2021, 2021-03-16, 16/03/2021 14:32, 16 mars 2021"


def parse_session(value: object) -> str:
    """ISO date (AAAA-MM-JJ) of a session value; "" for blank; ``ValueError`` if unrecognised."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = " ".join(str(value).split())
    if not text:
        return ""
    if m := _ISO_RE.match(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY_RE.match(text):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
        y = y + 2000 if y < 100 else y
    elif (m := _LONG_RE.match(fold_label(text).replace(",", ""))) and m[2] in _MONTHS:
        d, mo, y = int(m[1]), _MONTHS[m[2]], int(m[3])
    else:
        raise ValueError(f"format de date inconnu : {text!r} (formats lus : {DATE_FORMATS_HELP})")
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError as exc:
        raise ValueError(f"date impossible : {text!r}") from exc


_NAME_ISO_RE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_NAME_DMY_RE = re.compile(r"(?<!\d)(\d{2})-(\d{2})-(\d{4})(?!\d)")
_SESSION_COMMENT_RE = re.compile(r"session du\s+(.+?)\s*(?:[-–—(),;]|$)", re.IGNORECASE)


def session_from_file_name(name: str) -> str:
    """ISO date found in a file name (2023-03-15 or 15-03-2023), "" if none."""
    for regex, order in ((_NAME_ISO_RE, (0, 1, 2)), (_NAME_DMY_RE, (2, 1, 0))):
        if m := regex.search(name):
            y, mo, d = (int(m.group(i + 1)) for i in order)
            try:
                return dt.date(y, mo, d).isoformat()
            except ValueError:
                continue
    return ""

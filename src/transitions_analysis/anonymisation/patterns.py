"""E-mail addresses, French phone numbers and IP addresses: regular expressions.

Phone-number choices (documented because they trade recall for precision): a French number is
``0`` + a digit 1-9 followed by four pairs of digits, or the same after ``+33``/``0033`` (with an
optional ``(0)``); pairs may be glued or separated by one space, dot, hyphen or slash, and one
number may not mix two punctuation separators (so ``06/03/2021 10`` is not a phone). Dates
(``16/03/2021``), times (``10:15:32``), years, amounts (``150 000 €``), postcodes (``26400``) and
SIRET/SIREN numbers (9 or 14 digits) never have that shape. A bare 10-digit number starting with
``01``-``09`` is taken for a phone on purpose. Obfuscated e-mails (``prenom.nom [at] mairie.fr``,
``(at)``, ``arobase``, ``[dot]``) are detected too.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple

KINDS: tuple[str, ...] = ("PER", "EMAIL", "PHONE", "IP")
PLACEHOLDERS: dict[str, str] = {"EMAIL": "[EMAIL]", "PHONE": "[TELEPHONE]", "IP": "[IP]"}
PERSON_PLACEHOLDER = "[PERSONNE_{n}]"
# Spans already anonymised are never detected again.
PLACEHOLDER_RE = re.compile(r"\[(?:PERSONNE_\d+|EMAIL|TELEPHONE|IP)\]")


class PersonalData(NamedTuple):
    """One finding: ``text[start:end] == value``; kind is PER, EMAIL, PHONE or IP."""

    start: int
    end: int
    kind: str
    value: str



_AT = r"(?:\s?@\s?|\s?[\[({<]\s?(?:at|arobase|@)\s?[\])}>]\s?|\s(?:at|arobase)\s)"
_DOT = r"(?:\.|\s?[\[({<]\s?(?:dot|point)\s?[\])}>]\s?)"
EMAIL_RE = re.compile(
    rf"(?<![\w.+-])[\w+-]+(?:\.[\w+-]+)*{_AT}(?:[\w-]+{_DOT})+[a-z]{{2,}}(?![\w-])",
    re.IGNORECASE,
)

_PHONE_SEP = r"[ \t\u00a0\u202f./-]?"
PHONE_RE = re.compile(
    r"(?<![\w+])"
    r"(?P<prefix>(?:\+|00)\s?33\s?(?:\(0\)\s?)?[1-9]|0[1-9])"
    rf"(?P<rest>(?:{_PHONE_SEP}\d{{2}}){{4}})"
    r"(?!\d)"
)
_PHONE_SEPARATORS = re.compile(r"[^\d]")

IPV4_RE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
IPV6_RE = re.compile(r"(?<![\w:.])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])", re.IGNORECASE)


def _phone_ok(match: re.Match[str]) -> bool:
    """Refuse a phone-shaped match mixing two punctuation separators (``06/03/2021 10``)."""
    seps = {s for s in _PHONE_SEPARATORS.findall(match.group("rest")) if not s.isspace()}
    return len(seps) <= 1 and not (seps and any(c.isspace() for c in match.group("rest")))


def find_emails(text: str) -> list[PersonalData]:
    """E-mail addresses, plain or obfuscated (``[at]``, ``(at)``, ``arobase``, ``[dot]``)."""
    return [PersonalData(m.start(), m.end(), "EMAIL", m.group()) for m in EMAIL_RE.finditer(text)]


def find_phones(text: str) -> list[PersonalData]:
    """French phone numbers (mobiles, landlines, +33/0033 forms); see the module docstring."""
    return [
        PersonalData(m.start(), m.end(), "PHONE", m.group())
        for m in PHONE_RE.finditer(text)
        if _phone_ok(m)
    ]


def find_ip_addresses(text: str) -> list[PersonalData]:
    """IPv4 and IPv6 addresses, validated by :mod:`ipaddress` (no octet > 255, no bare ``::``)."""
    found = []
    for m in IPV4_RE.finditer(text):
        try:
            ipaddress.IPv4Address(m.group())
        except ValueError:
            continue
        found.append(PersonalData(m.start(), m.end(), "IP", m.group()))
    for m in IPV6_RE.finditer(text):
        candidate = m.group()
        if sum(1 for g in candidate.split(":") if g) < 3:
            continue
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        found.append(PersonalData(m.start(), m.end(), "IP", candidate))
    return found

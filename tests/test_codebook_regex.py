"""REGEX in codebook patterns: checked when the codebook loads (a safe subset), bounded when
they run (issue 10, defects 3 and 4: an invalid REGEX failed later with re.error; ``^(a+)+$`` on
« aaaa…ab » made ``code`` run for ever)."""

from __future__ import annotations

import re
import textwrap
import time

import pytest

from transitions_analysis.coding.rules import RuleCoder, rule_codings
from transitions_analysis.core.codebook import bounded_regex, parse_codebook, regex_problem
from transitions_analysis.core.errors import CodebookError
from transitions_analysis.core.nlp import parse_texts
from transitions_analysis.segmentation import segment_responses

from conftest import _make_responses

CODEBOOK = """\
name: test
version: "1"
language: fr
description: essai
codes:
  - id: principle
    label: Principes
  - id: principle.cooperation
    label: Coopération
    patterns:
      - [{{TEXT: {{REGEX: "{regex}"}}}}]
"""


def _codebook(regex: str):
    return parse_codebook(textwrap.dedent(CODEBOOK.format(regex=regex)), path="cb.yaml")


@pytest.mark.parametrize("regex,match", [
    ("coop(er", "invalide"),
    ("^(a+)+$", "quantificateur dans un groupe quantifié"),
    ("^(a|aa)*$", "alternative"),
    ("(\\\\w)\\\\1", "renvoi"),
    ("a*b*c*", "sans borne"),
])
def test_unsafe_or_invalid_regex_is_refused_at_load_with_its_line(regex, match):
    with pytest.raises(CodebookError, match=match) as err:
        _codebook(regex)
    assert err.value.path == "cb.yaml" and err.value.line == 11  # the line of the pattern


def test_safe_regex_is_accepted():
    for regex in ("^coop", "^co-?op[eé]r", "(?i)^travail", "^\\\\w+-\\\\w+$", "[a-z]{2,5}(?:tion)?"):
        assert regex_problem(regex.replace("\\\\", "\\")) is None
        _codebook(regex)


def test_a_bounded_regex_finds_what_search_finds_on_short_tokens_only():
    for pattern, text in [("coop", "la coopération"), ("(?i)^COOP", "coopérer"), ("ion$", "action")]:
        assert bool(re.search(bounded_regex(pattern), text)) == bool(re.search(pattern, text))
    assert re.search("a+b", "a" * 200 + "b") and not re.search(bounded_regex("a+b"), "a" * 200 + "b")


def test_regex_patterns_code_and_a_hostile_token_costs_nothing(blank_nlp):
    codebook = _codebook("^coop[eé]r")
    texts = ["Il faut coopérer davantage.", "a" * 50_000 + "b", "rien"]
    coder = RuleCoder(codebook)
    responses = _make_responses(texts)
    docs = parse_texts(texts, nlp=blank_nlp, progress=False)
    segments = segment_responses(responses, docs)
    started = time.perf_counter()
    codings = rule_codings(responses, segments, docs, coder=coder)
    assert time.perf_counter() - started < 5
    assert codings.loc[codings["code"] == "principle.cooperation", "response_id"].tolist() == ["R000"]

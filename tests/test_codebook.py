"""Codebook loading, validation errors (file + line), hierarchy, hash and round trip."""

from __future__ import annotations

import textwrap

import pytest

from transitions_analysis.core import schema
from transitions_analysis.core.codebook import dump_codebook, load_codebook, parse_codebook, parse_pattern
from transitions_analysis.core.errors import CodebookError

CONTRACT = set(schema.CONTRACT_CODES)

GOOD = """\
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
      - "coopér*"
      - "travailler ensemble"
"""


def _write(tmp_path, text, name="cb.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_shipped_codebook_has_the_contract_codes():
    cb = load_codebook()
    assert CONTRACT <= set(cb.ids())
    assert CONTRACT == set(cb.leaf_ids())
    assert cb.get("principle.cooperation").parent == "principle"
    assert cb.get("principle").parent is None
    for code in cb.codes:
        assert code.label and code.color and code.color.startswith("#")
    # every leaf code except expectation (found by the expectations module) has patterns
    assert all(cb.get(c).patterns for c in CONTRACT - {"expectation"})


def test_get_unknown_code_raises_keyerror():
    with pytest.raises(KeyError, match="inconnu"):
        load_codebook().get("principle.nope")


def test_hash_ignores_comments_but_not_content(tmp_path):
    a = load_codebook(_write(tmp_path, GOOD, "a.yaml"))
    b = load_codebook(_write(tmp_path, "# un commentaire\n" + GOOD, "b.yaml"))
    c = load_codebook(_write(tmp_path, GOOD.replace("Coopération", "Coopérer"), "c.yaml"))
    assert a.hash == b.hash != c.hash


def test_dump_then_load_round_trip_keeps_accents(tmp_path):
    cb = load_codebook()
    path = dump_codebook(cb, tmp_path / "out.yaml")
    text = path.read_text(encoding="utf-8")
    assert "Coopération" in text and "\\u" not in text
    again = load_codebook(path)
    assert again.hash == cb.hash
    assert again.to_dict() == cb.to_dict()


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (GOOD + "  - id: principle.cooperation\n    label: Doublon\n", 13, "double"),
        (GOOD + "  - id: actor.elu\n    label: Élus\n", 13, "parent"),
        (GOOD + "  - id: principle.value\n    label: Valeur\n    colour: '#000000'\n", 15, "colour"),
        (GOOD + "  - id: principle.value\n    label: Valeur\n    patterns:\n      - \"a*b\"\n", 16, "motif"),
        (GOOD + "  - id: principle.value\n    label: Valeur\n    patterns:\n      - \"~2 valeur\"\n", 16, "écart"),
        (GOOD + "  - id: principle.value\n    label: Valeur\n    patterns:\n      - [{FOO: x}]\n", 16, "FOO"),
        (GOOD + "  - id: principle.value\n    label: Valeur\n    color: rouge\n", 15, "couleur"),
        (GOOD + "  - id: principle.value\n    label: Valeur\n    exclude_patterns:\n      - \"a*b\"\n", 16, "exclude_patterns"),
        (GOOD + "  - id: principle.value\n", 13, "label"),
        ("name: x\nextra: 1\ncodes: []\n", 2, "extra"),
    ],
)
def test_validation_errors_name_file_and_line(tmp_path, text, line, fragment):
    path = _write(tmp_path, text)
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    message = str(info.value)
    assert "cb.yaml" in message
    assert f"ligne {line}" in message
    assert fragment in message


def test_yaml_syntax_error_names_line(tmp_path):
    path = _write(tmp_path, GOOD + "  - id: x\n   label: : :\n")
    with pytest.raises(CodebookError, match="ligne 1[34]"):
        load_codebook(path)


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(CodebookError, match="introuvable"):
        load_codebook(tmp_path / "absent.yaml")


def test_parse_pattern_tokens():
    toks = parse_pattern("obten* ~3 subvention de l'État")
    assert [t.text for t in toks] == ["obten", "", "subvention", "de", "l'", "État"]
    assert [t.prefix for t in toks][:1] == [True]
    assert toks[1].gap == 3
    for bad in ["", "*", "a*b", "x ~", "~2 a", "a ~9 b", "a ~1 ~1 b"]:
        with pytest.raises(ValueError):
            parse_pattern(bad)


def test_parse_codebook_accepts_spacy_token_patterns():
    cb = parse_codebook(GOOD + '  - id: actor\n    label: A\n  - id: actor.etat\n    label: État\n'
                        '    patterns:\n      - [{ORTH: {IN: ["État", "Etat"]}}]\n')
    assert cb.get("actor.etat").patterns[0] == [{"ORTH": {"IN": ["État", "Etat"]}}]


def test_exclude_patterns_are_parsed_and_kept_in_the_hash():
    base = GOOD + "  - id: actor\n    label: A\n  - id: actor.etat\n    label: État\n    patterns:\n      - \"état\"\n"
    with_exclusion = base + "    exclude_patterns:\n      - \"état de\"\n      - [{LOWER: etats}, {LOWER: unis}]\n"
    a, b = parse_codebook(base), parse_codebook(with_exclusion)
    assert a.get("actor.etat").exclude_patterns == ()
    assert b.get("actor.etat").exclude_patterns[0] == "état de"
    assert "exclude_patterns" not in a.get("actor.etat").to_dict()
    assert a.hash != b.hash

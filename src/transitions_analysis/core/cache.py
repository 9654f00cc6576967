"""One on-disk cache for every stage: a SQLite file of ``(namespace, key) -> value`` rows.

What is cached is always derived from a text and the exact tools that processed it (the key is a
hash of both), never the text itself: name-recognition offsets (``ner``), spaCy parses
(``parses``), per-answer coding results (``coding``). A damaged value is reported by its reader
and recomputed; deleting ``.cache/`` only costs time. Two processes may use the same file (SQLite
locking, 60 s timeout).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

CACHE_FILE = "cache.sqlite"
_CHUNK = 900  # SQLite's default limit on bound parameters is 999


@lru_cache(maxsize=8)
def source_hash(*modules: str) -> str:
    """sha256 of the source of the package's ``modules`` (paths relative to the package, e.g.
    ``"coding/rules.py"``): part of the key of results they computed, so that a change to the
    code that computes them invalidates them."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for name in modules:
        try:
            digest.update((package / name).read_bytes())
        except OSError:  # pragma: no cover - a module of the package is always there
            digest.update(name.encode())
    return digest.hexdigest()


def text_key(*parts: str) -> str:
    """sha1 of the parts joined by ``\\x1f``: the key of a text processed by given tools."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


class DiskCache:
    """A namespace of the cache file under ``cache_dir`` (created on first use).

    ``get``/``put`` take raw bytes; ``get_json``/``put_json`` JSON-able values. Use as a context
    manager, or call :meth:`close`.
    """

    def __init__(self, cache_dir: str | Path, namespace: str):
        if not namespace.isidentifier():
            raise ValueError(f"espace de cache invalide : {namespace!r}")
        self.path = Path(cache_dir) / CACHE_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.namespace = namespace
        self.db = sqlite3.connect(self.path, timeout=60)
        self.db.execute(f"CREATE TABLE IF NOT EXISTS {namespace} (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
        self.db.commit()

    def __enter__(self) -> DiskCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def get(self, keys: Sequence[str]) -> dict[str, bytes]:
        """Values of the ``keys`` present (absent keys are absent from the result)."""
        found: dict[str, bytes] = {}
        for i in range(0, len(keys), _CHUNK):
            chunk = list(keys[i : i + _CHUNK])
            rows = self.db.execute(
                f"SELECT key, value FROM {self.namespace} WHERE key IN ({','.join('?' * len(chunk))})", chunk
            )
            found.update((k, bytes(v) if not isinstance(v, str) else v.encode("utf-8")) for k, v in rows)
        return found

    def present(self, keys: Sequence[str]) -> set[str]:
        """The ``keys`` that have a value (nothing is read or decoded)."""
        found: set[str] = set()
        for i in range(0, len(keys), _CHUNK):
            chunk = list(keys[i : i + _CHUNK])
            rows = self.db.execute(
                f"SELECT key FROM {self.namespace} WHERE key IN ({','.join('?' * len(chunk))})", chunk
            )
            found.update(k for (k,) in rows)
        return found

    def put(self, items: Iterable[tuple[str, bytes]]) -> None:
        """Store ``(key, value)`` pairs (replacing older values)."""
        self.db.executemany(f"INSERT OR REPLACE INTO {self.namespace} (key, value) VALUES (?, ?)", list(items))
        self.db.commit()

    def get_json(self, keys: Sequence[str]) -> dict[str, Any]:
        """Values stored by :meth:`put_json`; a value that does not decode is left out (recomputed)."""
        out: dict[str, Any] = {}
        for key, value in self.get(keys).items():
            try:
                out[key] = json.loads(value)
            except ValueError:
                continue
        return out

    def put_json(self, items: Iterable[tuple[str, Any]]) -> None:
        """Store JSON-able values (compact, keys sorted: the same value gives the same bytes)."""
        self.put((k, json.dumps(v, separators=(",", ":"), sort_keys=True).encode("utf-8")) for k, v in items)

    def next_id(self) -> int:
        """A new integer, one more than the largest integer key of the namespace (batch numbers)."""
        row = self.db.execute(f"SELECT MAX(CAST(key AS INTEGER)) FROM {self.namespace}").fetchone()
        return int(row[0] or 0) + 1

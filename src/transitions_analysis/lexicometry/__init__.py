"""Lexicometry: explore a French corpus as Iramuteq, TXM or rainette do, before and beside coding.

- :mod:`.lemmas`: :func:`lemmatise` (spaCy), :func:`document_term_matrix`, :func:`lexical_table`;
- :mod:`.specificities`: Lafon's hypergeometric specificities of lemmas by any attribute
  (:func:`specificities`, :func:`specificities_by`, :func:`top_specificities`);
- :mod:`.chd`: Reinert's descending hierarchical classification of segments
  (:func:`reinert_classes`, :func:`double_classification`, :func:`reinert_double`,
  :func:`group_segments`), class description (:func:`characteristic_lemmas`,
  :func:`typical_segments`) and crossing with attributes (:func:`crosstab_classes`);
- :mod:`.ca`: :func:`correspondence_analysis` of a contingency table;
- :mod:`.kwic`: :func:`concordance` (keyword in context), filterable by attribute.

The figures are in :mod:`transitions_analysis.plots.lexicometry` (house style).

Method choices and references are in each module's docstring. Every function takes and returns
numpy/scipy/pandas objects; nothing is printed (``logging`` only); results are deterministic.
"""

from .ca import CAResult, correspondence_analysis
from .chd import (
    CrossTab,
    DoubleResult,
    ReinertResult,
    Split,
    characteristic_lemmas,
    crosstab_classes,
    double_classification,
    group_segments,
    reinert_classes,
    reinert_double,
    typical_segments,
)
from .kwic import concordance
from .lemmas import DEFAULT_POS, DocumentTermMatrix, document_term_matrix, lemmas_of_segments, lemmatise, lexical_table
from .specificities import specificities, specificities_by, specificity_scores, top_specificities

__all__ = [
    "DEFAULT_POS",
    "CAResult",
    "CrossTab",
    "DocumentTermMatrix",
    "DoubleResult",
    "ReinertResult",
    "Split",
    "characteristic_lemmas",
    "concordance",
    "correspondence_analysis",
    "crosstab_classes",
    "document_term_matrix",
    "double_classification",
    "group_segments",
    "lemmas_of_segments",
    "lemmatise",
    "lexical_table",
    "reinert_classes",
    "reinert_double",
    "specificities",
    "specificities_by",
    "specificity_scores",
    "top_specificities",
    "typical_segments",
]

"""Agreement stage: how reliable is the thematic coding?

- :mod:`.io` - codings from a CSV/XLSX, a ``codings.csv`` of ``code`` or a ``.qdpx``, in one
  layout (``unit, coder, code``; an empty code = unit seen, no code);
- :mod:`.statistics` - percent agreement, Krippendorff's alpha with a bootstrap interval,
  Fleiss' and Cohen's kappas, per code and overall;
- :mod:`.adjudication` - disagreements to adjudicate, the human reference, the machine against it;
- :mod:`.datasets` - public multi-coder data (the AN 2016 crowd coding).
"""

from .adjudication import (
    ADJUDICATION_CODER,
    CONSENSUS_CODER,
    compare_machine,
    disagreements,
    read_adjudication,
    reference_codings,
    write_disagreements_xlsx,
)
from .io import UNIT_COLUMNS, detect_unit, read_codings, texts_beside
from .statistics import ALL_CODES, ALPHA_THRESHOLDS, JSON_KEYS, TABLE_COLUMNS, agreement_table, format_table, table_to_json

__all__ = [
    "ADJUDICATION_CODER",
    "ALL_CODES",
    "ALPHA_THRESHOLDS",
    "CONSENSUS_CODER",
    "JSON_KEYS",
    "TABLE_COLUMNS",
    "UNIT_COLUMNS",
    "agreement_table",
    "compare_machine",
    "detect_unit",
    "disagreements",
    "format_table",
    "read_adjudication",
    "read_codings",
    "reference_codings",
    "table_to_json",
    "texts_beside",
    "write_disagreements_xlsx",
]

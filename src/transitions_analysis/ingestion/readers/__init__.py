"""One reader per raw format: CSV, XLSX, Framaforms/Webform exports, transcripts, video chats.

Each reader returns a :class:`SourceRead`: a list of *answers* (plain dicts, one per input answer,
including empty ones, so that nothing is lost) and what was detected (encoding, delimiter, sheet).
An answer dict holds: ``source_row``, ``column`` (source column, "" for text files), ``session``,
``territory``, ``respondent_key`` (never output), ``role_raw``, ``question_id``, ``question``,
``text``, ``_names`` (names known from the source, for the anonymiser), ``_qorder`` (question order
in the file), ``response_id`` (only when the file carries one) and ``reject`` (``None`` or a
``(reason, detail)`` pair decided by the reader: facilitator turn, private message...).
Emptiness, duplicates, roles and ids are decided later, in :mod:`transitions_analysis.ingestion`.

- :mod:`.common` - :class:`SourceRead`, cell and header cleaning, decoding;
- :mod:`.dates` - session dates; :mod:`.mapping` - the ``NAME.mapping.yaml`` files;
- :mod:`.tables` - CSV/TSV/XLSX and form exports; :mod:`.transcripts` - transcripts and chats.
"""

from .common import (
    SUPPORTED_SUFFIXES,
    TABLE_SUFFIXES,
    TEXT_SUFFIXES,
    SourceRead,
    clean_text,
    decode_bytes,
    name_variants,
    slug_question,
)
from .dates import DATE_FORMATS_HELP, parse_session, session_from_file_name
from .mapping import MAPPING_SUFFIX, Mapping, load_mapping, mapping_path_for
from .tables import RawTable, answers_from_table, detect_delimiter, read_csv_table, read_table_file, read_xlsx_table
from .transcripts import read_text_file, split_speaker

__all__ = [
    "DATE_FORMATS_HELP",
    "MAPPING_SUFFIX",
    "SUPPORTED_SUFFIXES",
    "TABLE_SUFFIXES",
    "TEXT_SUFFIXES",
    "Mapping",
    "RawTable",
    "SourceRead",
    "answers_from_table",
    "clean_text",
    "decode_bytes",
    "detect_delimiter",
    "load_mapping",
    "mapping_path_for",
    "name_variants",
    "parse_session",
    "read_csv_table",
    "read_table_file",
    "read_text_file",
    "read_xlsx_table",
    "session_from_file_name",
    "slug_question",
    "split_speaker",
]

"""``synthese.xlsx``: every table on a sheet named by its French title, as a researcher reads it,
byte-identical for the same tables.

- the table of :func:`.spreadsheet.spreadsheet_view`: French headers, all distinct, Cohen's kappa
  one column per pair of coders, ``oui``/``non``;
- header row bold, grey, frozen, with a filter; cells aligned at the top;
- number formats: shares as percentages (``0,0 %``), p-values with 3 decimals (``< 0,001`` below),
  the decimals of :data:`~transitions_analysis.core.labels.DECIMAL_COLUMNS`, integers with a
  thousands separator; the spreadsheet shows them in its own language (French: decimal comma);
- long text columns (quotes, notes, questions) 60 characters wide, wrapped, each row as high as
  its longest wrapped text needs (spreadsheets do not compute it when they open a file);
- every text is stored as text: a cell starting with ``=`` is never a formula;
- printed in landscape, the header row repeated on every page, one page wide when that keeps
  the text readable (sheets at most :data:`FIT_WIDTH_MAX` characters wide).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.io import make_xlsx_deterministic, refuse_raw
from ..core.labels import DECIMAL_COLUMNS, PERCENT_COLUMNS
from .spreadsheet import spreadsheet_view

MAX_WIDTH = 60
PERCENT_FORMAT = "0.0 %"
P_VALUE_FORMAT = '[<0.001]"< 0,001";0.000'
INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "0.00"
HEADER_FILL = "E8E8E8"
LINE_HEIGHT = 15.0  # points, one line of the default font (Calibri 11)
CHARS_PER_WIDTH = 1.1  # characters of French text per unit of column width (Calibri 11)
FIT_WIDTH_MAX = 200  # wider sheets are printed on several pages rather than shrunk unreadable


def _lines(value: object, width: int) -> int:
    """Lines a wrapped text takes in a column ``width`` characters wide. A width counts digits of
    the default font; text averages a little narrower (about 1.1 characters per unit in Calibri)."""
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(1, int(width * CHARS_PER_WIDTH))
    return sum(max(1, len(textwrap.wrap(part, per_line))) for part in value.split("\n"))


def _number_format(source: str, values: pd.Series) -> str | None:
    if source in PERCENT_COLUMNS:
        return PERCENT_FORMAT
    if source == "p_value":
        return P_VALUE_FORMAT
    if source in DECIMAL_COLUMNS:
        digits = DECIMAL_COLUMNS[source]
        return "0." + "0" * digits if digits else "0"
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return None
    if pd.api.types.is_integer_dtype(values):
        return INTEGER_FORMAT
    return DECIMAL_FORMAT


def _cell_value(value: object) -> object:
    """A value openpyxl writes as it is: None for missing, Python numbers, text without the
    control characters XML forbids."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


def _width(header: str, values: pd.Series) -> tuple[int, bool]:
    """Column width (characters) and whether its text wraps. Numbers: 10 (formatted, they are
    short). Text: its longest value, at most :data:`MAX_WIDTH`; a longer one wraps. A header wider
    than that wraps on two or three lines rather than widening the column much."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return max(10, min(len(header) + 2, 14)), False
    lengths = [len(str(v)) for v in values.tolist() if _cell_value(v) is not None]
    longest = max(lengths, default=0)
    wrap = longest > MAX_WIDTH
    width = MAX_WIDTH if wrap else max(10, longest + 2)
    return max(width, min(len(header) + 2, 24)), wrap


def write_xlsx(tables: Mapping[str, pd.DataFrame], path: str | Path, *, titles: Mapping[str, str]) -> Path:
    """One sheet per table, named by its French title (<= 31 characters); see the module docstring."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    path = refuse_raw(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    bold = Font(name="Calibri", size=11, bold=True)  # the workbook's default font, in bold
    fill = PatternFill("solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    top, top_wrap = Alignment(vertical="top"), Alignment(vertical="top", wrap_text=True)
    used: set[str] = set()
    for stem, df in tables.items():
        view, sources = spreadsheet_view(df)
        sheet = book.create_sheet(_sheet_name(titles.get(stem, stem), used))
        lines = [1] * (len(view) + 2)  # lines of each row (1-based; row 1 = header)
        total_width = 0
        for j, (header, source) in enumerate(zip(view.columns, sources), start=1):
            values = view[header]
            cell = sheet.cell(row=1, column=j, value=header)
            cell.data_type = "s"
            cell.font, cell.fill, cell.alignment = bold, fill, top_wrap
            number_format = _number_format(source, values)
            width, wrap = _width(header, values)
            lines[1] = max(lines[1], _lines(header, width))
            for i, value in enumerate(values.tolist(), start=2):
                cell = sheet.cell(row=i, column=j, value=_cell_value(value))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl would write « =... » as a live formula
                elif number_format and cell.value is not None:
                    cell.number_format = number_format
                cell.alignment = top_wrap if wrap else top
                if wrap:
                    lines[i] = max(lines[i], _lines(cell.value, width))
            sheet.column_dimensions[get_column_letter(j)].width = width
            total_width += width
        for i in range(1, len(view) + 2):
            if lines[i] > 1:
                sheet.row_dimensions[i].height = LINE_HEIGHT * lines[i]
        sheet.freeze_panes = "A2"
        if len(view.columns):
            sheet.auto_filter.ref = sheet.dimensions
        sheet.print_title_rows = "1:1"
        sheet.page_setup.orientation = "landscape"
        if total_width <= FIT_WIDTH_MAX:
            sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
            sheet.sheet_properties.pageSetUpPr.fitToPage = True
    book.save(path)
    make_xlsx_deterministic(path)
    return path


def _sheet_name(title: str, used: set[str]) -> str:
    name = "".join(ch for ch in title if ch not in '[]:*?/\\')[:31]
    base, i = name, 2
    while name in used:
        suffix = f" ({i})"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(name)
    return name

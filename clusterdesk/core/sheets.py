"""Shared helpers for the .xlsx documents (附件2, 附件4): what openpyxl leaves to the reader.

openpyxl cannot measure text, and neither Excel nor LibreOffice re-measures a row written without
a height, so a wrapped cell's second line would be hidden under the next row. ``fit_rows`` sets
each data row's height from the longest wrapped cell, counting a CJK character as two columns.
"""

import math
import unicodedata

from openpyxl.utils import get_column_letter

LINE_POINTS = 14.5  # one line of 9-10 pt text with its leading
PADDING_POINTS = 4


def display_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet cell: wide (CJK, full-width) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def lines_needed(text: str, column_width: float) -> int:
    usable = max(column_width - 1, 1)  # the cell's inner margins
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in str(text).split("\n"))


def fit_rows(ws, first_row: int, last_row: int, *, minimum: float = 18) -> None:
    """Give each row of ``first_row``..``last_row`` the height its longest wrapped cell needs."""
    widths = {}
    for r in range(first_row, last_row + 1):
        lines = 1
        for cell in ws[r]:
            if cell.value is None or not (cell.alignment and cell.alignment.wrap_text):
                continue
            letter = get_column_letter(cell.column)
            if letter not in widths:
                widths[letter] = ws.column_dimensions[letter].width or 8.43
            lines = max(lines, lines_needed(cell.value, widths[letter]))
        ws.row_dimensions[r].height = max(minimum, lines * LINE_POINTS + PADDING_POINTS)

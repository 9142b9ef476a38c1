"""CSV cells a spreadsheet shows as text, shared by every export (tickets, manager stats)."""

from __future__ import annotations

# A cell starting with one of these is read as a formula by Excel, LibreOffice or Sheets; a tab or carriage
# return is stripped by some of them first, which would bring the next character to the front.
FORMULA_STARTS = "=+-@\t\r"


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ (or a tab or CR that some strip first)
    would be read as a formula (SECURITY case 16), so it gets a leading apostrophe. Figures the server computed
    go through ``csv_number`` instead: a negative NPS is a number, not a formula someone typed."""
    text = "" if value is None else str(value)
    if text and text[0] in FORMULA_STARTS:
        return "'" + text
    return text


def csv_number(value: float | None) -> str:
    """A figure we computed (never text someone typed): unlocalised, empty when there is none."""
    if value is None:
        return ""
    if isinstance(value, bool):  # bool is an int: never meant as a figure here
        raise TypeError("a figure, not a flag")
    return repr(value) if isinstance(value, float) else str(int(value))

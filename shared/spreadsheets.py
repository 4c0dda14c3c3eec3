"""Cells a spreadsheet would run as a formula (CSV injection), made inert.

OWASP's guidance: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
evaluated by Excel, LibreOffice and Google Sheets (`=cmd|' /C calc'!A0`, `@SUM(...)`). Such a
cell gets a leading `'`, which every spreadsheet shows as text. Applied to free text when it is
stored (so nothing stored can become a formula in any later export) and to every cell written
to a CSV file faio hands out.
"""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(cell: str) -> str:
    """`cell`, made inert if a spreadsheet would read it as a formula."""
    return f"'{cell}" if cell.startswith(FORMULA_TRIGGERS) else cell

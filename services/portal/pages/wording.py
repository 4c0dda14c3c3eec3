"""Texts other services wrote, as an officer reads them in the portal: people by name rather than
by id, and no command line where the portal has a button (the `readable` template filter)."""

import re
from typing import Any

# "(`faio plan buy-in survey p-1 pre` makes the link)" or "(`faio audit`)": the whole aside goes;
# a bare `faio ...` elsewhere becomes "the portal".
COMMAND_ASIDE = re.compile(r"\s*\([^()]*`faio [^`]*`[^()]*\)")
COMMAND = re.compile(r"`faio [^`]*`")
# "appointment_scheduling (5e391d89-1785-...)": an id for the CLI beside the name the officer reads.
ID_ASIDE = re.compile(r"\s*\([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\)")


def without_commands(value: Any) -> Any:
    """Every text a page prints (the templates' finalize hook): other services' advice names faio
    commands and ids for the CLI's users; the officer has the portal's buttons and names instead."""
    if type(value) is not str:  # plain text only: markup is the portal's own
        return value
    if "`faio " in value:
        value = COMMAND.sub("the portal", COMMAND_ASIDE.sub("", value))
    return ID_ASIDE.sub("", value) if "-" in value and "(" in value else value


def readable(text: Any, officer: Any = None) -> str:
    """`text` with the signed-in officer's id as their name and faio commands taken out."""
    said = "" if text is None else str(text)
    officer_id = getattr(officer, "officer_id", "")
    if officer_id:
        said = said.replace(officer_id, getattr(officer, "officer_name", "") or "you")
    return str(without_commands(said))

"""Names people type (a clinic, a practice, a contact, an officer, a partner): one line of visible text.

A name travels into mail headers, terminals, PDFs and pages. A line break in it can add a mail
header, an ESC can drive the officer's terminal, a bidi override can make "gpj.exe" read as
"exe.jpg". So the edge refuses them: a field typed `Name` answers 422 naming the field and the
character, and the person retypes it (refusing, not silently stripping: what is stored is what
they typed). `strip_control_characters` is for output built from names stored before the rule
(a mail subject, a line printed in a terminal).

    class ClinicCreate(BaseModel):
        name: Name = Field(min_length=1, max_length=200)
"""

import re
from typing import Annotated

from pydantic import AfterValidator

# C0 controls (NUL, TAB, LF, CR, ESC, ...), DEL, C1 controls (0x80-0x9F: NEL, CSI, ...), the line and
# paragraph separators, and the bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069).
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def refuse_control_characters(value: str) -> str:
    """The value unchanged, or ValueError naming the first control character and where it is."""
    found = CONTROL_CHARACTERS.search(value)
    if found is None:
        return value
    raise ValueError(
        f"contains a control character (U+{ord(found.group()):04X}) at position {found.start() + 1}: "
        "a name is one line of visible text; retype it without line breaks, tabs or hidden characters"
    )


def strip_control_characters(value: str) -> str:
    """The value on one line, each control character a space (for output built from a stored name)."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", value).split())


Name = Annotated[str, AfterValidator(refuse_control_characters)]

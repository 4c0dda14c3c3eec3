"""The one rule for pseudonymous staff ids, wherever a person at a clinic is named.

faio never stores who a person is: staff are named by a role plus a number (`ma-12`, `dr-7f3a`,
`frontdesk-3`) or by an opaque id their own system gives them (a UUID, `u-81f2c9`). Guards on
field names cannot see a name typed into an id field ("Jane.Doe", "Jane Doe, MD", "Maria Lopez"),
so this rule checks the value. Every place that takes a staff id, an initiative owner or a pilot
group member calls it: `StaffPseudonym` in a pydantic model, `pseudonym_problem` elsewhere (CSV).

A digit does not make a value an id: an NPI (10 digits), a phone number, an email address and a
name with a number (`jane.doe.2`, `MariaLopez1`) all name a person, and are refused by shape.
"""

import hashlib
import hmac
import re
import uuid
from collections.abc import Iterable
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, Field

MAX_LENGTH = 64
PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"  # a letter or digit first: "-2+3" is a formula
EXAMPLES = "a role plus a number (ma-12, dr-7f3a, frontdesk-3) or an opaque id"
# What the kpi side has always answered for a refused partner staff id.
# Every refusal of a name-like value says this (and never repeats the value, which may be a name).
NEVER_A_NAME = "never a name"
STAFF_ID_REASON = (
    f"must be a pseudonymous staff id ({EXAMPLES}: 1-64 letters, digits, _ . : -), {NEVER_A_NAME}, "
    "an NPI, a phone number or an email address"
)

_ALLOWED = re.compile(PATTERN)
_SEPARATORS = re.compile(r"[_.:\-]")
_WORD = re.compile(r"^[A-Za-z]{2,}$")
_TWO_CAPITALISED_WORDS = re.compile(r"[A-Z][a-z]+[A-Z][a-z]+")
# Digits joined by a separator or two, as numbers are written: 555-123-4567, (555) 123 4567, 123.456.7893.
_DIGIT_RUN = re.compile(r"\d(?:[\s().\-_:/]{0,2}\d)*")
_ONLY_A_NUMBER = re.compile(r"^[+(]*\d[\d\s().\-_:/]*$")
NPI_DIGITS = 10
PHONE_DIGITS = range(7, 16)  # E.164 allows 15; a local number without its area code has 7
# Alphabetic words, then perhaps a number: jane.doe.2, MariaLopez1, maria_lopez (not dr-7f3a: 7f3a is hex).
_WORDS_THEN_NUMBER = re.compile(r"^([A-Za-z]+(?:[_.:\-][A-Za-z]+)*)[_.:\-]?\d*$")
_CAMEL_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+")
# Words a role id is made of (fd-lead-1, front-desk-2, billing-lead-1): two of these are a role, not a name.
_ROLE_WORDS = """
    admin assistant back billing biller call care center chief clinic clinician coder coding coord
    coordinator day desk dentist do doc doctor dr emp employee ext fd float front frontdesk group head
    hygienist id intake intern it junior lab lead lpn ma manager md medical member mgr night np nurse
    office officer ops owner pa partner pharm pharmacist phone physician pilot pm practice provider pt
    receptionist reception referral resident rn scheduler scheduling scribe senior shift staff student
    team tech technician temp therapist triage user usr vendor
"""
ROLE_WORDS = frozenset(_ROLE_WORDS.split())


class NotAPseudonym(ValueError):
    """A refused staff id; `may_be_a_name` says the value looked like a person's name.

    Whoever keeps a record refused this way (a dead letter) drops the value when the flag is set.
    """

    def __init__(self, reason: str, *, may_be_a_name: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.may_be_a_name = may_be_a_name


def pseudonym_problem(value: str) -> str | None:
    """Why `value` is not a pseudonymous staff id, in words an officer can act on; None if it is one."""
    refusal = pseudonym_refusal(value)
    return None if refusal is None else refusal.reason


def pseudonym_refusal(value: str) -> NotAPseudonym | None:
    """The refusal of `value` (its reason, and whether it may name a person); None if it is an id."""
    if problem := _length_problem(value):
        return problem
    if _ALLOWED.match(value) and (_is_uuid(value) or is_issued(value)):
        return None  # a UUID's (or faio's hex) groups may hold ten digits in a row: still opaque
    return _identifier_problem(value) or _character_problem(value) or _name_problem(value)


def _length_problem(value: str) -> NotAPseudonym | None:
    if not value:
        return NotAPseudonym(f"is empty: give {EXAMPLES}", may_be_a_name=False)
    if len(value) > MAX_LENGTH:
        return NotAPseudonym(
            f"is {len(value)} characters long: at most {MAX_LENGTH}; give {EXAMPLES}", may_be_a_name=False
        )
    return None


def _identifier_problem(value: str) -> NotAPseudonym | None:
    """An email address, an NPI or a phone number: each names one person as surely as a name does."""
    if "@" in value:
        return _refused(f"looks like an email address: use {EXAMPLES}, {NEVER_A_NAME} or an address")
    runs = [re.sub(r"\D", "", run) for run in _DIGIT_RUN.findall(value)]
    only_a_number = bool(_ONLY_A_NUMBER.match(value))
    # A value that is only a number is judged on all its digits; an id with a number in it on its
    # longest run, so staff-101 passes and dr-5551234567 does not.
    digits = "".join(runs) if only_a_number else max(runs, key=len, default="")
    if len(digits) == NPI_DIGITS:
        what = "is an NPI" if _is_npi(digits) else "has 10 digits, as an NPI or a phone number does"
        return _refused(f"{what}: use {EXAMPLES}, {NEVER_A_NAME} or a number that names a person")
    if len(digits) in PHONE_DIGITS and (only_a_number or len(digits) > NPI_DIGITS):
        return _refused(
            f"looks like a phone number (7 to 15 digits): use {EXAMPLES}, {NEVER_A_NAME} or a phone number"
        )
    return None


def _character_problem(value: str) -> NotAPseudonym | None:
    if not _ALLOWED.match(value):
        return _refused(
            f"has spaces or punctuation, as a person's name does: use {EXAMPLES} "
            f"(only letters, digits, _ . : -), {NEVER_A_NAME}"
        )
    return None


def _name_problem(value: str) -> NotAPseudonym | None:
    if any(character.isdigit() for character in value):
        # A number makes a role an id (staff-lead-7), not a name one (jane.doe.2, MariaLopez1).
        if _name_with_number(value):
            return _refused(f"looks like a person's name with a number added: use {EXAMPLES}, {NEVER_A_NAME}")
        return None
    words = [part for part in _SEPARATORS.split(value) if _WORD.match(part)]
    if len(words) >= 2 or _TWO_CAPITALISED_WORDS.search(value):
        reason = f"looks like a person's name (two words, no number): use {EXAMPLES}, {NEVER_A_NAME}"
    else:
        reason = f"has no number, so it may be a name: use {EXAMPLES}, {NEVER_A_NAME}"
    return _refused(reason)


def _name_with_number(value: str) -> bool:
    """Two or more words before the number, one of them (2+ letters) not a role's."""
    shape = _WORDS_THEN_NUMBER.match(value)
    if shape is None:
        return False
    words = [word for part in _SEPARATORS.split(shape.group(1)) for word in _CAMEL_WORD.findall(part)]
    return len(words) >= 2 and any(len(word) >= 2 and word.lower() not in ROLE_WORDS for word in words)


def _is_npi(digits: str) -> bool:
    """The NPI check digit: Luhn over the number with the 80840 prefix (the NPI standard's own rule)."""
    if len(digits) != NPI_DIGITS or not digits.isdigit():
        return False
    total = 0
    for position, digit in enumerate(reversed("80840" + digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _refused(reason: str) -> NotAPseudonym:
    # may_be_a_name: the value may name a person, so a dead letter drops it (shared.broker).
    return NotAPseudonym(reason, may_be_a_name=True)


def check_pseudonym(value: str) -> str:
    """`value` if it is a pseudonymous staff id; NotAPseudonym (a ValueError) with the reason otherwise."""
    refusal = pseudonym_refusal(value)
    if refusal is not None:
        raise refusal
    return value


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# A pydantic field holding a pseudonymous staff id; the pattern also tells generated clients the shape.
StaffPseudonym = Annotated[
    str,
    Field(min_length=1, max_length=MAX_LENGTH, json_schema_extra={"pattern": PATTERN}),
    AfterValidator(check_pseudonym),
]


# Keyed pseudonyms. A partner's own staff id (an EHR user id, "u-81f2c9") is looked up in the
# partner's system in a second, so faio keeps HMAC-SHA256(key of the clinic, id) instead, cut to 80
# bits and prefixed: "fp-3f9a0c...". The key is derived per clinic from one deployment secret
# (FAIO_PSEUDONYM_SECRET, shared by every service), so the pilot group the officer names at approval
# (roadmap) and the partner's events (kpi) meet on the same pseudonym, while the same person at two
# clinics, or a leaked table, cannot be joined without the secret. Mapping a pseudonym again returns
# it unchanged, so an id that crossed one edge (an HTTP batch, then Kafka) is not mapped twice.
ISSUED_PREFIX = "fp-"
_ISSUED_HEX = 20  # 80 bits: a clinic's few hundred staff never collide
_ISSUED = re.compile(rf"^{ISSUED_PREFIX}[0-9a-f]{{{_ISSUED_HEX}}}$")
_KEY_CONTEXT = b"faio staff pseudonym v1|"


class PseudonymKeyMissing(ValueError):
    """No deployment secret to derive a clinic's key from: nothing may be stored without it."""


def is_issued(value: str) -> bool:
    """Whether `value` is a pseudonym faio issued (fp- and 20 hex digits)."""
    return _ISSUED.match(value) is not None


@lru_cache(maxsize=4096)
def key_for(secret: str, clinic_id: uuid.UUID) -> bytes:
    """The clinic's own key: HMAC-SHA256(deployment secret, context | clinic id)."""
    if not secret:
        raise PseudonymKeyMissing("FAIO_PSEUDONYM_SECRET is empty: staff ids cannot be pseudonymised")
    return hmac.new(secret.encode(), _KEY_CONTEXT + clinic_id.bytes, hashlib.sha256).digest()


def pseudonym_for(raw: str, *, clinic_id: uuid.UUID, secret: str) -> str:
    """The pseudonym faio keeps for staff id `raw` at `clinic_id` (the same for the same inputs)."""
    if is_issued(raw):
        return raw
    digest = hmac.new(key_for(secret, clinic_id), raw.encode(), hashlib.sha256).hexdigest()
    return ISSUED_PREFIX + digest[:_ISSUED_HEX]


def pseudonyms_for(raws: Iterable[str], *, clinic_id: uuid.UUID, secret: str) -> list[str]:
    """Each of `raws` mapped (order kept, duplicates dropped)."""
    return list(dict.fromkeys(pseudonym_for(raw, clinic_id=clinic_id, secret=secret) for raw in raws))

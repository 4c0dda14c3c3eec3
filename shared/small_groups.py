"""The smallest group whose figures faio shows per person: below it, a per-clinician figure is a person's.

At a one-physician practice "1 of 1 clinicians stopped" or a pilot group of one's change is one named
person's performance. Alerts, the gate's evidence and reports therefore judge and show per-clinician
figures only for groups of at least MIN_GROUP clinicians, and say so instead.
"""

MIN_GROUP = 3
NOT_SHOWN_PER_PERSON = f"fewer than {MIN_GROUP} clinicians: not shown per person"


def shown_per_person(clinicians: int) -> bool:
    """Whether a group of `clinicians` is large enough for its per-clinician figures to be shown."""
    return clinicians >= MIN_GROUP

"""How numbers read on every page, mail and report: money with cents when it has them ("$0.50",
"$1,250"), and a count with its noun agreeing ("1 clinic", "2 clinics"; never "clinic(s)")."""


def money(amount: float | None, *, cents: bool | None = None) -> str:
    """US dollars: "$0.50", "$12.25", "$1,250" (whole amounts of $100 and more without cents)."""
    if amount is None:
        return "—"
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if cents is None:
        cents = amount < 100 and round(amount, 2) != round(amount)
    return f"{sign}${amount:,.2f}" if cents else f"{sign}${amount:,.0f}"


def plural(count: int | float, word: str, many: str | None = None) -> str:
    """ "1 clinic", "2 clinics", "0 items", "1.5 hours"."""
    shown = f"{count:g}" if isinstance(count, float) else str(count)
    return f"{shown} {word if count == 1 else (many or word + 's')}"

"""Alerts from the SLOs: python -m deploy.prometheus.slo_rules rewrites alerts.yml's SLO groups.

Multi-window, multi-burn-rate alerts (Google's SRE workbook, chapter 5). For each SLO of
slos.yaml: recording rules of its error ratio over 5m, 30m, 1h, 6h and 3d, then two alerts:
`<alert>FastBurn` pages when both windows of a pair burn faster than the pair's factor
(14.4x over 1h and 5m, 6x over 6h and 30m), `<alert>SlowBurn` opens a ticket at 1x over 3d and 6h.
A burn rate of 1 spends exactly the error budget (1 - objective) over the SLO's period.

alerts.yml keeps its hand-written rules (causes, tickets) above a marker line; everything below
it is this generator's, and tests/deploy/test_slo_alerts.py checks it is up to date.
"""

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
SLOS = HERE / "slos.yaml"
ALERTS = HERE / "alerts.yml"
MARKER = (
    "  # --- generated from slos.yaml by `python -m deploy.prometheus.slo_rules`: do not edit below ---\n"
)
MATCHER = re.compile(r'^([a-zA-Z_][a-zA-Z0-9_]*)(=|!=|=~|!~)"(.*)"$')


@dataclass(frozen=True)
class Window:
    long: str
    short: str
    factor: float
    severity: str


# The workbook's table: the share of a 30-day budget each pair catches (2 %, 5 %, 10 %).
PERIOD = "30d"
PAGE = (Window("1h", "5m", 14.4, "page"), Window("6h", "30m", 6.0, "page"))
TICKET = (Window("3d", "6h", 1.0, "ticket"),)
RANGES = ("5m", "30m", "1h", "6h", "3d")


@dataclass(frozen=True)
class Selector:
    metric: str
    matchers: tuple[str, ...]

    @classmethod
    def of(cls, spec: dict[str, Any]) -> "Selector":
        matchers = tuple(spec.get("matchers") or ())
        for matcher in matchers:
            if not MATCHER.match(matcher):
                raise ValueError(f'{spec["metric"]}: {matcher!r} is not label<op>"value"')
        return cls(spec["metric"], matchers)

    def rate(self, window: str) -> str:
        labels = "{" + ", ".join(self.matchers) + "}" if self.matchers else ""
        return f"sum(rate({self.metric}{labels}[{window}]))"


@dataclass(frozen=True)
class Slo:
    name: str
    alert: str
    objective: float
    description: str
    runbook: str
    total: Selector
    bad: Selector | None = None
    good: Selector | None = None

    @classmethod
    def of(cls, spec: dict[str, Any]) -> "Slo":
        if ("bad" in spec) == ("good" in spec):
            raise ValueError(f"{spec['name']}: give either bad or good events, with total")
        if not 0 < spec["objective"] < 1:
            raise ValueError(f"{spec['name']}: objective must be between 0 and 1")
        return cls(
            name=spec["name"],
            alert=spec["alert"],
            objective=spec["objective"],
            description=spec["description"],
            runbook=spec["runbook"],
            total=Selector.of(spec["total"]),
            bad=Selector.of(spec["bad"]) if "bad" in spec else None,
            good=Selector.of(spec["good"]) if "good" in spec else None,
        )

    @property
    def budget(self) -> float:
        return round(1 - self.objective, 10)

    def ratio(self, window: str) -> str:
        return f"slo:{self.name}:error_ratio_rate{window}"

    def error_ratio(self, window: str) -> str:
        if self.bad is not None:
            return f"{self.bad.rate(window)} / {self.total.rate(window)}"
        assert self.good is not None
        return f"1 - {self.good.rate(window)} / {self.total.rate(window)}"


def load(path: Path = SLOS) -> list[Slo]:
    document = yaml.safe_load(path.read_text())
    if document["period"] != PERIOD:
        raise ValueError(f"period: the burn rates here are the workbook's for {PERIOD}")
    return [Slo.of(spec) for spec in document["slos"]]


def threshold(slo: Slo, window: Window) -> str:
    return repr(round(window.factor * slo.budget, 10))


def alert(slo: Slo, windows: tuple[Window, ...], kind: str) -> dict[str, Any]:
    pairs = [
        f"({slo.ratio(w.long)} > {threshold(slo, w)} and {slo.ratio(w.short)} > {threshold(slo, w)})"
        for w in windows
    ]
    burns = " or ".join(f"{w.factor:g}x over {w.long} and {w.short}" for w in windows)
    return {
        "alert": f"{slo.alert}{kind}",
        "expr": "\nor ".join(pairs) + "\n",
        "labels": {"severity": windows[0].severity, "slo": slo.name},
        "annotations": {
            "summary": f"SLO {slo.name}: the error budget burns too fast ({burns})",
            "description": (
                f"Objective: {slo.objective:.2%} of {slo.description} over {PERIOD}. "
                f"The bad share of events: {slo.ratio('<window>')}."
            ),
            "runbook": slo.runbook,
        },
    }


def group(slo: Slo) -> dict[str, Any]:
    records = [{"record": slo.ratio(window), "expr": slo.error_ratio(window)} for window in RANGES]
    return {
        "name": f"slo:{slo.name}",
        "rules": [*records, alert(slo, PAGE, "FastBurn"), alert(slo, TICKET, "SlowBurn")],
    }


class _Dumper(yaml.SafeDumper):
    """Multi-line expressions as literal blocks, one condition a line, as a person writes them."""


_Dumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None
    ),
)


def generated(slos: list[Slo]) -> str:
    groups = yaml.dump([group(slo) for slo in slos], Dumper=_Dumper, sort_keys=False, width=1000)
    return "".join(f"  {line}\n" if line else "\n" for line in groups.splitlines())


def render(alerts_text: str, slos: list[Slo]) -> str:
    """alerts.yml with its generated part (from the marker on) replaced by the SLOs' groups."""
    hand_written = alerts_text.split(MARKER, 1)[0].rstrip("\n") + "\n\n"
    return hand_written + MARKER + generated(slos)


def main() -> None:
    ALERTS.write_text(render(ALERTS.read_text(), load()))
    sys.stdout.write(f"wrote {ALERTS}\n")


if __name__ == "__main__":
    main()

"""The SLO alerts, run by Prometheus's own rule engine (`promtool test rules`) on synthetic traffic.

For each SLO of deploy/prometheus/slos.yaml, counters are made to burn its error budget at a
chosen rate (1 = the budget spent exactly over the month) and the generated alerts must fire, or
stay quiet, as the SRE workbook's table says. promtool is Debian's `prometheus` package, which
`make setup` installs.
"""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.prometheus import slo_rules
from deploy.prometheus.slo_rules import Selector, Slo

SLOS = slo_rules.load()
ALERTS = yaml.safe_load(slo_rules.ALERTS.read_text())
PER_MINUTE = 1000  # events a minute, whatever the burn
SYNTHETIC = "/synthetic-page"  # a label value for a negative matcher: any page not excluded
HOUR = 60
DAY = 24 * HOUR


def parsed(matcher: str) -> tuple[str, str, str]:
    """label, operator, value of one matcher (`service="kpi"`)."""
    match = slo_rules.MATCHER.match(matcher)
    assert match, matcher
    name, op, value = match.groups()
    return name, op, value


def labels(selector: Selector, *, differing_from: Selector | None = None) -> str:
    """A label set `selector` matches; with `differing_from`, one that selector does not match."""
    values: dict[str, str] = {}
    for name, op, value in map(parsed, selector.matchers):
        if op == "=":
            values[name] = value
        else:
            assert op in ("!=", "!~") and not re.fullmatch(value, SYNTHETIC), (name, value)
            values[name] = SYNTHETIC
    for name, _, _ in map(parsed, differing_from.matchers if differing_from else ()):
        values.setdefault(name, "other")  # e.g. a 2xx where the bad events are 5xx
    return "{" + ", ".join(f'{name}="{value}"' for name, value in values.items()) + "}"


def counter(per_minute: list[tuple[float, int]]) -> str:
    """promtool's expanding notation for a counter rising at each (rate, minutes) in turn."""
    parts, start = [], 0.0
    for rate, minutes in per_minute:
        parts.append(f"{start:g}+{rate:g}x{minutes}")
        start += rate * minutes
    # Each segment starts by repeating the value reached: a minute without events between them.
    return " ".join(parts)


def series(slo: Slo, burns: list[tuple[float, int]]) -> list[dict[str, str]]:
    """Counters of `slo`'s events burning its budget at each (burn, minutes) in turn."""
    bad = [(PER_MINUTE * burn * slo.budget, minutes) for burn, minutes in burns]
    good = [(PER_MINUTE - rate, minutes) for rate, minutes in bad]
    total = [(float(PER_MINUTE), minutes) for _, minutes in burns]
    if slo.bad is not None:
        return [
            {"series": slo.bad.metric + labels(slo.bad), "values": counter(bad)},
            {"series": slo.total.metric + labels(slo.total, differing_from=slo.bad), "values": counter(good)},
        ]
    assert slo.good is not None
    return [
        {"series": slo.good.metric + labels(slo.good), "values": counter(good)},
        {"series": slo.total.metric + labels(slo.total), "values": counter(total)},
    ]


def expect(slo: Slo, kind: str, at: int, *, fires: bool) -> dict[str, Any]:
    """The alert `<alert><kind>` at minute `at`: firing with its rule's labels, or not at all."""
    name = f"{slo.alert}{kind}"
    (rule,) = [r for g in ALERTS["groups"] for r in g["rules"] if r.get("alert") == name]
    firing = [{"exp_labels": rule["labels"], "exp_annotations": rule["annotations"]}] if fires else []
    return {"eval_time": f"{at}m", "alertname": name, "exp_alerts": firing}


def case(slo: Slo, burns: list[tuple[float, int]], *expectations: dict[str, Any]) -> dict[str, Any]:
    return {"interval": "1m", "input_series": series(slo, burns), "alert_rule_test": list(expectations)}


def fast_cases(slo: Slo) -> list[dict[str, Any]]:
    """The pages, on a minute's resolution over hours."""
    return [
        # After a clean 6 h (so the 6 h pair stays under 6x), just over 14.4x: pages once a whole
        # hour burns at it, 2 % of the month's budget.
        case(
            slo,
            [(0, 6 * HOUR), (14.5, 70)],
            expect(slo, "FastBurn", 6 * HOUR + 50, fires=False),
            expect(slo, "FastBurn", 6 * HOUR + 65, fires=True),
        ),
        # 14.4x or more from the start: the first minutes page (no quiet history to dilute them).
        case(slo, [(14.5, 20)], expect(slo, "FastBurn", 10, fires=True)),
        # After a clean 6 h, 7x: under the hour's 14.4x, it pages once 6 h average over 6x.
        case(
            slo,
            [(0, 6 * HOUR), (7, 7 * HOUR)],
            expect(slo, "FastBurn", 7 * HOUR, fires=False),
            expect(slo, "FastBurn", 12 * HOUR, fires=True),
        ),
        # A short spike: the hour is still over 14.4x, but the last 5 minutes are clean: no page.
        case(
            slo,
            [(80, 10), (0, 50)],
            expect(slo, "FastBurn", 8, fires=True),
            expect(slo, "FastBurn", 50, fires=False),
        ),
        # 1x spends exactly the budget over the month: never a page.
        case(
            slo,
            [(1, 7 * HOUR)],
            expect(slo, "FastBurn", 10, fires=False),
            expect(slo, "FastBurn", 7 * HOUR, fires=False),
        ),
    ]


def slow_cases(slo: Slo) -> list[dict[str, Any]]:
    """The tickets, over three days at a 10-minute resolution (enough for 6 h and 3 d windows)."""
    return [
        # 1.5x for three days: a ticket, not a page; 0.9x: nothing.
        case(
            slo,
            [(1.5, 3 * DAY // 10 + 6)],
            expect(slo, "SlowBurn", 3 * DAY, fires=True),
            expect(slo, "FastBurn", 3 * DAY, fires=False),
        )
        | {"interval": "10m"},
        case(slo, [(0.9, 3 * DAY // 10 + 6)], expect(slo, "SlowBurn", 3 * DAY, fires=False))
        | {"interval": "10m"},
    ]


def promtool_test(slo: Slo, tests: list[dict[str, Any]], interval: str, folder: Path) -> None:
    """Run `tests` against the committed rules of this SLO alone."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: `make setup` installs Debian's prometheus package")
    (group,) = [g for g in ALERTS["groups"] if g["name"] == f"slo:{slo.name}"]
    rules = folder / "rules.yml"
    rules.write_text(yaml.safe_dump({"groups": [group]}, sort_keys=False))
    spec = folder / "test.yml"
    spec.write_text(
        yaml.safe_dump(
            {"rule_files": [str(rules)], "evaluation_interval": interval, "tests": tests}, sort_keys=False
        )
    )
    result = subprocess.run(
        [promtool, "test", "rules", str(spec)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("slo", SLOS, ids=lambda slo: slo.name)
def test_fast_burns_page_and_short_or_slow_ones_do_not(slo: Slo, tmp_path: Path) -> None:
    promtool_test(slo, fast_cases(slo), "1m", tmp_path)


@pytest.mark.parametrize("slo", SLOS, ids=lambda slo: slo.name)
def test_a_budget_spent_faster_than_it_refills_opens_a_ticket(slo: Slo, tmp_path: Path) -> None:
    promtool_test(slo, slow_cases(slo), "10m", tmp_path)


def test_the_committed_rules_are_what_the_slos_generate() -> None:
    committed = slo_rules.ALERTS.read_text()
    assert committed == slo_rules.render(committed, SLOS), "rerun `python -m deploy.prometheus.slo_rules`"


def test_every_page_comes_from_an_slo() -> None:
    pages = [
        (group["name"], rule["alert"])
        for group in ALERTS["groups"]
        for rule in group["rules"]
        if rule.get("labels", {}).get("severity") == "page"
    ]
    assert pages == [(f"slo:{slo.name}", f"{slo.alert}FastBurn") for slo in SLOS]


def test_each_slo_has_a_page_and_a_ticket_with_its_runbook() -> None:
    for slo in SLOS:
        (group,) = [g for g in ALERTS["groups"] if g["name"] == f"slo:{slo.name}"]
        alerts = {rule["alert"]: rule for rule in group["rules"] if "alert" in rule}
        assert {name: rule["labels"]["severity"] for name, rule in alerts.items()} == {
            f"{slo.alert}FastBurn": "page",
            f"{slo.alert}SlowBurn": "ticket",
        }
        assert all(rule["annotations"]["runbook"] == slo.runbook for rule in alerts.values())

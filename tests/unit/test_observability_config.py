"""The alert rules and the dashboard only name metrics that something actually exports, and
every alert links to a section of the runbook that exists."""

import re
from pathlib import Path

import faststream
import prometheus_fastapi_instrumentator
import pytest
import yaml

ROOT = Path(__file__).parents[2]
ALERTS = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
DASHBOARD = (ROOT / "deploy" / "grafana" / "dashboards" / "faio.json").read_text()
RUNBOOK = (ROOT / "docs" / "runbook.md").read_text()
METRIC = re.compile(r"\b((?:faio|http|faststream)_[a-z_]+)")
SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def expressions() -> list[str]:
    rules = [rule["expr"] for group in ALERTS["groups"] for rule in group["rules"]]
    return rules + re.findall(r'"expr": "((?:[^"\\]|\\.)*)"', DASHBOARD)


def base(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def source_of(package_file: str) -> str:
    return "\n".join(path.read_text() for path in Path(package_file).parent.rglob("*.py"))


SOURCES = {
    "faio": "\n".join(
        path.read_text() for folder in ("shared", "services") for path in (ROOT / folder).rglob("*.py")
    ),
    "http": source_of(prometheus_fastapi_instrumentator.__file__),
    "faststream": source_of(faststream.__file__),
}


@pytest.mark.parametrize(
    "name", sorted({base(name) for expr in expressions() for name in METRIC.findall(expr)})
)
def test_every_metric_an_alert_or_panel_uses_is_exported(name: str) -> None:
    prefix = name.split("_", 1)[0]
    if prefix == "faststream":
        # FastStream builds its names from a prefix: faststream_<rest>.
        assert f"_{name.removeprefix('faststream_')}" in SOURCES[prefix], name
    else:
        assert f'"{name}"' in SOURCES[prefix] or f'"{name}_total"' in SOURCES[prefix], name


def test_every_alert_links_to_a_runbook_section() -> None:
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^## (.+)$", RUNBOOK, flags=re.M)
    }
    for group in ALERTS["groups"]:
        for rule in group["rules"]:
            if "alert" not in rule:
                continue  # a recording rule (the SLOs' error ratios)
            link = rule["annotations"]["runbook"]
            assert link.split("#", 1)[1] in anchors, rule["alert"]

"""The KPI chart: a line with gaps where there was no data, baseline and target beside it."""

import xml.etree.ElementTree as ET

from services.kpi.charts import kpi_chart_svg
from services.kpi.models import KpiPoint, KpiSeries

SVG = "{http://www.w3.org/2000/svg}"


def series(values: list[float | None]) -> KpiSeries:
    return KpiSeries(
        name="missed_call_rate",
        title="Missed-call rate",
        unit="%",
        better="lower",
        baseline=20.0,
        target=10.0,
        points=[
            KpiPoint(period=f"2026-W{40 + week}", value=value, sample_size=0 if value is None else 12)
            for week, value in enumerate(values)
        ],
    )


def value_dots(svg: bytes) -> int:
    """How many points the KPI's own line (the first series) draws."""
    root = ET.fromstring(svg)
    return sum(
        1
        for group in root.iter(f"{SVG}g")
        if "series serie-0 " in group.get("class", "") + " "
        for circle in group.iter(f"{SVG}circle")
        if "dot" in circle.get("class", "")
    )


def test_weeks_without_data_are_gaps_not_zeros() -> None:
    svg = kpi_chart_svg(series([20.0, None, 15.0, 12.5]))
    assert value_dots(svg) == 3
    text = svg.decode()
    assert "Missed-call rate (%; lower is better)" in text
    assert "2026-W41" in text  # the empty week keeps its place on the axis


def test_baseline_and_target_are_drawn_and_named() -> None:
    text = kpi_chart_svg(series([18.0, 16.0])).decode()
    assert "baseline 20" in text
    assert "target 10" in text


def test_the_chart_fetches_nothing_from_the_internet() -> None:
    root = ET.fromstring(kpi_chart_svg(series([18.0])))
    assert all("src" not in script.attrib for script in root.iter(f"{SVG}script"))

"""Chart data the pages hand to uPlot, and the sparkline drawn on the server (plain SVG).

The funnel plot places each clinic's KPI change against its volume: the control limits narrow
as volume grows, so a small clinic's noisy week is not mistaken for failure.
"""

import math
from typing import Any

from services.portal.pages.portfolio import ClinicRow
from shared.kpi_measures import KPI_MEASURES

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 110, 28, 3
# Rates are judged as proportions; other KPIs with a coefficient of variation this large.
RATE_KPIS = frozenset(kpi for kpi, (measure, _) in KPI_MEASURES.items() if measure == "rate")
DURATION_CV = 0.6


def sparkline(
    points: list[tuple[str, float | None]], baseline: float | None, target: float | None
) -> dict[str, Any] | None:
    """Where to draw a sparkline's dots and its baseline and target lines (templates draw the SVG)."""
    values = [value for _week, value in points if value is not None]
    if not values:
        return None
    scale = [*values, *(v for v in (baseline, target) if v is not None)]
    low, high = min(scale), max(scale)
    span = (high - low) or 1.0
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / max(len(points) - 1, 1)

    def y(value: float) -> float:
        return round(SPARK_HEIGHT - SPARK_PAD - (value - low) / span * (SPARK_HEIGHT - 2 * SPARK_PAD), 1)

    dots = [
        {"x": round(SPARK_PAD + index * step, 1), "y": y(value), "week": week, "value": value}
        for index, (week, value) in enumerate(points)
        if value is not None
    ]
    return {
        "width": SPARK_WIDTH,
        "height": SPARK_HEIGHT,
        "dots": dots,
        "line": " ".join(f"{dot['x']},{dot['y']}" for dot in dots),
        "baseline": y(baseline) if baseline is not None else None,
        "target": y(target) if target is not None else None,
    }


def funnel(rows: list[ClinicRow]) -> dict[str, Any] | None:
    """The funnel plot of the most common primary KPI: change vs baseline (%) against volume."""
    measured = [row for row in rows if row.kpi and row.kpi.change_pct is not None and row.kpi.sample_size > 0]
    if not measured:
        return None
    counts: dict[str, int] = {}
    for row in measured:
        assert row.kpi is not None
        counts[row.kpi.name] = counts.get(row.kpi.name, 0) + 1
    kpi = max(counts, key=lambda name: (counts[name], name))
    chosen = sorted(
        (row for row in measured if row.kpi and row.kpi.name == kpi),
        key=lambda row: row.kpi.sample_size if row.kpi else 0,
    )
    baselines = [row.kpi.baseline for row in chosen if row.kpi and row.kpi.baseline]
    mean_baseline = sum(baselines) / len(baselines) if baselines else 1.0
    if kpi in RATE_KPIS and 0 < mean_baseline < 1:
        relative_sd = math.sqrt((1 - mean_baseline) / mean_baseline)  # of a proportion, relative to it
    else:
        relative_sd = DURATION_CV
    top = max(row.kpi.sample_size for row in chosen if row.kpi)
    grid = sorted(
        {max(1, round(top * share / 40)) for share in range(1, 41)}
        | {row.kpi.sample_size for row in chosen if row.kpi}
    )
    by_volume: dict[int, list[ClinicRow]] = {}
    for measured_row in chosen:
        assert measured_row.kpi is not None
        by_volume.setdefault(measured_row.kpi.sample_size, []).append(measured_row)
    xs, points, names, limits95, limits998 = [], [], [], [], []
    for volume in grid:
        at_volume: list[ClinicRow | None] = [*by_volume.get(volume, [])] or [None]
        for entry in at_volume:
            xs.append(volume)
            points.append(
                round(entry.kpi.change_pct, 1)
                if entry is not None and entry.kpi and entry.kpi.change_pct is not None
                else None
            )
            names.append(entry.name if entry is not None else "")
            limits95.append(round(1.96 * relative_sd / math.sqrt(volume) * 100, 1))
            limits998.append(round(3.09 * relative_sd / math.sqrt(volume) * 100, 1))
    return {
        "kind": "funnel",
        "kpi": kpi,
        "title": f"Funnel plot: {kpi.replace('_', ' ')}, change vs baseline (%) by weekly volume",
        "x": xs,
        "change": points,
        "names": names,
        "limit95": limits95,
        "limit998": limits998,
        "clinics": sum(1 for point in points if point is not None),
    }

"""The shared view of each KPI (roadmap, portal) agrees with kpi's definitions (kpis.yaml)."""

from typing import get_args

from services.kpi import kpis
from shared.events.kpi import KpiName
from shared.kpi_measures import KPI_MEASURES, LAG_WEEKS


def test_every_kpi_has_a_measure_and_a_direction_matching_its_definition() -> None:
    assert set(KPI_MEASURES) == set(get_args(KpiName))
    for definition in kpis.definitions():
        measure, better = KPI_MEASURES[definition.name]
        assert better == definition.better, definition.name
        if measure == "rate":
            assert definition.unit == "ratio", definition.name
        assert LAG_WEEKS.get(definition.name, 0) == definition.lag_weeks, definition.name
        if measure == "duration":
            assert definition.unit == "minutes" and definition.kind == "ratio", definition.name

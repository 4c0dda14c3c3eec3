"""The evidence library says what each study is, and targets are judged against designs, not 'trials'."""

from statistics import median
from typing import get_args

from services.roadmap.initiatives.evidence_library import (
    DESIGN_RANK,
    Design,
    PopulationBasis,
    Study,
    library,
    reference_effect,
    studies_for,
    target_flag,
)

DOCS = "documentation_minutes_per_note"


def by_id(key: str) -> Study:
    return next(study for study in library() if study.id == key)


def test_every_entry_carries_its_design_basis_size_setting_and_source() -> None:
    for study in library():
        assert study.design in get_args(Design) and study.population_basis in get_args(PopulationBasis)
        assert study.setting and study.source and study.journal and study.outcome and study.year >= 2013
        assert study.n is not None or study.n_note or study.role == "benchmark"
        if study.ci_low_pct is not None:
            assert study.effect_pct is not None and study.ci_high_pct is not None
            assert study.ci_low_pct <= study.effect_pct <= study.ci_high_pct
        # A vendor figure is context, never an effect.
        assert study.design != "vendor" or study.role == "benchmark"


def test_the_mislabels_are_fixed() -> None:
    providence = by_id("providence-2026")
    assert (providence.design, providence.population_basis, providence.n) == (
        "pre-post",
        "active users",
        1547,
    )
    assert "Dragon Copilot" in providence.products and "Abridge" not in providence.products
    nabla, dax = by_id("ucla-2025-nabla"), by_id("ucla-2025-dax")
    assert "three arms" in nabla.n_note and "usual care" in nabla.n_note
    assert (nabla.effect_pct, nabla.ci_low_pct, nabla.ci_high_pct) == (-9.5, -17.2, -1.8)
    assert (dax.effect_pct, dax.significant) == (-1.7, False)
    assert all(s.role == "benchmark" for s in library() if s.kpi == "missed_call_rate")


def test_the_missing_studies_are_in() -> None:
    assert (by_id("atrium-2024").design, by_id("atrium-2024").significant) == ("cohort", False)
    assert by_id("uchicago-2025").n == 125 + 478
    five = by_id("five-systems-2026")
    assert (five.design, five.n, five.effect_pct) == ("DiD", 8581, -10.0) and "after-hours" in five.outcome
    uw = by_id("uw-health-2025")
    assert uw.design == "P-RCT" and "-0.44" in uw.outcome and "30 min" in uw.outcome
    assert by_id("kaiser-tpmg-2025").n == 7260
    sms = by_id("sms-reminders-meta")
    # RR 0.77 (0.71-0.84) is a -23 % relative change (-29 % to -16 %).
    assert (sms.effect_pct, sms.ci_low_pct, sms.ci_high_pct) == (-23.0, -29.0, -16.0)


def test_the_target_flag_names_designs() -> None:
    flag = target_flag(kpi=DOCS, solution="AI scribe (ambient clinical documentation)", target_change_pct=-30)
    assert flag is not None and "trials found" not in flag
    assert flag.startswith(
        "-30 % documentation minutes per note: difference-in-differences study and pragmatic"
    )
    assert "found -1.7 % to -10.0 %" in flag and "intention-to-treat, n = 238" in flag
    between = target_flag(kpi=DOCS, solution="AI scribe", target_change_pct=-12)
    assert between is not None
    assert "only uncontrolled evidence reached it: Providence" in between and "active users" in between
    assert target_flag(kpi=DOCS, solution="AI scribe", target_change_pct=-10) is None
    assert target_flag(kpi="missed_call_rate", solution="AI phone answering", target_change_pct=-90) is None


def test_the_price_leans_on_the_strongest_design_of_the_chosen_product() -> None:
    nabla = reference_effect(kpi=DOCS, solution="AI scribe", product="Nabla ambient scribe")
    assert nabla is not None and nabla.effect_pct == -9.5
    # Microsoft: the UCLA DAX arm (P-RCT) outranks Providence's pre-post of active users (-14.1 %).
    microsoft = reference_effect(kpi=DOCS, solution="AI scribe", product="Microsoft Dragon Copilot (DAX)")
    assert microsoft is not None and microsoft.effect_pct == -1.7
    anyone = reference_effect(kpi=DOCS, solution="AI scribe")
    assert anyone is not None and anyone.effect_pct == round(median([-9.5, -1.7]), 2)
    assert reference_effect(kpi="missed_call_rate", solution="AI phone answering") is None
    ranks = [DESIGN_RANK[study.design] for study in studies_for(kpi=DOCS, solution="AI scribe")]
    assert ranks == sorted(ranks) and ranks[0] == DESIGN_RANK["P-RCT"]  # randomized first

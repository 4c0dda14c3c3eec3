"""The evidence library (published_effects.yaml): what each study found and what kind of study it is.

Targets are checked against it, and the approval prices a second money line at the published
effect. An effect is only comparable with its design: an intention-to-treat trial and a pre-post
study of active users answer different questions, so every sentence here names the design.
Pure: data in, data out.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from statistics import median
from typing import Literal

import yaml

LIBRARY_FILE = Path(__file__).with_name("published_effects.yaml")

Design = Literal[
    "RCT",
    "P-RCT",
    "meta-analysis",
    "systematic review",
    "DiD",
    "cohort",
    "pre-post",
    "observational QI",
    "review",
    "survey",
    "vendor",
]
PopulationBasis = Literal["intention-to-treat", "users", "active users", "not stated"]
Role = Literal["effect", "benchmark"]

DESIGN_LABELS: dict[str, str] = {
    "RCT": "randomized trial",
    "P-RCT": "pragmatic randomized trial",
    "meta-analysis": "meta-analysis",
    "systematic review": "systematic review",
    "DiD": "difference-in-differences study",
    "cohort": "cohort study",
    "pre-post": "pre-post study",
    "observational QI": "observational quality-improvement report",
    "review": "review",
    "survey": "survey",
    "vendor": "vendor figure",
}
# Stronger designs first: randomized (and pooled randomized) evidence, then concurrent controls,
# then before/after without controls. A price or a target leans on the strongest tier available.
DESIGN_RANK: dict[str, int] = {
    "RCT": 0,
    "P-RCT": 0,
    "meta-analysis": 0,
    "systematic review": 1,
    "DiD": 1,
    "cohort": 2,
    "pre-post": 3,
    "observational QI": 3,
    "review": 4,
    "survey": 4,
    "vendor": 5,
}
CONTROLLED_DESIGNS = frozenset({"RCT", "P-RCT", "meta-analysis", "DiD", "cohort"})


@dataclass(frozen=True)
class Study:
    """One study (or benchmark) in the library, with what it is: design, population basis, n, source."""

    id: str
    role: Role
    kpi: str
    solution: str
    design: Design
    population_basis: PopulationBasis
    outcome: str
    setting: str
    study: str
    journal: str
    year: int
    source: str
    products: tuple[str, ...] = ()
    n: int | None = None
    n_note: str = ""
    effect_pct: float | None = None
    ci_low_pct: float | None = None
    ci_high_pct: float | None = None
    significant: bool | None = None
    arm: str = ""  # which arm of a multi-arm trial this effect is

    @property
    def design_label(self) -> str:
        return DESIGN_LABELS[self.design]

    def cite(self) -> str:
        """'UCLA (pragmatic randomized trial, intention-to-treat, n = 238, NEJM AI ...): -9.5 % (...)'."""
        size = f", n = {self.n:,}" if self.n is not None else (f", {self.n_note}" if self.n_note else "")
        figure = "" if self.effect_pct is None else f": {self.effect_pct:+.1f} %"
        if self.effect_pct is not None and self.ci_low_pct is not None and self.ci_high_pct is not None:
            figure += f" (95 % CI {self.ci_low_pct:+.1f} to {self.ci_high_pct:+.1f})"
        elif self.effect_pct is not None and self.significant is False:
            figure += " (not significant)"
        arm = f", {self.arm}" if self.arm else ""
        what = f"{self.design_label}, {self.population_basis}{size}, {self.journal}"
        return f"{self.study}{arm} ({what}){figure}"


@cache
def library() -> tuple[Study, ...]:
    """Every entry of published_effects.yaml."""
    raw = yaml.safe_load(LIBRARY_FILE.read_text(encoding="utf-8"))
    return tuple(
        Study(**{**entry, "products": tuple(entry.get("products") or ())}) for entry in raw["studies"]
    )


def _matches(study: Study, *, kpi: str, solution: str) -> bool:
    return study.kpi == kpi and study.solution.lower() in solution.lower()


def studies_for(*, kpi: str, solution: str) -> list[Study]:
    """Effects (any figure or none) for the KPI and kind of solution, strongest design first."""
    found = [s for s in library() if s.role == "effect" and _matches(s, kpi=kpi, solution=solution)]
    return sorted(found, key=lambda s: (DESIGN_RANK[s.design], -(s.n or 0), s.id))


def benchmarks_for(*, kpi: str) -> list[Study]:
    """Benchmarks for the KPI: prevalences, industry and vendor figures (context, never effects)."""
    return [s for s in library() if s.role == "benchmark" and s.kpi == kpi]


def effects_with_figures(*, kpi: str, solution: str) -> list[Study]:
    return [s for s in studies_for(kpi=kpi, solution=solution) if s.effect_pct is not None]


@dataclass(frozen=True)
class ReferenceEffect:
    """The published effect a second money line is priced at, and which studies it rests on."""

    effect_pct: float
    studies: tuple[str, ...]
    note: str


def reference_effect(*, kpi: str, solution: str, product: str = "") -> ReferenceEffect | None:
    """The effect to price at: studies of the chosen product if any, else the kind; strongest design
    tier; the median of that tier's figures. None when no study of this KPI and solution has a figure."""
    figures = effects_with_figures(kpi=kpi, solution=solution)
    wanted = product.lower()
    of_product = [s for s in figures if wanted and any(p.lower() in wanted for p in s.products)]
    pool = of_product or figures
    if not pool:
        return None
    best = min(DESIGN_RANK[s.design] for s in pool)
    tier = [s for s in pool if DESIGN_RANK[s.design] == best]
    value = round(median(s.effect_pct for s in tier if s.effect_pct is not None), 2)
    which = "the chosen product's" if of_product else "this kind of solution's"
    summary = "median of " if len(tier) > 1 else ""
    return ReferenceEffect(
        effect_pct=value,
        studies=tuple(s.cite() for s in tier),
        note=f"{summary}{which} strongest published evidence: " + "; ".join(s.cite() for s in tier),
    )


def _beyond(target: float, value: float) -> bool:
    """The target asks for more than this effect (in the target's own direction)."""
    return target < value if target < 0 else target > value


def target_flag(*, kpi: str, solution: str, target_change_pct: float) -> str | None:
    """A sentence naming the designs when the target asks more than the published effects; None otherwise.

    Judged against controlled studies (randomized, DiD, cohort) where any have a figure: a target
    that only an uncontrolled study of active users reached is still flagged, and that study named.
    """
    figures = effects_with_figures(kpi=kpi, solution=solution)
    if not figures:
        return None
    controlled = [s for s in figures if s.design in CONTROLLED_DESIGNS]
    judged = controlled or figures
    if not all(_beyond(target_change_pct, s.effect_pct or 0.0) for s in judged):
        return None
    values = sorted((s.effect_pct or 0.0 for s in judged), key=abs)
    kinds = sorted({s.design_label for s in judged}, key=lambda label: label)
    head = (
        f"{target_change_pct:+.0f} % {kpi.replace('_', ' ')}: "
        f"{' and '.join(kinds)} found {values[0]:+.1f} % to {values[-1]:+.1f} % "
        f"({'; '.join(s.cite() for s in judged)})"
    )
    rest = [s for s in figures if s not in judged and not _beyond(target_change_pct, s.effect_pct or 0.0)]
    if rest:
        head += "; only uncontrolled evidence reached it: " + "; ".join(s.cite() for s in rest)
    return head

"""Laney P' limits computed the long way, with numpy and scipy, to check kpi's control charts against.

Written from the method's description (services/kpi/control_charts.py's docstring), not from its
code: the reference's pooled centre; the weeks' z-scores; their sample variance pooled with the
variance a logit sd of 0.25 gives (worth 10 weeks); a Student-t quantile on the pooled degrees of
freedom; the pooled weeks' and the centre's variances inflated for AR(1) 0.3 weeks by summing the
correlation matrix.
"""

import numpy as np
from scipy import stats

PRIOR_LOGIT_SD, PRIOR_WEEKS, PHI = 0.25, 10, 0.3


def ar1_factor(weeks: int, phi: float = PHI) -> float:
    """Variance of a mean of `weeks` AR(1) weeks over that of independent ones: sum_ij phi^|i-j| / m."""
    lags = np.abs(np.subtract.outer(np.arange(weeks), np.arange(weeks)))
    return float((phi**lags).sum() / weeks)


def laney_p_limit(
    reference: list[tuple[float, float]],
    pooled: list[tuple[float, float]],
    *,
    alpha: float,
    lower: bool = True,
) -> tuple[float, float, float]:
    """(centre, sigma_z, limit) for the rate of the `pooled` (events, trials) weeks against the
    `reference` weeks, one-sided at `alpha`."""
    events, totals = (np.array(column, float) for column in zip(*reference, strict=True))
    centre = events.sum() / totals.sum()
    unit = centre * (1 - centre)
    z = (events / totals - centre) / np.sqrt(unit / totals)
    prior = 1 + unit * totals.mean() * PRIOR_LOGIT_SD**2
    degrees = len(reference) - 1
    sigma_z = max(np.sqrt((PRIOR_WEEKS * prior + degrees * z.var(ddof=1)) / (PRIOR_WEEKS + degrees)), 1.0)
    pooled_total = sum(total for _, total in pooled)
    variance = unit * (ar1_factor(len(pooled)) / pooled_total + ar1_factor(len(reference)) / totals.sum())
    half = stats.t.ppf(1 - alpha, degrees + PRIOR_WEEKS) * sigma_z * np.sqrt(variance)
    return float(centre), float(sigma_z), float(centre - half if lower else centre + half)

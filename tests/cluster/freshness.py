"""KPI freshness as the SLO counts it (deploy/prometheus/slos.yaml: records readable within 1 s of
their publish, 99 % of them), from the kpi replicas' own /metrics, scraped in short windows.

Each replica's histogram is cumulative and starts again at 0 when its process is killed and
restarted; a count lower than the last one is a new process, whose whole count is new.

A window counts as within the SLO only if it holds at least `min_records` records: a window in
which the load generator or the replicas stalled (a loaded machine) says nothing about freshness,
and 1 record of 1 on time is not 99 %.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

OBJECTIVE = 0.99  # of records readable within THRESHOLD
THRESHOLD = "1.0"  # the histogram bucket the SLO names (le="1.0")
WINDOW = 5.0  # seconds: long enough to hold a few hundred records at the suite's pace


def parse(metrics: str) -> tuple[float, float]:
    """(records readable within 1 s, all records) from one /metrics page."""
    good = total = 0.0
    for line in metrics.splitlines():
        if line.startswith(f'faio_kpi_freshness_seconds_bucket{{le="{THRESHOLD}"}}'):
            good = float(line.split()[-1])
        elif line.startswith("faio_kpi_freshness_seconds_count"):
            total = float(line.split()[-1])
    return good, total


@dataclass
class Window:
    began: float  # monotonic
    good: float = 0.0
    total: float = 0.0

    def within_slo(self, min_records: float = 1) -> bool:
        return self.total >= max(min_records, 1) and self.good / self.total >= OBJECTIVE


@dataclass
class FreshnessWatch:
    """Windows of WINDOW seconds of every replica's freshness observations, summed."""

    min_records: float = 1  # below this a window is evidence of nothing
    windows: list[Window] = field(default_factory=list)
    last: dict[str, tuple[float, float]] = field(default_factory=dict)  # replica url -> counts

    async def scrape(self, client: httpx.AsyncClient, urls: list[str]) -> None:
        now = time.monotonic()
        if not self.windows or now - self.windows[-1].began >= WINDOW:
            self.windows.append(Window(now))
        window = self.windows[-1]
        for url in urls:
            try:
                good, total = parse((await client.get(f"{url}/metrics", timeout=5)).text)
            except httpx.HTTPError:
                continue  # a replica being killed or started: its counts come with its next scrape
            last_good, last_total = self.last.get(url, (0.0, 0.0))
            if total < last_total:  # a new process on the same port
                last_good = last_total = 0.0
            window.good += good - last_good
            window.total += total - last_total
            self.last[url] = (good, total)

    async def run(self, urls: Callable[[], list[str]]) -> None:
        """Scrape the live replicas (`urls()`, read each time: a killed one has none) every second."""
        async with httpx.AsyncClient() as client:
            while True:
                await self.scrape(client, urls())
                await asyncio.sleep(1)

    def recovered_after(self, since: float) -> float | None:
        """Seconds from `since` to the start of the first window after it within the SLO."""
        for window in self.windows[:-1]:  # the last window is still filling
            if window.began >= since and window.within_slo(self.min_records):
                return window.began - since
        return None

    def worst_between(self, start: float, end: float) -> float | None:
        """The lowest share of records readable within 1 s in a window between `start` and `end`."""
        shares = [w.good / w.total for w in self.windows[:-1] if start <= w.began < end and w.total > 0]
        return min(shares) if shares else None

    def share_between(self, start: float, end: float) -> float | None:
        """The share of all records readable within 1 s in the windows between `start` and `end`."""
        windows = [w for w in self.windows[:-1] if start <= w.began < end]
        total = sum(w.total for w in windows)
        return sum(w.good for w in windows) / total if total else None

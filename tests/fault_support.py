"""What the fault-injection suite (tests/integration/test_faults.py) shares: the tally every test
prints, and an outbox relay run as its own process so it can be killed with SIGKILL.

`python -m tests.fault_support relay <database url> <bootstrap>` runs the relay until killed.
"""

import asyncio
import sys
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from faststream.kafka import KafkaBroker

from shared import db
from shared.outbox import OutboxRelay

K = TypeVar("K", bound=Hashable)


@dataclass
class Tally:
    """Sent against counted: what was lost (counted less than sent) and duplicated (more)."""

    what: str
    sent: int
    counted: int
    lost: int
    duplicated: int

    @classmethod
    def of(cls, what: str, expected: Mapping[K, float], got: Mapping[K, float]) -> "Tally":
        keys = set(expected) | set(got)
        return cls(
            what=what,
            sent=int(sum(expected.values())),
            counted=int(sum(got.values())),
            lost=int(sum(max(0.0, expected.get(key, 0) - got.get(key, 0)) for key in keys)),
            duplicated=int(sum(max(0.0, got.get(key, 0) - expected.get(key, 0)) for key in keys)),
        )

    def report(self) -> str:
        line = (
            f"{self.what}: sent {self.sent:,} / counted {self.counted:,} / lost {self.lost:,} "
            f"/ duplicated {self.duplicated:,}"
        )
        print(line, flush=True)
        return line


async def run_relay(database_url: str, bootstrap: str) -> None:
    engine = db.create_engine(database_url)
    broker = KafkaBroker(bootstrap, acks="all", enable_idempotence=True)
    await broker.connect()
    print("relay running", flush=True)
    relay = OutboxRelay(sessions=db.create_session_factory(engine), broker=broker, batch_size=20)
    # Paced, one small batch at a time: the queue drains over several seconds, so each of the
    # test's kills lands while rows are still waiting (flat out, it drained before the last ones).
    while True:
        try:
            await relay.publish_pending()
        except Exception as error:  # noqa: BLE001 - as OutboxRelay.run does: retry the batch
            print(f"relay retrying: {error}", flush=True)
        await asyncio.sleep(0.05)


if __name__ == "__main__":
    if sys.argv[1:2] == ["relay"]:
        asyncio.run(run_relay(sys.argv[2], sys.argv[3]))

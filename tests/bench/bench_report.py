"""How long the practice roadmap report takes: `python -m tests.bench.bench_report`.

Prints the server time of the HTML page (the portal's read model + roadmap's JSON, in process)
and of the PDF (the same, then WeasyPrint's layout), and the PDF's size and pages.
"""

import asyncio
import io
import logging
import statistics
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

from tests.unit.portal_roadmap_support import portal_with_roadmap

ROUNDS = 5


async def main() -> None:
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as scratch:
        async with portal_with_roadmap(Path(scratch)) as portal:
            await portal.sign_in()
            clinic_id = await portal.clinic()
            for path, label in (
                (f"/clinics/{clinic_id}/report", "HTML"),
                (f"/clinics/{clinic_id}/report.pdf", "PDF"),
            ):
                seconds = []
                answer = None
                for _ in range(ROUNDS):
                    began = time.perf_counter()
                    answer = await portal.http.get(path)
                    seconds.append(time.perf_counter() - began)
                    assert answer.status_code == 200, answer.text[:300]
                assert answer is not None
                extra = ""
                if label == "PDF":
                    pages = len(PdfReader(io.BytesIO(answer.content)).pages)
                    extra = f", {len(answer.content) / 1024:.0f} KiB, {pages} pages"
                print(
                    f"report {label}: median {statistics.median(seconds) * 1000:.0f} ms, "
                    f"max {max(seconds) * 1000:.0f} ms over {ROUNDS} requests{extra}"
                )


if __name__ == "__main__":
    asyncio.run(main())

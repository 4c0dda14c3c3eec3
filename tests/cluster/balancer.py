"""A round-robin TCP load balancer in front of a service's replicas, as a Kubernetes Service is.

Each new connection goes to the next replica that accepts it; a killed replica refuses, and the
connection goes to the next one (connections already open to it break, as they would in a cluster).
Runs its own event loop in a thread, so synchronous callers (the `faio` CLI in a subprocess, the
stack's readiness polling) and the test's loop can all use it.
"""

import asyncio
import contextlib
import itertools
import threading

from deploy.local.kafka import free_port


class Balancer:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.servers: list[asyncio.Server] = []

    def __enter__(self) -> "Balancer":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        async def close() -> None:
            for server in self.servers:
                server.close()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def front(self, backends: list[str]) -> str:
        """A URL spreading connections over `backends` (http://127.0.0.1:port URLs)."""
        ports = [int(url.rsplit(":", 1)[1]) for url in backends]
        port = free_port()
        turns = itertools.cycle(ports)

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            for _ in range(len(ports)):
                try:
                    upstream = await asyncio.open_connection("127.0.0.1", next(turns))
                    break
                except OSError:
                    continue  # a replica down: the next one
            else:
                writer.close()
                return
            await asyncio.gather(pipe(reader, upstream[1]), pipe(upstream[0], writer))

        async def start() -> None:
            self.servers.append(await asyncio.start_server(serve, "127.0.0.1", port))

        asyncio.run_coroutine_threadsafe(start(), self.loop).result(timeout=10)
        return f"http://127.0.0.1:{port}"


async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    with contextlib.suppress(OSError):
        sink.close()

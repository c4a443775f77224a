"""A lean HTTP/1.1 sender for the webhook benchmarks: keep-alive connections, requests framed once.

The benchmarks' sender shares the machine's cores with the web process and PostgreSQL it measures, so
every millisecond of CPU it spends a request is taken from them, and a pause of its own reads as the
server's latency. GitHub's sender is not on our machine. This one writes prepared bytes on an open
connection and reads the status line, the headers and `Content-Length` bytes back; anything else (a
chunked or unframed answer) is an error, since the bot's intake never sends one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from urllib.parse import urlsplit


class Sender:
    """POSTs to one URL over a pool of keep-alive connections (a new one when none is idle)."""

    def __init__(self, url: str, limit: int = 0) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._slots = asyncio.Semaphore(limit) if limit else None
        self._open: set[asyncio.StreamWriter] = set()

    def frame(self, body: bytes, headers: Mapping[str, str]) -> bytes:
        """The request's bytes: request line, headers, body."""
        head = [f"POST {self.path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("host", "content-length")]
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body

    async def send(self, request: bytes) -> int:
        """Send framed bytes; the answer's status (its body is read and dropped)."""
        if self._slots is not None:
            async with self._slots:
                return await self._send(request)
        return await self._send(request)

    async def _send(self, request: bytes) -> int:
        if self._idle:
            reader, writer = self._idle.pop()
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            self._open.add(writer)
        try:
            return await self._exchange(reader, writer, request)
        except BaseException:
            self._open.discard(writer)
            writer.close()
            raise

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        request: bytes) -> int:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = None
        keep = True
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                keep = False
        if length is None:
            raise RuntimeError(f"answer without Content-Length: {lines[0]}")
        await reader.readexactly(length)
        if keep:
            self._idle.append((reader, writer))
        else:
            self._open.discard(writer)
            writer.close()
        return status

    async def close(self) -> None:
        """Close every connection."""
        for writer in self._open:
            writer.close()
        self._open.clear()
        self._idle.clear()

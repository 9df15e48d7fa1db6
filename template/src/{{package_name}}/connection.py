"""One kept-alive HTTP/1.1 connection to an AWS endpoint: a request out, its response back.

The standard library's http.client costs about 150 microseconds of CPU per request here (its
headers go through the email parser) and leaves Nagle's algorithm on; every AWS call of every
warm invocation would pay that. An AWS API answers with a status line, headers and a body sized by
Content-Length or sent in chunks, which is all this module reads.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from typing import BinaryIO

# Longer lines than this are not an AWS answer; refuse them instead of buffering without bound.
MAX_LINE_BYTES = 65_536
MAX_HEADERS = 200
FIRST_ERROR_STATUS = 300


class ProtocolError(OSError):
    """The peer did not answer in HTTP/1.1; the connection is dropped and the call retried."""


class BodyTooLarge(ValueError):
    """The answer's body is larger than the caller agreed to read."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes, more than {limit}")
        self.size = size


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    def __init__(
        self,
        host: str,
        port: int,
        tls: ssl.SSLContext | None,
        connect_timeout: float,
        read_timeout: float,
    ) -> None:
        sock = socket.create_connection((host, port), timeout=connect_timeout)
        # Each request goes out in one write; waiting to coalesce it only adds latency.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname=host)
        sock.settimeout(read_timeout)
        self._socket = sock
        self._reader = sock.makefile("rb")
        self.open = True

    def exchange(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        max_body: int | None = None,
    ) -> Response:
        lines = [f"{method} {target} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"content-length: {len(body)}")
        self._socket.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        try:
            response = read_response(self._reader, max_body)
        except BaseException:
            # Whatever is left unread on the socket belongs to this failed exchange.
            self.close()
            raise
        if response.headers.get("connection", "").lower() == "close":
            self.close()
        return response

    def close(self) -> None:
        self.open = False
        self._reader.close()
        self._socket.close()


def read_response(reader: BinaryIO, max_body: int | None = None) -> Response:
    """Reads one response: its status, its headers (names in lower case) and its whole body;
    raises BodyTooLarge before reading a successful body declared larger than `max_body`."""
    status_line = _line(reader)
    version, _, rest = status_line.partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise ProtocolError(f"not an HTTP/1.1 status line: {status_line[:80]!r}")
    status = int(code)
    headers = _headers(reader)
    if headers.get("transfer-encoding", "").lower() == "chunked":
        return Response(status, headers, _chunks(reader))
    if "content-length" not in headers:
        # Without a length, the body ends when the peer closes the connection.
        headers["connection"] = "close"
        return Response(status, headers, reader.read())
    size = int(headers["content-length"])
    if max_body is not None and status < FIRST_ERROR_STATUS and size > max_body:
        raise BodyTooLarge(size, max_body)
    body = reader.read(size)
    if len(body) != size:
        raise ProtocolError(f"the body ended after {len(body)} of {size} bytes")
    return Response(status, headers, body)


def _line(reader: BinaryIO) -> str:
    line = reader.readline(MAX_LINE_BYTES + 1)
    if not line:
        raise ProtocolError("the connection closed before the answer")
    if len(line) > MAX_LINE_BYTES:
        raise ProtocolError("an answer line is too long")
    return line.decode("latin-1").rstrip("\r\n")


def _headers(reader: BinaryIO) -> dict[str, str]:
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS):
        line = _line(reader)
        if not line:
            return headers
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    raise ProtocolError("too many header lines")


def _chunks(reader: BinaryIO) -> bytes:
    body = bytearray()
    while True:
        size = int(_line(reader).split(";", 1)[0], 16)
        if size == 0:
            # Trailers, if any, end with an empty line like the headers do.
            _headers(reader)
            return bytes(body)
        chunk = reader.read(size)
        if len(chunk) != size:
            raise ProtocolError(f"a chunk ended after {len(chunk)} of {size} bytes")
        body += chunk
        _line(reader)

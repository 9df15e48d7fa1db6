"""A stateless stand-in for the AWS APIs the measured functions call, on loopback.

The cold-start and warm figures must not include network latency or an emulator's bookkeeping, so
every answer is canned and immediate. Anything the stub was not taught answers 400 with the call's
name: a handler that starts calling a new API fails its success check loudly instead of being timed
on an error path. Run as a script it serves until killed and prints its port on the first line.

It counts the calls it receives, by name (`DynamoDB_20120810.PutItem`, `S3.GetObject`): a GET of
CALLS_PATH returns the counts as JSON and starts them again from zero, so the harness can say how
many AWS calls an invocation makes.

The HTTP/1.1 side is a few lines of asyncio rather than http.server: the stdlib server spends
hundreds of microseconds per request parsing headers, which the warm figures would count as the
handler's own overhead, once per AWS call.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
import uuid
from email.utils import formatdate
from hashlib import md5
from pathlib import PurePosixPath
from typing import cast
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

# The shape the rendered tests/conftest.py stores in the SSM parameter.
CONFIG_VALUE = '{"review_threshold": "1000.00"}'
ACCOUNT = "123456789012"

# A valid order, the content an S3 trigger's object holds (see the rendered scripts/invoke.py).
ORDER_ITEMS = [{"sku": "BOOK-1", "quantity": 2, "unit_price": "12.50"}]

JSON_10 = "application/x-amz-json-1.0"
JSON_11 = "application/x-amz-json-1.1"
LAST_MODIFIED = formatdate(1767225600, usegmt=True)
REASONS = {100: "Continue", 200: "OK", 400: "Bad Request"}
# No S3 GetObject has this path: bucket names hold no underscore.
CALLS_PATH = "/__bench__/calls"

Headers = list[tuple[str, str]]


def order_object(key: str) -> bytes:
    """The order an object holds: named after the key's file name, as the events files do."""
    stem = PurePosixPath(key).stem
    order_id = stem if stem.startswith("ord-") else "ord-1001"
    order = {"order_id": order_id, "customer_id": "cus-42", "items": ORDER_ITEMS}
    return json.dumps(order).encode()


def unsupported(call: str) -> dict[str, str]:
    return {
        "__type": "BenchStubUnsupportedOperation",
        "message": f"the benchmark's AWS stub has no answer for {call}",
    }


def json_answer(target: str, request: dict[str, object]) -> tuple[int, str, dict[str, object]]:
    """(status, content type, body) for a JSON-protocol call named by its X-Amz-Target."""
    service, _, operation = target.partition(".")
    if service == "AmazonSSM" and operation == "GetParameter":
        name = str(request.get("Name", ""))
        parameter = {
            "Name": name,
            "Type": "String",
            "Value": CONFIG_VALUE,
            "Version": 1,
            "LastModifiedDate": 1767225600.0,
            "ARN": f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/{name.lstrip('/')}",
            "DataType": "text",
        }
        return 200, JSON_11, {"Parameter": parameter}
    if service == "DynamoDB_20120810" and operation in {"PutItem", "UpdateItem", "DeleteItem"}:
        return 200, JSON_10, {}
    if service == "DynamoDB_20120810" and operation == "GetItem":
        return 200, JSON_10, {}  # no such item
    content_type = JSON_10 if service.startswith("DynamoDB") else JSON_11
    return 400, content_type, dict(unsupported(target))


def xml_error(call: str) -> tuple[int, Headers, bytes]:
    # Calls without X-Amz-Target are REST-XML (S3): an error the SDK can parse names the call.
    error = unsupported(call)
    content = (
        f"<Error><Code>{error['__type']}</Code><Message>{escape(error['message'])}</Message>"
        "</Error>"
    ).encode()
    return 400, [("Content-Type", "application/xml"), ("x-amz-request-id", request_id())], content


def request_id() -> str:
    return uuid.uuid4().hex[:16].upper()


def answer(
    method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, Headers, bytes]:
    """(status, headers, body) for one request; `headers` has lower-case names."""
    target = headers.get("x-amz-target")
    if method == "POST" and target:
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        status, content_type, document = json_answer(target, request)
        extra = [("Content-Type", content_type), ("x-amzn-RequestId", str(uuid.uuid4()))]
        return status, extra, json.dumps(document).encode()
    if method == "GET":
        bucket, _, key = unquote(urlsplit(path).path).lstrip("/").partition("/")
        if bucket and key:  # path-style GetObject, as SDKs address an endpoint given by IP
            content = order_object(key)
            return (
                200,
                [
                    ("Content-Type", "application/json"),
                    ("ETag", f'"{md5(content, usedforsecurity=False).hexdigest()}"'),
                    ("Last-Modified", LAST_MODIFIED),
                    ("x-amz-request-id", request_id()),
                ],
                content,
            )
    return xml_error(f"{method} {path}")


def call_name(method: str, path: str, headers: dict[str, str]) -> str:
    """The name a request is counted under: its X-Amz-Target, `S3.GetObject`, or method and
    path."""
    target = headers.get("x-amz-target")
    if method == "POST" and target:
        return target
    bucket, _, key = unquote(urlsplit(path).path).lstrip("/").partition("/")
    if method == "GET" and bucket and key:
        return "S3.GetObject"
    return f"{method} {urlsplit(path).path}"


class CallCounter:
    """The calls answered since the counts were last taken."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def add(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1

    def take(self) -> tuple[int, Headers, bytes]:
        """The counts as a JSON response; counting starts again from zero."""
        content, self.counts = json.dumps(self.counts).encode(), {}
        return 200, [("Content-Type", "application/json")], content


CALLS = CallCounter()


def encode_response(status: int, headers: Headers, body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines += [f"Content-Length: {len(body)}", f"Date: {formatdate(usegmt=True)}", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


class StubProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, as the SDKs' connection pools use it; bodies by Content-Length."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a TCP server's transport
        self.buffer = b""
        self.continued = False
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # A response is one write, but the client's request may not be: no Nagle delays.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (head_end := self.buffer.find(b"\r\n\r\n")) >= 0:
            request_line, *header_lines = self.buffer[:head_end].decode("latin-1").split("\r\n")
            method, path, _ = request_line.split(" ", 2)
            headers = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            total = head_end + 4 + int(headers.get("content-length") or 0)
            if len(self.buffer) < total:
                if headers.get("expect", "").lower() == "100-continue" and not self.continued:
                    self.continued = True
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                return
            body = self.buffer[head_end + 4 : total]
            self.buffer = self.buffer[total:]
            self.continued = False
            if method == "GET" and path == CALLS_PATH:
                self.transport.write(encode_response(*CALLS.take()))
                continue
            CALLS.add(call_name(method, path, headers))
            self.transport.write(encode_response(*answer(method, path, headers, body)))


async def _serve() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(StubProtocol, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    sys.stdout.close()
    async with server:
        await server.serve_forever()


class ThreadedStub:
    """For tests: the stub on an event loop in a thread of this process."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> str:
        self.thread.start()
        opening = self.loop.create_server(StubProtocol, "127.0.0.1", 0)
        self.server = asyncio.run_coroutine_threadsafe(opening, self.loop).result(timeout=10)
        port: int = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


def main() -> None:
    asyncio.run(_serve())


if __name__ == "__main__":
    main()

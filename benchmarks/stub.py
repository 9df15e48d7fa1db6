"""A stateless stand-in for the AWS APIs the measured functions call, on loopback.

The cold-start and warm figures must not include network latency or an emulator's bookkeeping, so
every answer is canned and immediate. Anything the stub was not taught answers 400 with the call's
name: a handler that starts calling a new API fails its success check loudly instead of being timed
on an error path. Run as a script it serves until killed and prints its port on the first line.
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from email.utils import formatdate
from hashlib import md5
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

# The shape the rendered tests/conftest.py stores in the SSM parameter.
CONFIG_VALUE = '{"review_threshold": "1000.00"}'
ACCOUNT = "123456789012"

# A valid order, the content an S3 trigger's object holds (see the rendered scripts/invoke.py).
ORDER_ITEMS = [{"sku": "BOOK-1", "quantity": 2, "unit_price": "12.50"}]

JSON_10 = "application/x-amz-json-1.0"
JSON_11 = "application/x-amz-json-1.1"


def order_object(key: str) -> bytes:
    """The order an object holds: named after the key's file name, as the events files do."""
    stem = PurePosixPath(key).stem
    order_id = stem if stem.startswith("ord-") else "ord-1001"
    order = {"order_id": order_id, "customer_id": "cus-42", "items": ORDER_ITEMS}
    return json.dumps(order).encode()


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
    return 400, content_type, unsupported(f"{target}")


def unsupported(call: str) -> dict[str, object]:
    return {
        "__type": "BenchStubUnsupportedOperation",
        "message": f"the benchmark's AWS stub has no answer for {call}",
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect
    # Headers and body leave in separate writes; with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms) on every keep-alive request.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        body = self._body()
        target = self.headers.get("X-Amz-Target")
        if not target:
            self._send_xml_error(f"POST {self.path}")
            return
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        status, content_type, answer = json_answer(target, request)
        self._send_json(status, content_type, answer)

    def do_GET(self) -> None:
        self._body()
        path = unquote(urlsplit(self.path).path).lstrip("/")
        bucket, _, key = path.partition("/")
        if not bucket or not key:
            self._send_xml_error(f"GET {self.path}")
            return
        content = order_object(key)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.send_header("ETag", f'"{md5(content, usedforsecurity=False).hexdigest()}"')
        self.send_header("Last-Modified", formatdate(1767225600, usegmt=True))
        self.send_header("x-amz-request-id", uuid.uuid4().hex[:16].upper())
        self.end_headers()
        self.wfile.write(content)

    def do_PUT(self) -> None:
        self._body()
        self._send_xml_error(f"PUT {self.path}")

    def do_DELETE(self) -> None:
        self._body()
        self._send_xml_error(f"DELETE {self.path}")

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send_xml_error(self, call: str) -> None:
        # Calls without X-Amz-Target are REST-XML (S3): an error the SDK can parse names the call.
        error = unsupported(call)
        content = (
            f"<Error><Code>{error['__type']}</Code><Message>{escape(str(error['message']))}"
            "</Message></Error>"
        ).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(content)))
        self.send_header("x-amz-request-id", uuid.uuid4().hex[:16].upper())
        self.end_headers()
        self.wfile.write(content)

    def _send_json(self, status: int, content_type: str, answer: dict[str, object]) -> None:
        content = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(content)


def make_server(port: int = 0) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server


def serve_in_thread() -> tuple[ThreadingHTTPServer, str]:
    """For tests: the server running in this process, and its endpoint URL."""
    server = make_server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    server = make_server()
    print(server.server_address[1], flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()

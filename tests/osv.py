"""A local stand-in for OSV's vulnerability query API, so the rendered `make audit` runs the real
pip-audit offline and against advisories a test chooses (tests/test_audit.py, test_end_to_end.py).
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# The id the service reports for a vulnerable package.
ADVISORY = "PYSEC-0000-TEST"


@dataclass
class Advisories:
    """What the service was asked ((name, version) pairs, in order) and what it reports."""

    url: str = ""
    queried: list[tuple[str, str]] = field(default_factory=list)
    vulnerable: set[str] = field(default_factory=set)


def _vulnerability(name: str) -> dict[str, Any]:
    """ADVISORY on every version of `name` below 999, as an OSV record (schema 1.x)."""
    return {
        "id": ADVISORY,
        "summary": "a test advisory",
        "affected": [
            {
                "package": {"name": name, "ecosystem": "PyPI"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "999"}]}
                ],
            }
        ],
    }


@contextmanager
def local_osv() -> Iterator[Advisories]:
    """OSV's `POST /v1/query` (https://google.github.io/osv.dev/post-v1-query/) on 127.0.0.1:
    records each query and reports ADVISORY for the names in `vulnerable`; `url` is the query
    URL to pass as pip-audit's --osv-url."""
    advisories = Advisories()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            name, version = query["package"]["name"], query["version"]
            advisories.queried.append((name, version))
            found = {"vulns": [_vulnerability(name)]} if name in advisories.vulnerable else {}
            body = json.dumps(found).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: a test shows its own output."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    advisories.url = f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    try:
        yield advisories
    finally:
        server.shutdown()
        server.server_close()

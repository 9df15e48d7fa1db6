"""A small AWS client: SigV4-signed HTTPS requests over one kept-alive connection per endpoint.

The Lambda runtime ships boto3, but importing it and building a client costs several hundred
milliseconds of every cold start (docs/performance.md has the figures). The function makes three
kinds of call, SSM GetParameter, DynamoDB item reads and writes and S3 GetObject, and this module
covers them with the standard library. Credentials, region and endpoints come from the environment
as Lambda and the AWS SDKs define them, so moto's server answers it in tests as it answers boto3.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import quote, urlsplit

from .connection import FIRST_ERROR_STATUS, BodyTooLarge, Connection, Response

__all__ = ["AwsError", "BodyTooLarge", "Client", "Credentials", "Request", "Response"]

# Fail fast, well inside the function's timeout, instead of an SDK's 60 s read timeout.
CONNECT_TIMEOUT_SECONDS = 2.0
READ_TIMEOUT_SECONDS = 3.0
MAX_ATTEMPTS = 3
FIRST_SERVER_ERROR_STATUS = 500
# The error codes AWS documents as "slow down and retry", across the services used here.
THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestThrottled",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestThrottledException",
        "SlowDown",
    }
)


class AwsError(RuntimeError):
    """An AWS API answered with an error; `code` is its error code, e.g. ResourceNotFound."""

    def __init__(self, service: str, operation: str, status: int, code: str, message: str) -> None:
        super().__init__(f"{service} {operation}: {status} {code}: {message}")
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    session_token: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Credentials:
        # Lambda sets these for the execution role; nothing else is needed in a function.
        return cls(
            access_key=env["AWS_ACCESS_KEY_ID"],
            secret_key=env["AWS_SECRET_ACCESS_KEY"],
            session_token=env.get("AWS_SESSION_TOKEN") or None,
        )


def endpoint_url(service: str, region: str, env: Mapping[str, str]) -> str:
    """The service's endpoint: AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL (both as the AWS
    SDKs read them), else the regional public endpoint."""
    override = env.get(f"AWS_ENDPOINT_URL_{service.upper()}") or env.get("AWS_ENDPOINT_URL")
    if override:
        return override.rstrip("/")
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://{service}.{region}.{suffix}"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Request:
    """One HTTP request to AWS. `url` is percent-encoded as it goes on the wire; it is signed as
    it is, which is what S3 expects and what the other services accept for their "/" path."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""


def signed_headers(
    request: Request, service: str, region: str, credentials: Credentials, now: datetime
) -> dict[str, str]:
    """The request's headers plus Host, X-Amz-Date, the session token and the SigV4
    Authorization header."""
    parts = urlsplit(request.url)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    payload_hash = hashlib.sha256(request.body).hexdigest()
    signed = {key.lower(): value.strip() for key, value in request.headers.items()}
    signed["host"] = parts.netloc
    signed["x-amz-date"] = amz_date
    if service == "s3":
        signed["x-amz-content-sha256"] = payload_hash
    if credentials.session_token:
        signed["x-amz-security-token"] = credentials.session_token
    names = sorted(signed)
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    canonical_request = "\n".join(
        [
            request.method,
            parts.path or "/",
            query,
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            payload_hash,
        ]
    )
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            amz_date,
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = ("AWS4" + credentials.secret_key).encode()
    for step in (amz_date[:8], region, service, "aws4_request"):
        key = _hmac(key, step)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    signed["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return signed


class Client:
    """Signed calls to one AWS service over a connection kept alive between invocations."""

    def __init__(self, service: str, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.service = service
        self.region = env.get("AWS_REGION") or env["AWS_DEFAULT_REGION"]
        self.endpoint = endpoint_url(service, self.region, env)
        self._credentials = Credentials.from_env(env)
        self._connections: dict[str, Connection] = {}

    def call_json(self, target: str, payload: Mapping[str, Any], version: str) -> dict[str, Any]:
        """An operation of a JSON-protocol API (DynamoDB, SSM): `target` is the X-Amz-Target."""
        request = Request(
            "POST",
            self.endpoint + "/",
            {"content-type": f"application/x-amz-json-{version}", "x-amz-target": target},
            json.dumps(payload).encode(),
        )
        response = self.send(request, operation=target.rpartition(".")[2])
        answer: dict[str, Any] = json.loads(response.body or b"{}")
        return answer

    def send(self, request: Request, *, operation: str, max_body: int | None = None) -> Response:
        """Sends with retries on throttling, 5xx and dropped connections; raises AwsError on any
        other error answer, and BodyTooLarge, before reading it, on a body over `max_body`."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = self._send_once(request, max_body)
            except OSError:
                # A connection kept across a frozen execution environment may have been closed;
                # timeouts, resets and TLS errors are all OSErrors.
                self._connections.clear()
                if attempt == MAX_ATTEMPTS:
                    raise
            else:
                if response.status < FIRST_ERROR_STATUS:
                    return response
                code, message = _error_of(response)
                retryable = response.status >= FIRST_SERVER_ERROR_STATUS or code in THROTTLING_CODES
                if not retryable or attempt == MAX_ATTEMPTS:
                    raise AwsError(self.service, operation, response.status, code, message)
            # Full jitter: spread the retries of concurrent functions apart.
            time.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - jitter, not crypto
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send_once(self, request: Request, max_body: int | None) -> Response:
        parts = urlsplit(request.url)
        wire_headers = signed_headers(
            request, self.service, self.region, self._credentials, datetime.now(UTC)
        )
        connection = self._connection(parts.scheme, parts.netloc)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return connection.exchange(
            request.method, target, wire_headers, request.body, max_body=max_body
        )

    def _connection(self, scheme: str, netloc: str) -> Connection:
        key = f"{scheme}://{netloc}"
        connection = self._connections.get(key)
        if connection is None or not connection.open:
            host, _, port = netloc.rpartition(":") if ":" in netloc else (netloc, "", "")
            https = scheme == "https"
            connection = Connection(
                host,
                int(port) if port else (443 if https else 80),
                _tls() if https else None,
                CONNECT_TIMEOUT_SECONDS,
                READ_TIMEOUT_SECONDS,
            )
            self._connections[key] = connection
        return connection


def object_url(endpoint: str, bucket: str, key: str, version_id: str | None) -> str:
    """An S3 object's URL: virtual-hosted on AWS, path-style on a custom endpoint (moto, MinIO)."""
    path = quote(key, safe="/~")
    query = f"?versionId={quote(version_id, safe='~')}" if version_id else ""
    parts = urlsplit(endpoint)
    if parts.netloc.startswith("s3.") and parts.netloc.endswith((".amazonaws.com", ".com.cn")):
        return f"{parts.scheme}://{bucket}.{parts.netloc}/{path}{query}"
    return f"{endpoint}/{bucket}/{path}{query}"


@cache
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle takes tens of milliseconds: only when the first HTTPS call needs it.
    return ssl.create_default_context()


def _error_of(response: Response) -> tuple[str, str]:
    """The error code and message, from a JSON-protocol body or an S3 XML one."""
    text = response.body.decode(errors="replace")
    if text.lstrip().startswith("{"):
        detail = json.loads(text)
        # DynamoDB answers "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException".
        code = str(detail.get("__type", "")).rpartition("#")[2]
        message = str(detail.get("message") or detail.get("Message") or "")
        return code or f"HTTP{response.status}", message
    code_match = re.search(r"<Code>([^<]+)</Code>", text)
    message_match = re.search(r"<Message>([^<]*)</Message>", text)
    return (
        code_match.group(1) if code_match else f"HTTP{response.status}",
        message_match.group(1) if message_match else text[:200],
    )

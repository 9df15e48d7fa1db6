"""AWS clients and data access, created lazily once per execution environment.

Clients are built on first use rather than at import, so a cold start pays only for the clients
the first request needs, and tests can run under moto without any module-level AWS state.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from .settings import CachedConfig, get_settings

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient


@cache
def ssm_client() -> SSMClient:
    # Deferred: boto3 costs ~0.2 s of import time on a cold start.
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    # Fail fast and retry a little, well inside the function timeout, instead of the SDK's
    # default 60 s read timeout.
    config = Config(
        connect_timeout=2, read_timeout=3, retries={"mode": "standard", "max_attempts": 3}
    )
    return boto3.client("ssm", config=config)


def read_parameter(name: str) -> str:
    return ssm_client().get_parameter(Name=name)["Parameter"]["Value"]


@cache
def runtime_config() -> CachedConfig:
    settings = get_settings()
    return CachedConfig(
        fetch=lambda: read_parameter(settings.config_parameter_name),
        max_age=settings.config_max_age_seconds,
    )

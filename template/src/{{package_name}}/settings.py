"""Typed settings: environment variables for wiring, SSM Parameter Store for tunable config.

Environment variables hold names and switches only, never secrets. Tunable values live in one SSM
parameter, read at most once per `config_max_age_seconds` per execution environment.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

import msgspec

from .models import RuntimeConfig


class SettingsError(RuntimeError):
    """The function's environment is incomplete: a deployment fault, not a bad message."""


@dataclass(frozen=True)
class Settings:
    environment: str
    config_parameter_name: str
    config_max_age_seconds: int
    idempotency_table_name: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        try:
            return cls(
                environment=env["APP_ENVIRONMENT"],
                config_parameter_name=env["CONFIG_PARAMETER_NAME"],
                config_max_age_seconds=int(env.get("CONFIG_MAX_AGE_SECONDS", "300")),
                # Empty when the function runs without idempotency.
                idempotency_table_name=env.get("IDEMPOTENCY_TABLE_NAME", ""),
            )
        except KeyError as missing:
            raise SettingsError(f"environment variable {missing} is not set") from None
        except ValueError as bad:
            raise SettingsError(f"CONFIG_MAX_AGE_SECONDS must be an integer: {bad}") from None


@cache
def get_settings() -> Settings:
    return Settings.from_env(os.environ)


class CachedConfig:
    """Holds the parsed SSM parameter and re-reads it once it is older than `max_age` seconds."""

    def __init__(
        self,
        fetch: Callable[[], str],
        max_age: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._max_age = max_age
        self._clock = clock
        self._value: RuntimeConfig | None = None
        self._read_at = 0.0

    def get(self) -> RuntimeConfig:
        now = self._clock()
        if self._value is None or now - self._read_at >= self._max_age:
            self._value = msgspec.json.decode(self._fetch(), type=RuntimeConfig)
            self._read_at = now
        return self._value

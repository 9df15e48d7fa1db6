"""Typed settings: environment variables for wiring, SSM Parameter Store for tunable config.

Environment variables hold names and switches only, never secrets. Tunable values live in one SSM
parameter, read through Powertools Parameters (adapters.read_config) at most once per
`config_max_age_seconds` per execution environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from . import adapters
from .models import RuntimeConfig


class SettingsError(RuntimeError):
    """The function's environment is incomplete: a deployment fault, not a bad message."""


@dataclass(frozen=True)
class Settings:
    """The function's wiring, as the stack sets it in the environment."""

    environment: str
    config_parameter_name: str
    config_max_age_seconds: int
    idempotency_table_name: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Reads the settings from `env`; raises SettingsError naming what is missing or wrong."""
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
    """The settings of this execution environment, read once."""
    return Settings.from_env(os.environ)


def runtime_config() -> RuntimeConfig:
    """The tunable config: the SSM parameter's JSON, validated; cached for its max age.

    Raises pydantic's ValidationError when the parameter holds no valid RuntimeConfig, and what
    adapters.read_config raises when it cannot be read.
    """
    current = get_settings()
    document = adapters.read_config(current.config_parameter_name, current.config_max_age_seconds)
    return RuntimeConfig.model_validate(document)

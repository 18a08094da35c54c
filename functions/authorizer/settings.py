"""The authorizer's environment (template.yaml ``AuthorizerFunction``), validated at cold start."""

from __future__ import annotations

from pydantic import Field

from shared.settings import EnvSettings


class AuthorizerSettings(EnvSettings):
    # how long a worker keeps the list of API keys before reading it again (a new, disabled or
    # re-tagged key is seen within this time)
    api_keys_cache_seconds: float = Field(default=60, alias="API_KEYS_CACHE_SECONDS", ge=0, le=3600)


def settings() -> AuthorizerSettings:
    return AuthorizerSettings.current()

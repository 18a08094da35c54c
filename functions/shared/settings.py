"""Environment settings validated with pydantic.

Each domain declares its variables once::

    class InventorySettings(EnvSettings):
        products_table: str = Field(alias="PRODUCTS_TABLE", min_length=1)

    InventorySettings.current().products_table

``current()`` reads ``os.environ`` and validates it, caching the result until one of the
declared variables changes (tests and the seed script change the environment between runs).
A missing variable raises :class:`ConfigurationError` naming it; nothing is read at import
time, so handler modules import without any environment (OpenAPI generation relies on it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, ValidationError


_CACHE: dict[type, tuple[tuple[str | None, ...], object]] = {}


class ConfigurationError(RuntimeError):
    """The function's environment is incomplete (a deployment bug, never a client error)."""


class EnvSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    @classmethod
    def env_names(cls) -> list[str]:
        return [field.alias or name.upper() for name, field in cls.model_fields.items()]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        environ = os.environ if environ is None else environ
        values = {name: environ[name] for name in cls.env_names() if name in environ}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = ", ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigurationError(f"{cls.__name__}: invalid environment ({problems})") from None

    @classmethod
    def current(cls) -> Self:
        key = tuple(os.environ.get(name) for name in cls.env_names())
        cached = _CACHE.get(cls)
        if cached is not None and cached[0] == key:
            return cached[1]  # type: ignore[return-value]
        settings = cls.from_env()
        _CACHE[cls] = (key, settings)
        return settings


def aws_region() -> str | None:
    """The region Lambda (and the local runtime) put in the environment."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")

"""Environment settings validated with pydantic.

Each domain declares its variables once::

    class InventorySettings(EnvSettings):
        products_table: str = Field(alias="PRODUCTS_TABLE", min_length=1)

    InventorySettings.current().products_table

How settings reach the code that needs them (a pynamodb ``Meta.table_name``, a client):

- :func:`use` passes settings objects down explicitly: inside ``with use(settings, ...)``,
  ``SomeSettings.current()`` returns the object given that is an instance of ``SomeSettings``
  (a subclass counts: ``InventorySettings`` serves ``StockSettings.current()``). It is a
  ``contextvars`` context, so it holds for the calling thread (or task) only, and nests.
- :func:`handler_settings` is the handlers' side of it: a Lambda handler decorated with
  ``@handler_settings(EcommerceSettings)`` validates that class and :class:`AwsSettings` from
  its environment (once per cold start: the result is cached) and runs each invocation inside
  ``use(...)`` of them, so everything below the handler reads what the handler passed down.
- The demo-data loader (``infra/seed``) builds each domain's settings from the deployed
  function's environment (``EcommerceSettings.from_env(function_environment)``) and the
  endpoint's :class:`AwsSettings`, and seeds inside ``use(...)``: no process environment is
  changed.
- Outside any ``use`` (unit tests, a script), ``current()`` reads ``os.environ`` and validates
  it, caching the result until one of the declared variables changes (tests change the
  environment between runs).

A missing variable raises :class:`ConfigurationError` naming it; nothing is read at import
time, so handler modules import without any environment (OpenAPI generation relies on it).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError


_CACHE: dict[type, tuple[tuple[str | None, ...], object]] = {}
# the settings passed down by ``use`` in this thread/task, innermost first
_ACTIVE: ContextVar[tuple[EnvSettings, ...]] = ContextVar("active_settings", default=())


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
        """The settings passed down by :func:`use`, else the process environment's."""
        for active in _ACTIVE.get():
            if isinstance(active, cls):
                return active
        key = tuple(os.environ.get(name) for name in cls.env_names())
        cached = _CACHE.get(cls)
        if cached is not None and cached[0] == key:
            return cached[1]  # type: ignore[return-value]
        settings = cls.from_env()
        _CACHE[cls] = (key, settings)
        return settings


@contextmanager
def use(*settings: EnvSettings) -> Iterator[None]:
    """Within the block, ``X.current()`` is the given object that is an ``X`` (this thread only)."""
    token = _ACTIVE.set((*settings, *_ACTIVE.get()))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def handler_settings(*classes: type[EnvSettings]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a Lambda handler: each invocation runs inside ``use()`` of ``classes`` (and of
    :class:`AwsSettings`) read from the environment (validated once per cold start, then cached).

    A class the environment does not satisfy is not passed down: the code that needs it raises
    the :class:`ConfigurationError` where it did (inside the resolver, with the error shape),
    and a function that never touches it keeps working (inventory's functions name only the
    tables they use).
    """

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            found = []
            for cls in (*classes, AwsSettings):
                try:
                    found.append(cls.current())
                except ConfigurationError:
                    continue
            with use(*found):
                return handler(*args, **kwargs)

        return wrapper

    return decorate


class AwsSettings(EnvSettings):
    """Where the AWS APIs are: the region (``AWS_REGION``, else ``AWS_DEFAULT_REGION``, as
    Lambda sets them) and, when given explicitly, an endpoint and credentials for every client.

    From the environment only the region is read: a deployed function's endpoints and
    credentials are the SDK's standard resolution (``AWS_ENDPOINT_URL``,
    ``AWS_ENDPOINT_URL_<SERVICE>``, the credential chain), which botocore applies itself when
    ``endpoint_url`` and the keys are ``None``. The demo-data loader builds one with
    ``AwsSettings(region=..., endpoint_url=..., access_key_id=..., secret_access_key=...)``
    and passes it down with :func:`use`.
    """

    region: str | None = Field(default=None, alias="AWS_REGION")
    default_region: str | None = Field(default=None, alias="AWS_DEFAULT_REGION")
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None

    @classmethod
    def env_names(cls) -> list[str]:
        return ["AWS_REGION", "AWS_DEFAULT_REGION"]

    @property
    def region_name(self) -> str | None:
        return self.region or self.default_region

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``boto3.client`` (only those given: the SDK resolves the rest)."""
        given = {
            "region_name": self.region_name,
            "endpoint_url": self.endpoint_url,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "aws_session_token": self.session_token,
        }
        return {name: value for name, value in given.items() if value is not None}


def aws() -> AwsSettings:
    return AwsSettings.current()


def aws_region() -> str | None:
    """The region the handler was given (Lambda and the local runtime set it in the environment)."""
    return AwsSettings.current().region_name

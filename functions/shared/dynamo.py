"""pynamodb helpers shared by every domain's data-access layer.

- :class:`Lazy` / :class:`BaseMeta`: table names, region, endpoint and credentials are read
  from the settings passed down (``shared.settings.use``; by default the environment's) when
  a request needs them, not at import time. A model declares::

      class Meta(BaseMeta):
          table_name = Lazy(lambda: InventorySettings.current().products_table)

  The endpoint and credentials are set only when an :class:`shared.settings.AwsSettings` gives
  them (the demo-data loader); otherwise botocore picks ``AWS_ENDPOINT_URL`` (or
  ``AWS_ENDPOINT_URL_DYNAMODB``) and the credential chain up itself when it creates its client.
- :class:`DecimalAttribute`, :class:`IntegerAttribute`: numbers that stay ``Decimal``/``int``
  (pynamodb's ``NumberAttribute`` goes through ``json.loads`` and yields floats).
- :class:`RegistryModel`: the base of a domain's "keys" table (hash key ``pk``) that holds
  atomic id counters (``UpdateItem ADD``) and uniqueness guards (one item per unique value,
  written in the same transaction as the entity it protects).
- :func:`record_of`, :func:`attribute_value`: a pynamodb record (or an attribute's value) from a
  pydantic domain model, nested maps and lists of maps built from the attributes' types (the
  other way is pydantic's: ``DomainModel.model_validate(record)`` with ``from_attributes``);
  :func:`save_all` writes domain models in batch writes.
- :func:`transact_write`, :func:`cancellation_codes`: transactions with the right region and
  readable failure reasons.
- One botocore session per thread for every model: pynamodb 6 makes a session per model class
  (``Connection.session`` calls ``get_session()`` for each connection), and a session costs
  about 40 ms of CPU to set up (its event handlers, its loaders): a function with eight tables
  paid ~300 ms at cold start for clients that could share one (~75 ms, measured with the
  inventory tables in a fresh process, 2026-12-03). Threads keep their own session, as
  pynamodb requires (botocore client creation is not thread-safe).
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import botocore.session
import pynamodb
import pynamodb.connection.base as _pynamodb_connection
from pydantic import BaseModel
from pynamodb.attributes import Attribute, ListAttribute, MapAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.connection import Connection
from pynamodb.constants import NUMBER
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from shared.settings import aws, aws_region

_sessions = threading.local()


def thread_session() -> botocore.session.Session:
    """This thread's botocore session, shared by every model's connection."""
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = botocore.session.get_session()
    return session


# pynamodb 6 looks get_session up in its connection module at each new connection
if pynamodb.__version__.startswith("6.") and hasattr(_pynamodb_connection, "get_session"):
    _pynamodb_connection.get_session = thread_session

CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
MAX_RETRY_ATTEMPTS = 3


class Lazy:
    """A class attribute whose value is computed on every access (for pynamodb ``Meta``)."""

    def __init__(self, getter: Callable[[], Any]) -> None:
        self.getter = getter

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self.getter()


class BaseMeta:
    """Defaults for every model's ``Meta``: where AWS is from the settings passed down
    (``shared.settings.AwsSettings``), Lambda-sized timeouts."""

    region = Lazy(aws_region)
    host = Lazy(lambda: aws().endpoint_url)
    aws_access_key_id = Lazy(lambda: aws().access_key_id)
    aws_secret_access_key = Lazy(lambda: aws().secret_access_key)
    aws_session_token = Lazy(lambda: aws().session_token)
    connect_timeout_seconds = CONNECT_TIMEOUT_SECONDS
    read_timeout_seconds = READ_TIMEOUT_SECONDS
    max_retry_attempts = MAX_RETRY_ATTEMPTS


R = TypeVar("R", bound=Model)
D = TypeVar("D", bound=BaseModel)


def attribute_value(attribute: Attribute[Any], value: Any) -> Any:
    """``value`` (a pydantic model, a mapping, a list of them, a scalar) as ``attribute`` stores
    it: a typed ``MapAttribute`` from a model or a mapping, a list of them for a
    ``ListAttribute(of=...)``; scalars as they are."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if value is None:
        return None
    if isinstance(attribute, ListAttribute) and isinstance(value, list | tuple):
        element = attribute.element_type
        if element is not None and issubclass(element, MapAttribute) and element is not MapAttribute:
            return [_map_of(element, item) for item in value]
        return list(value)
    if isinstance(attribute, MapAttribute) and type(attribute) is not MapAttribute and isinstance(value, Mapping):
        return _map_of(type(attribute), value)
    return value


def _map_of(cls: type[MapAttribute], value: Any) -> MapAttribute:
    if isinstance(value, BaseModel):
        value = value.model_dump()
    fields = cls.get_attributes()
    return cls(**{name: attribute_value(fields[name], item) for name, item in value.items() if name in fields})


def get_as(model: type[D], record: type[Model], *key: Any, consistent_read: bool = False) -> D | None:
    """GetItem of ``record`` at ``key`` as the domain ``model`` (``from_attributes``), or None
    when there is no such item."""
    try:
        item = record.get(*key, consistent_read=consistent_read)
    except record.DoesNotExist:
        return None
    return model.model_validate(item)


def record_of(model: type[R], source: BaseModel | Mapping[str, Any], **changes: Any) -> R:
    """A ``model`` record holding ``source``'s fields (those the model has), with ``changes``."""
    values = {**(source.model_dump() if isinstance(source, BaseModel) else source), **changes}
    attributes = model.get_attributes()
    return model(**{name: attribute_value(attributes[name], value) for name, value in values.items() if name in attributes})


def save_all(model: type[R], items: Iterable[BaseModel]) -> int:
    """Write domain models as ``model`` records in batch writes (unconditional puts); returns
    how many."""
    count = 0
    with model.batch_write() as batch:
        for item in items:
            batch.save(record_of(model, item))
            count += 1
    return count


def utcnow() -> datetime:
    return datetime.now(UTC)


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB number read back as ``Decimal`` (money)."""

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        if not value.is_finite():
            raise ValueError("DynamoDB numbers must be finite")
        return str(value)

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


class IntegerAttribute(Attribute[int]):
    """A DynamoDB number read back as ``int`` (ids, quantities)."""

    attr_type = NUMBER

    def serialize(self, value: int) -> str:
        return str(int(value))

    def deserialize(self, value: str) -> int:
        return int(Decimal(value))


class RegistryModel(Model):
    """Counters and uniqueness guards of one domain (subclass it with a ``Meta``).

    ``pk`` is ``counter#<name>`` for a counter (``counter`` holds the last id handed out) or
    ``unique#<kind>#<value>`` for a guard (``owner_id`` is the id of the entity owning the
    value).
    """

    pk = UnicodeAttribute(hash_key=True)
    counter = IntegerAttribute(null=True)
    owner_id = IntegerAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)


def counter_key(name: str) -> str:
    return f"counter#{name}"


def unique_key(kind: str, value: str) -> str:
    return f"unique#{kind}#{value}"


def allocate_ids(model: type[RegistryModel], name: str, count: int = 1) -> range:
    """Atomically reserve ``count`` consecutive ids from counter ``name`` (1, 2, 3 ...).

    Ids of failed creations are simply never used (gaps are fine, reuse is not).
    """
    if count < 1:
        raise ValueError("count must be >= 1")
    item = model(counter_key(name))
    item.update(actions=[model.counter.add(count)])
    last = int(item.counter or 0)
    return range(last - count + 1, last + 1)


def guard_item(model: type[RegistryModel], kind: str, value: str, owner_id: int) -> RegistryModel:
    return model(unique_key(kind, value), owner_id=owner_id, created_at=utcnow())


def add_guard(tx: TransactWrite, model: type[RegistryModel], kind: str, value: str, owner_id: int) -> None:
    """Claim a unique value inside a transaction; the transaction fails if it is taken."""
    tx.save(guard_item(model, kind, value, owner_id), condition=model.pk.does_not_exist())


def release_guard(tx: TransactWrite, model: type[RegistryModel], kind: str, value: str, owner_id: int) -> None:
    """Release a unique value inside a transaction (only if ``owner_id`` owns it)."""
    tx.delete(model(unique_key(kind, value)), condition=model.owner_id == owner_id)


def guard_owner(model: type[RegistryModel], kind: str, value: str) -> int | None:
    try:
        return model.get(unique_key(kind, value), consistent_read=True).owner_id
    except model.DoesNotExist:
        return None


_connections: dict[tuple[Any, ...], Connection] = {}


def transact_write() -> TransactWrite:
    """A ``TransactWrite`` on a connection for the settings passed down (region, endpoint)."""
    settings = aws()
    # without an explicit endpoint botocore reads the endpoint variables when it creates the
    # client: key the cache on them too
    key = (settings, os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"))
    connection = _connections.get(key)
    if connection is None:
        connection = Connection(
            region=settings.region_name,
            host=settings.endpoint_url,
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=settings.secret_access_key,
            aws_session_token=settings.session_token,
            connect_timeout_seconds=CONNECT_TIMEOUT_SECONDS,
            read_timeout_seconds=READ_TIMEOUT_SECONDS,
            max_retry_attempts=MAX_RETRY_ATTEMPTS,
        )
        _connections[key] = connection
    return TransactWrite(connection=connection)


def cancellation_codes(exc: TransactWriteError) -> list[str | None]:
    """Per-item cancellation codes (``ConditionalCheckFailed``, ``None`` ...).

    pynamodb sends a transaction's items in this order: condition checks, deletes, puts,
    updates; the codes come back in the same order.
    """
    return [reason.code if reason else None for reason in (exc.cancellation_reasons or [])]


def is_conditional_failure(exc: Exception) -> bool:
    """True when a single-item write failed its condition expression."""
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


CONDITION_FAILED = "ConditionalCheckFailed"
TRANSACTION_CONFLICT = "TransactionConflict"


class TransactionConflictError(Exception):
    """DynamoDB cancelled a transaction because another one touched the same items (retry)."""


def backoff(attempt: int) -> float:
    """Seconds to wait before retrying a conflicting transaction (full jitter)."""
    return random.uniform(0, min(0.2, 0.01 * 2**attempt))


def raw_number(item: dict[str, Any] | None, name: str, default: int = 0) -> int:
    """An integer attribute of a raw DynamoDB item (``{"available": {"N": "3"}}``), e.g. the item
    a failed condition returned (``ReturnValuesOnConditionCheckFailure=ALL_OLD``)."""
    if not item or name not in item or "N" not in item[name]:
        return default
    return int(item[name]["N"])

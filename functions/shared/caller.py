"""The caller of a request, as the API's Lambda authorizer described it.

The authorizer (``functions/authorizer``) decides which routes a role may call; it also passes
the caller's context to the integration in ``requestContext.authorizer``: ``role`` and, for a
store key, ``stores``: the store ids the key belongs to (empty or absent: every
store; the key's ``stores`` tag, ids separated by spaces since tag values allow no comma).
Handlers use :class:`Caller` for the rules the route table cannot express: a store key
records and reads the sales and returns of its own stores and reports on them only.

A request without an authorizer context (a direct Invoke, a test harness) is a caller with every
right: the gateway is where callers are told apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.errors import ForbiddenError, UnprocessableError


class StoreForbiddenError(ForbiddenError):
    """A store key named a store that is not one of its own."""

    code = "store_forbidden"

    def __init__(self, store_id: int, own: frozenset[int]):
        super().__init__(f"store {store_id} is not one of this key's stores ({_ids(own)})",
                         details=[{"store_id": store_id, "own_stores": sorted(own)}])


class StoreRequiredError(UnprocessableError):
    """A key of several stores listed sales or returns without saying which store's."""

    code = "store_id_required"

    def __init__(self, own: frozenset[int]):
        super().__init__(f"this key belongs to stores {_ids(own)}: say which one with store_id",
                         details=[{"loc": ["query", "store_id"], "own_stores": sorted(own)}])


class ChainWideReportError(ForbiddenError):
    """A key of some stores asked for a report of the whole chain (online sales included)."""

    code = "chain_wide_report"

    def __init__(self, own: frozenset[int]):
        super().__init__(f"this report covers the whole chain; this key reports on stores {_ids(own)} only")


def _ids(stores: frozenset[int]) -> str:
    return ", ".join(str(s) for s in sorted(stores))


@dataclass(frozen=True)
class Caller:
    role: str | None = None
    stores: frozenset[int] | None = None  # None: every store

    @classmethod
    def from_authorizer(cls, context: Mapping[str, Any] | None) -> "Caller":
        context = context or {}
        raw = str(context.get("stores") or "").replace(",", " ").split()
        stores = frozenset(int(s) for s in raw if s.isdigit()) if raw else None
        return cls(role=context.get("role") or None, stores=stores)

    @classmethod
    def of(cls, event: Any) -> "Caller":
        """The caller of a powertools proxy event (``app.current_event``)."""
        return cls.from_authorizer(event.request_context.authorizer.raw_event)

    @property
    def scoped(self) -> bool:
        return self.stores is not None

    def check_store(self, store_id: int) -> None:
        if self.stores is not None and store_id not in self.stores:
            raise StoreForbiddenError(store_id, self.stores)

    def store_filter(self, store_id: int | None) -> int | None:
        """The store a listing is for: the one asked (if it is the key's), the key's only store,
        or every store for a key of every store."""
        if self.stores is None:
            return store_id
        if store_id is not None:
            self.check_store(store_id)
            return store_id
        if len(self.stores) == 1:
            return next(iter(self.stores))
        raise StoreRequiredError(self.stores)

    def check_chain_wide(self) -> None:
        if self.stores is not None:
            raise ChainWideReportError(self.stores)


EVERY_STORE = Caller()  # no authorizer context: every right (the module docstring)

"""Reads and writes of stores and cash registers (take and return :class:`retail.models.Store`
and :class:`retail.models.CashRegister`), id counters and uniqueness guards."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from retail.dal.tables import CashRegisterRecord, RetailRegistry, StoreRecord
from retail.models import CashRegister, Store
from shared.dynamo import (
    add_guard,
    allocate_ids,
    cancellation_codes,
    get_as,
    guard_owner,
    record_of,
    transact_write,
)
from shared.errors import AlreadyExistsError
from shared.pagination import read_page, scope_of

# guard kinds in the registry table
STORE_NAME = "store-name"
REGISTER_NUMBER = "register-number"


def next_id(counter: str, count: int = 1) -> range:
    return allocate_ids(RetailRegistry, counter, count)


def register_number_key(store_id: int, number: int) -> str:
    return f"{store_id}#{number}"


# ---------------------------------------------------------------- stores
def get_store(store_id: int, *, consistent: bool = False) -> Store | None:
    return get_as(Store, StoreRecord, store_id, consistent_read=consistent)


def find_store_by_name(name: str) -> Store | None:
    owner = guard_owner(RetailRegistry, STORE_NAME, name.casefold())
    return get_store(owner, consistent=True) if owner is not None else None


def list_stores(*, limit: int, next_token: str | None) -> tuple[list[Store], str | None]:
    return read_page(Store, StoreRecord, scope=scope_of("stores"), limit=limit, next_token=next_token)


def create_store(store: Store) -> Store:
    """Write the store and claim its name, in one transaction (its inventory location was
    opened before, through inventory's interface)."""
    try:
        with transact_write() as tx:  # puts, in this order: store, name guard
            tx.save(record_of(StoreRecord, store), condition=StoreRecord.store_id.does_not_exist())
            add_guard(tx, RetailRegistry, STORE_NAME, store.name.casefold(), store.store_id)
    except TransactWriteError as exc:
        if cancellation_codes(exc)[1:2] == ["ConditionalCheckFailed"]:
            raise AlreadyExistsError("store", "name", store.name) from None
        raise
    return store


# ---------------------------------------------------------------- cash registers
def get_register(store_id: int, register_id: int) -> CashRegister | None:
    return get_as(CashRegister, CashRegisterRecord, store_id, register_id, consistent_read=True)


def register_number_owner(store_id: int, number: int) -> int | None:
    return guard_owner(RetailRegistry, REGISTER_NUMBER, register_number_key(store_id, number))


def create_register(register: CashRegister) -> CashRegister:
    """Write the register and claim its number in its store, in one transaction."""
    try:
        with transact_write() as tx:
            tx.save(record_of(CashRegisterRecord, register), condition=CashRegisterRecord.register_id.does_not_exist())
            add_guard(
                tx,
                RetailRegistry,
                REGISTER_NUMBER,
                register_number_key(register.store_id, register.number),
                register.register_id,
            )
    except TransactWriteError as exc:
        if cancellation_codes(exc)[1:2] == ["ConditionalCheckFailed"]:
            raise AlreadyExistsError("cash register", "number", register.number) from None
        raise
    return register


def registers_of(store_id: int) -> list[CashRegister]:
    return [CashRegister.model_validate(record) for record in CashRegisterRecord.query(store_id, consistent_read=True)]


def list_registers(
    *, limit: int, next_token: str | None, store_id: int | None
) -> tuple[list[CashRegister], str | None]:
    """A store's registers (Query) or all of them (Scan)."""
    return read_page(
        CashRegister,
        CashRegisterRecord,
        scope=scope_of("registers", store_id=store_id),
        limit=limit,
        next_token=next_token,
        hash_key=store_id,
    )

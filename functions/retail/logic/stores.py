"""Stores and cash registers: the business rules.

- Store ids are integers from an atomic counter; store N holds its stock at inventory's
  location ``store-N``. Creating a store first opens that location through inventory's
  interface (reference ``store-N``; a location that already exists is a 409
  ``location_exists``; the next attempt gets the next id), then writes the store; if the store
  cannot be written, the location is closed again: a failed creation leaves nothing behind.
- Store names are unique, case-insensitively (409 ``already_exists``).
- A cash register belongs to one store (422 ``invalid_reference`` for an unknown store) and has
  a number unique within its store (409 ``already_exists``).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from retail.dal import inventory as inventory_dal
from retail.dal import stores as dal
from retail.errors import LocationTakenError
from retail.logic.rules import location_of_store
from retail.models import CashRegister, Store
from retail.schemas import CashRegisterCreate, CashRegisterOut, CashRegisterPage, StoreCreate, StoreOut, StorePage
from shared.contracts.inventory import InventoryRefusal, InventoryUnavailable
from shared.dynamo import utcnow
from shared.errors import AlreadyExistsError, InvalidReferenceError, NotFoundError

logger = Logger(child=True)


def default_register_name(number: int) -> str:
    return f"Register {number}"


# ---------------------------------------------------------------- references
def require_store(store_id: int, loc: list[str | int]) -> Store:
    """The store named in a body or a filter (422 ``invalid_reference`` if unknown)."""
    store = dal.get_store(store_id)
    if store is None:
        raise InvalidReferenceError(loc, "store", store_id)
    return store


# ---------------------------------------------------------------- stores
def new_store(store_id: int, request: StoreCreate) -> Store:
    return Store(
        store_id=store_id,
        name=request.name,
        address=request.address,
        phone=request.phone,
        location_id=location_of_store(store_id),
        created_at=utcnow(),
    )


def open_location(store: Store, reference: str) -> None:
    try:
        inventory_dal.open_location(reference, store.location_id, store.name, store.address)
    except InventoryRefusal as exc:
        if exc.error_type == "LocationExists":
            raise LocationTakenError(store.location_id) from None
        raise InventoryUnavailable(str(exc)) from None


def create_store(request: StoreCreate) -> StoreOut:
    if dal.find_store_by_name(request.name) is not None:  # cheap early answer; the transaction decides
        raise AlreadyExistsError("store", "name", request.name)
    store = new_store(dal.next_id("store")[0], request)
    reference = f"store-{store.store_id}"
    open_location(store, reference)
    try:
        dal.create_store(store)
    except Exception:
        try:
            inventory_dal.close_location(reference, store.location_id)
        except Exception:
            logger.exception("compensation failed: location left open", extra={"location_id": store.location_id})
        raise
    logger.info("store created", extra={"store_id": store.store_id, "location_id": store.location_id})
    return StoreOut.model_validate(store)


def get_store(store_id: int) -> StoreOut:
    store = dal.get_store(store_id)
    if store is None:
        raise NotFoundError("store", store_id)
    return StoreOut.model_validate(store)


def list_stores(*, limit: int, next_token: str | None) -> StorePage:
    stores, token = dal.list_stores(limit=limit, next_token=next_token)
    return StorePage(items=[StoreOut.model_validate(store) for store in stores], next_token=token)


# ---------------------------------------------------------------- cash registers
def create_register(request: CashRegisterCreate) -> CashRegisterOut:
    require_store(request.store_id, ["body", "store_id"])
    if dal.register_number_owner(request.store_id, request.number) is not None:
        raise AlreadyExistsError("cash register", "number", request.number)
    register = CashRegister(
        store_id=request.store_id,
        register_id=dal.next_id("register")[0],
        number=request.number,
        name=request.name or default_register_name(request.number),
        created_at=utcnow(),
    )
    dal.create_register(register)
    logger.info("cash register created", extra={"store_id": register.store_id, "register_id": register.register_id})
    return CashRegisterOut.model_validate(register)


def list_registers(*, limit: int, next_token: str | None, store_id: int | None) -> CashRegisterPage:
    if store_id is not None:
        require_store(store_id, ["query", "store_id"])
    registers, token = dal.list_registers(limit=limit, next_token=next_token, store_id=store_id)
    return CashRegisterPage(items=[CashRegisterOut.model_validate(register) for register in registers], next_token=token)

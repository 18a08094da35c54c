"""Reads and writes of customers, with the case-insensitive e-mail guard (takes and returns
:class:`ecommerce.models.Customer`)."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from ecommerce.dal.tables import CustomerRecord, EcommerceRegistry
from ecommerce.models import Customer
from shared.dynamo import (
    add_guard,
    attribute_value,
    cancellation_codes,
    get_as,
    guard_owner,
    is_conditional_failure,
    record_of,
    release_guard,
    transact_write,
)
from shared.errors import AlreadyExistsError, ConcurrentModificationError, NotFoundError
from shared.pagination import read_page, scope_of

EMAIL = "email"  # guard kind in the registry: unique#email#<case-folded e-mail>


def email_key(email: str) -> str:
    return email.strip().casefold()


def get_customer(customer_id: int, *, consistent: bool = False) -> Customer | None:
    return get_as(Customer, CustomerRecord, customer_id, consistent_read=consistent)


def get_customers(customer_ids: list[int]) -> list[Customer]:
    """The customers that exist among ``customer_ids`` (one BatchGetItem per 100)."""
    return [Customer.model_validate(record) for record in CustomerRecord.batch_get(customer_ids)]


def owner_of_email(email: str) -> int | None:
    return guard_owner(EcommerceRegistry, EMAIL, email_key(email))


def create_customer(customer: Customer) -> Customer:
    """Write a new customer and claim its e-mail, atomically (409 when the e-mail is taken)."""
    record = record_of(CustomerRecord, customer)
    try:
        with transact_write() as tx:  # puts, in this order: customer, guard
            tx.save(record, condition=CustomerRecord.customer_id.does_not_exist())
            add_guard(tx, EcommerceRegistry, EMAIL, email_key(record.email), record.customer_id)
    except TransactWriteError as exc:
        if cancellation_codes(exc)[1:2] == ["ConditionalCheckFailed"]:
            raise AlreadyExistsError("customer", "email", record.email) from None
        raise
    return customer


def update_customer(current: Customer, values: dict[str, Any], updated_at: Any) -> Customer:
    """Apply ``values`` (field name -> new value, ``None`` removes) to a customer.

    An e-mail change moves the guard in the same transaction (409 when the new one is taken);
    the write is conditional on the e-mail read, so two concurrent changes cannot both win.
    """
    actions = []
    for name, value in values.items():
        attribute = getattr(CustomerRecord, name)
        actions.append(attribute.remove() if value is None else attribute.set(attribute_value(attribute, value)))
    actions.append(CustomerRecord.updated_at.set(updated_at))
    condition = CustomerRecord.customer_id.exists() & (CustomerRecord.email == current.email)
    item = CustomerRecord(current.customer_id)
    new_email = values.get("email")
    if new_email is not None and email_key(new_email) != email_key(current.email):
        try:
            with transact_write() as tx:  # deletes, puts, updates
                release_guard(tx, EcommerceRegistry, EMAIL, email_key(current.email), current.customer_id)
                add_guard(tx, EcommerceRegistry, EMAIL, email_key(new_email), current.customer_id)
                tx.update(item, actions=actions, condition=condition)
        except TransactWriteError as exc:
            codes = cancellation_codes(exc)
            if codes[1:2] == ["ConditionalCheckFailed"]:
                raise AlreadyExistsError("customer", "email", new_email) from None
            if "ConditionalCheckFailed" in codes:
                raise ConcurrentModificationError(f"customer {current.customer_id} changed concurrently; retry") from None
            raise
        updated = get_customer(current.customer_id, consistent=True)
        if updated is None:  # pragma: no cover - customers are never deleted
            raise NotFoundError("customer", current.customer_id)
        return updated
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if is_conditional_failure(exc):
            raise ConcurrentModificationError(f"customer {current.customer_id} changed concurrently; retry") from None
        raise
    return Customer.model_validate(item)


def list_customers(*, limit: int, next_token: str | None) -> tuple[list[Customer], str | None]:
    return read_page(Customer, CustomerRecord, scope=scope_of("customers"), limit=limit, next_token=next_token)

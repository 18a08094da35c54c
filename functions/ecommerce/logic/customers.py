"""Customers: the business rules.

- The e-mail is unique among customers, case-insensitively (409 ``already_exists``); it is
  stored as given (trimmed). A change of e-mail releases the old one.
- The first address is the default shipping address of the customer's orders.
- Customers are never deleted (orders refer to them).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from ecommerce.dal import customers as dal
from ecommerce.dal.registry import next_id
from ecommerce.errors import CustomerNotFound
from ecommerce.models import Address, Customer, now
from ecommerce.schemas import CustomerCreate, CustomerOut, CustomerPage, CustomerUpdate
from shared.errors import AlreadyExistsError, InvalidPaginationTokenError, NotFoundError

logger = Logger(child=True)
metrics = Metrics()


def require_customer(customer_id: int) -> Customer:
    """The customer named in a URL path (404)."""
    customer = dal.get_customer(customer_id)
    if customer is None:
        raise NotFoundError("customer", customer_id)
    return customer


def referenced_customer(customer_id: int, loc: list[str | int] | None = None) -> Customer:
    """The customer named in a body or a filter (422 ``invalid_reference`` / ``CustomerNotFound``)."""
    customer = dal.get_customer(customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id, loc)
    return customer


def create_customer(request: CustomerCreate) -> CustomerOut:
    if dal.owner_of_email(request.email) is not None:  # cheap early answer; the transaction decides
        raise AlreadyExistsError("customer", "email", request.email)
    at = now()
    customer = Customer(customer_id=next_id("customer")[0], created_at=at, updated_at=at, **request.model_dump())
    dal.create_customer(customer)
    metrics.add_metric(name="CustomersCreated", unit=MetricUnit.Count, value=1)
    logger.info("customer created", extra={"customer_id": customer.customer_id})
    return CustomerOut.model_validate(customer)


def get_customer(customer_id: int) -> CustomerOut:
    return CustomerOut.model_validate(require_customer(customer_id))


def update_customer(customer_id: int, request: CustomerUpdate) -> CustomerOut:
    current = dal.get_customer(customer_id, consistent=True)
    if current is None:
        raise NotFoundError("customer", customer_id)
    changes = request.changes()
    if "email" in changes:
        owner = dal.owner_of_email(changes["email"])
        if owner is not None and owner != customer_id:
            raise AlreadyExistsError("customer", "email", changes["email"])
    values = {}
    for name, value in changes.items():
        if name == "addresses":  # [] removes them
            values[name] = [Address.model_validate(address) for address in value] if value else None
        else:
            values[name] = value
    updated = dal.update_customer(current, values, now())
    logger.info("customer updated", extra={"customer_id": customer_id, "fields": sorted(changes)})
    return CustomerOut.model_validate(updated)


def list_customers(*, limit: int, next_token: str | None, email: str | None) -> CustomerPage:
    if email is not None:
        if next_token is not None:  # an e-mail listing has a single page
            raise InvalidPaginationTokenError()
        # at most one customer: the e-mail guard names it (no pagination needed)
        owner = dal.owner_of_email(email)
        customer = dal.get_customer(owner) if owner is not None else None
        return CustomerPage(items=[customer] if customer else [], next_token=None)
    customers, token = dal.list_customers(limit=limit, next_token=next_token)
    return CustomerPage(items=customers, next_token=token)

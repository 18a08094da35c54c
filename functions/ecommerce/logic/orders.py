"""Orders: the business rules (the REST API and the saga functions share them).

- An order is created ``pending`` from lines or from an open cart, for an existing customer
  (``CustomerNotFound``: 422 ``invalid_reference``). Every line is priced from the inventory
  catalogue at that moment (unknown or deleted product: ``ProductNotFound``, 422); the totals
  follow ``logic.pricing``. The cart, if any, is closed (``status: ordered``) in the same
  transaction, so a cart gives at most one order.
- The shipping address defaults to the customer's first address (none: ``MissingAddress``,
  422), the billing address to the shipping address.
- With an idempotency key, creation happens once: a repeat with the same request returns the
  first order (``create-order`` record written in the order's transaction), a repeat with
  another request is ``IdempotencyConflict``, a key whose cancellation ran first is
  ``OperationAborted``.
- Status transitions follow ``logic.lifecycle``; each one is conditional on the status read
  and appends ``{status, at, reason}`` to ``status_history``.
- Cancelling by idempotency key when no order was created with it is a no-op that succeeds
  and retires the key (a late creation with it is then refused).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from ecommerce.dal import carts as carts_dal
from ecommerce.dal import idempotency as idem_dal
from ecommerce.dal import orders as dal
from ecommerce.dal.registry import next_id
from ecommerce.errors import (
    CartClosed,
    CartCustomerMismatch,
    CartNotFound,
    EmptyCart,
    MissingAddress,
    OrderNotFound,
)
from ecommerce.logic import catalog, lifecycle, pricing
from ecommerce.logic.customers import referenced_customer
from ecommerce.logic.idempotency import CREATE_ORDER, check_replay, request_hash
from ecommerce.models import Address, Cart, Customer, Order, StatusChange, now
from ecommerce.saga_schemas import CancelOrderOutput, ConfirmOrderOutput, CreateOrderOutput
from ecommerce.schemas import CustomerAddress, LineRequest, OrderOut, OrderPage
from ecommerce.settings import settings
from shared.errors import ConcurrentModificationError, NotFoundError

MAX_ATTEMPTS = 3

logger = Logger(child=True)
metrics = Metrics()


@dataclass(frozen=True)
class NewOrder:
    """What an order is made of, whoever asks (API or saga)."""

    customer_id: int
    lines: tuple[LineRequest, ...] | None = None
    cart_id: int | None = None
    shipping_address: CustomerAddress | None = None
    billing_address: CustomerAddress | None = None

    def fingerprint(self) -> dict[str, Any]:
        """The request as the idempotency check compares it."""
        return {
            "customer_id": self.customer_id,
            "lines": [[line.product_id, line.quantity] for line in self.lines] if self.lines is not None else None,
            "cart_id": self.cart_id,
            "shipping_address": self.shipping_address.model_dump() if self.shipping_address else None,
            "billing_address": self.billing_address.model_dump() if self.billing_address else None,
        }


# ---------------------------------------------------------------- reads
def require_order(order_id: int) -> Order:
    """The order named in a URL path (404)."""
    order = dal.get_order(order_id)
    if order is None:
        raise NotFoundError("order", order_id)
    return order


def get_order(order_id: int) -> OrderOut:
    return OrderOut.model_validate(require_order(order_id))


def list_orders(*, limit: int, next_token: str | None, customer_id: int | None, status: str | None) -> OrderPage:
    if customer_id is not None:
        referenced_customer(customer_id, ["query", "customer_id"])
    orders, token = dal.list_orders(limit=limit, next_token=next_token, customer_id=customer_id, status=status)
    return OrderPage(items=orders, next_token=token)


# ---------------------------------------------------------------- creation
def _replay(key: str, digest: str) -> tuple[Order, CreateOrderOutput] | None:
    stored = idem_dal.get(CREATE_ORDER, key)
    if stored is None:
        return None
    check_replay(operation=CREATE_ORDER, key=key, state=stored.state, stored_hash=stored.request_hash, request_digest=digest)
    order = dal.get_order(stored.resource_id, consistent=True)
    if order is None:  # pragma: no cover - written in the same transaction
        raise OrderNotFound(stored.resource_id)
    logger.info("order creation replayed", extra={"order_id": order.order_id, "idempotency_key": key})
    return order, CreateOrderOutput.model_validate(json.loads(stored.result))


def _default_address(customer: Customer) -> CustomerAddress | None:
    if not customer.addresses:
        return None
    return CustomerAddress.model_validate(customer.addresses[0])


def _with_recipient(address: CustomerAddress, customer: Customer) -> Address:
    if address.recipient is None:
        address = address.model_copy(update={"recipient": customer.full_name})
    return Address.model_validate(address)


def _cart_loc(index: int) -> list[str | int]:
    return ["body", "cart_id"]


def _line_loc(index: int) -> list[str | int]:
    return ["body", "lines", index, "product_id"]


def _cart_lines(new: NewOrder) -> tuple[Cart, list[tuple[int, int]]]:
    cart = carts_dal.get_cart(new.cart_id, consistent=True)  # type: ignore[arg-type]
    if cart is None:
        raise CartNotFound(new.cart_id)
    if cart.status != "open":
        raise CartClosed(cart.cart_id, cart.order_id)
    if cart.customer_id is not None and cart.customer_id != new.customer_id:
        raise CartCustomerMismatch(cart.cart_id, cart.customer_id, new.customer_id)
    if not cart.items:
        raise EmptyCart(cart.cart_id)
    return cart, [(item.product_id, item.quantity) for item in cart.items]


def build_order(
    order_id: int,
    *,
    customer: Customer,
    lines: list[pricing.Line],
    shipping: Address,
    billing: Address,
    at: datetime,
    source: str,
    cart_id: int | None = None,
    idempotency_key: str | None = None,
    tax_rate: Any = None,
) -> Order:
    """A pending order (also used by the demo-data loader)."""
    summary = pricing.summarize(lines, settings().tax_rate if tax_rate is None else tax_rate)
    return Order(
        order_id=order_id,
        customer_id=customer.customer_id,
        status=lifecycle.PENDING,
        lines=lines,
        **summary.model_dump(),
        shipping_address=shipping,
        billing_address=billing,
        status_history=[StatusChange(status=lifecycle.PENDING, at=at, reason="order placed")],
        cart_id=cart_id,
        idempotency_key=idempotency_key,
        source=source,
        order_date=at.date().isoformat(),
        created_at=at,
        updated_at=at,
    )


def create_order(new: NewOrder, *, idempotency_key: str | None, source: str) -> tuple[Order, CreateOrderOutput]:
    """Create a pending order (once per idempotency key); returns the order and its summary."""
    digest = request_hash(new.fingerprint())
    if idempotency_key is not None:
        replayed = _replay(idempotency_key, digest)
        if replayed is not None:
            return replayed

    customer = referenced_customer(new.customer_id, ["body", "customer_id"])
    cart: Cart | None = None
    if new.cart_id is not None:
        try:
            cart, requested = _cart_lines(new)
        except CartClosed:
            # a duplicate of the call that ordered the cart (racing us) gets that call's result
            replayed = _replay(idempotency_key, digest) if idempotency_key is not None else None
            if replayed is not None:
                return replayed
            raise
        loc_of = _cart_loc  # a product deleted since it was put in the cart
    else:
        requested = [(line.product_id, line.quantity) for line in new.lines or ()]
        loc_of = _line_loc
    lines = pricing.price_lines(requested, catalog.lookup(pid for pid, _ in requested), loc_of=loc_of)

    shipping = new.shipping_address or _default_address(customer)
    if shipping is None:
        raise MissingAddress(customer.customer_id)
    billing = new.billing_address or shipping
    order = build_order(
        next_id("order")[0],
        customer=customer,
        lines=lines,
        shipping=_with_recipient(shipping, customer),
        billing=_with_recipient(billing, customer),
        at=now(),
        source=source,
        cart_id=new.cart_id,
        idempotency_key=idempotency_key,
    )
    output = CreateOrderOutput.model_validate(order)
    idempotency = (
        idem_dal.completed(CREATE_ORDER, idempotency_key, digest, order.order_id, output.model_dump(mode="json"))
        if idempotency_key is not None
        else None
    )
    try:
        dal.create_order(order, idempotency=idempotency, cart=cart)
    except idem_dal.KeyTaken:
        replayed = _replay(idempotency_key, digest)  # type: ignore[arg-type]
        if replayed is None:  # pragma: no cover - the winner's record exists
            raise ConcurrentModificationError("order creation raced; retry") from None
        return replayed
    except dal.CartTaken:
        replayed = _replay(idempotency_key, digest) if idempotency_key is not None else None
        if replayed is not None:
            return replayed
        current = carts_dal.get_cart(cart.cart_id, consistent=True)  # type: ignore[union-attr]
        if current is not None and current.status == "open" and current.customer_id not in (None, new.customer_id):
            raise CartCustomerMismatch(current.cart_id, current.customer_id, new.customer_id) from None
        raise CartClosed(cart.cart_id, current.order_id if current else None) from None  # type: ignore[union-attr]

    metrics.add_metric(name="OrdersCreated", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="OrderValue", unit=MetricUnit.NoUnit, value=float(order.total))
    logger.info(
        "order created",
        extra={"order_id": order.order_id, "customer_id": order.customer_id, "total": str(order.total), "source": source},
    )
    return order, output


# ---------------------------------------------------------------- transitions
def _resolve(order_id: int | None, idempotency_key: str | None) -> int | None:
    """The order named by id, or created with ``idempotency_key`` (None: never created)."""
    if order_id is not None:
        return order_id
    stored = idem_dal.get(CREATE_ORDER, idempotency_key)  # type: ignore[arg-type]
    if stored is None or stored.state != idem_dal.COMPLETED:
        return None
    return stored.resource_id


def _transition(order_id: int, target: str, reason: str | None) -> tuple[Order, bool]:
    """Move the order to ``target`` unless it is there already; returns (order, changed)."""
    order = dal.get_order(order_id, consistent=True)
    for _attempt in range(MAX_ATTEMPTS):
        if order is None:
            raise OrderNotFound(order_id, ["order_id"])
        if not lifecycle.needs_transition(order_id, order.status, target):
            return order, False
        try:
            return dal.transition(order_id, expected=order.status, target=target, at=now(), reason=reason), True
        except dal.StaleOrder:
            order = dal.get_order(order_id, consistent=True)
    raise ConcurrentModificationError(f"order {order_id} keeps changing; retry")


def cancel_order(*, order_id: int | None, idempotency_key: str | None, reason: str) -> CancelOrderOutput:
    """Cancel an order (compensation). Idempotent: an order already cancelled is returned as
    it was cancelled; no order created with the key: a no-op that retires the key."""
    resolved = _resolve(order_id, idempotency_key)
    if resolved is None:
        stored = idem_dal.put_aborted(CREATE_ORDER, idempotency_key)  # type: ignore[arg-type]
        if stored.state == idem_dal.ABORTED:
            logger.info("cancel: no order was created with the key", extra={"idempotency_key": idempotency_key})
            return CancelOrderOutput(order_id=None, status="not_created", reason=reason)
        resolved = stored.resource_id  # created meanwhile: cancel it
    order, changed = _transition(resolved, lifecycle.CANCELLED, reason)
    if changed:
        metrics.add_metric(name="OrdersCancelled", unit=MetricUnit.Count, value=1)
        logger.info("order cancelled", extra={"order_id": order.order_id, "reason": reason})
    return CancelOrderOutput(order_id=order.order_id, status="cancelled", reason=order.reason_of("cancelled") or reason)


def confirm_order(*, order_id: int | None, idempotency_key: str | None, reason: str | None) -> ConfirmOrderOutput:
    """Confirm a pending order (the saga's last step). Idempotent; a cancelled order is
    ``InvalidOrderState``; an unknown one ``OrderNotFound``."""
    resolved = _resolve(order_id, idempotency_key)
    if resolved is None:
        raise OrderNotFound(idempotency_key, ["idempotency_key"])
    order, changed = _transition(resolved, lifecycle.CONFIRMED, reason or "order confirmed")
    if changed:
        metrics.add_metric(name="OrdersConfirmed", unit=MetricUnit.Count, value=1)
        logger.info("order confirmed", extra={"order_id": order.order_id})
    return ConfirmOrderOutput(order_id=order.order_id, status="confirmed", total=order.total)

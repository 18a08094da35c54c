"""Reads and writes of orders: creation (with its idempotency record and the cart it empties)
and status transitions, all conditional (takes and returns :class:`ecommerce.models.Order`)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import TransactWriteError, UpdateError

from ecommerce.dal import idempotency as idempotency_dal
from ecommerce.dal.idempotency import KeyTaken
from ecommerce.dal.tables import CartRecord, OrderRecord, StatusChangeMap
from ecommerce.models import Cart, IdempotencyEntry, Order
from shared.dynamo import cancellation_codes, get_as, is_conditional_failure, record_of, transact_write
from shared.pagination import read_page, scope_of



class CartTaken(Exception):
    """The cart was ordered (or changed customer) since it was read."""


class StaleOrder(Exception):
    """The order's status changed since it was read (re-read and decide again)."""


def get_order(order_id: int, *, consistent: bool = False) -> Order | None:
    return get_as(Order, OrderRecord, order_id, consistent_read=consistent)


def create_order(
    order: Order,
    *,
    idempotency: IdempotencyEntry | None = None,
    cart: Cart | None = None,
) -> Order:
    """Write a new order, its idempotency record and close its cart, in one transaction.

    ``KeyTaken``: another call with the same key won (replay its result). ``CartTaken``: the
    cart is no longer open for this customer.
    """
    try:
        with transact_write() as tx:  # puts (order, idempotency record), then the cart update
            tx.save(record_of(OrderRecord, order), condition=OrderRecord.order_id.does_not_exist())
            if idempotency is not None:
                idempotency_dal.save(tx, idempotency)
            if cart is not None:
                condition = CartRecord.cart_id.exists() & (CartRecord.status == "open")
                if cart.customer_id is None:
                    condition &= CartRecord.customer_id.does_not_exist()
                else:
                    condition &= CartRecord.customer_id == cart.customer_id
                tx.update(
                    CartRecord(cart.cart_id),
                    actions=[
                        CartRecord.status.set("ordered"),
                        CartRecord.order_id.set(order.order_id),
                        CartRecord.customer_id.set(order.customer_id),
                        CartRecord.updated_at.set(order.created_at),
                    ],
                    condition=condition,
                )
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if idempotency is not None and codes[1:2] == ["ConditionalCheckFailed"]:
            raise KeyTaken() from None
        if cart is not None and codes[-1:] == ["ConditionalCheckFailed"]:
            raise CartTaken() from None
        raise
    return order


def transition(order_id: int, *, expected: str, target: str, at: datetime, reason: str | None) -> Order:
    """Move an order from ``expected`` to ``target`` and append to its history (``StaleOrder``
    if its status is no longer ``expected``)."""
    item = OrderRecord(order_id)
    try:
        item.update(
            actions=[
                OrderRecord.status.set(target),
                OrderRecord.status_history.set(
                    OrderRecord.status_history.append([StatusChangeMap(status=target, at=at, reason=reason)])
                ),
                OrderRecord.updated_at.set(at),
            ],
            condition=OrderRecord.order_id.exists() & (OrderRecord.status == expected),
        )
    except UpdateError as exc:
        if is_conditional_failure(exc):
            raise StaleOrder() from None
        raise
    return Order.model_validate(item)


def list_orders(
    *, limit: int, next_token: str | None, customer_id: int | None, status: str | None
) -> tuple[list[Order], str | None]:
    """Orders of a customer (Query ``customer-index``, status filtered while reading) or with a
    status (Query ``status-index``): newest first; all orders: table order (Scan)."""
    by_customer = customer_id is not None
    return read_page(
        Order,
        OrderRecord,
        scope=scope_of("orders", customer_id=customer_id, status=status),
        limit=limit,
        next_token=next_token,
        hash_key=customer_id if by_customer else status,
        index=OrderRecord.by_customer if by_customer else OrderRecord.by_status if status is not None else None,
        filter_condition=(OrderRecord.status == status) if by_customer and status is not None else None,
        newest_first=True,
    )

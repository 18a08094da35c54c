"""Reads and writes of carts (takes and returns :class:`ecommerce.models.Cart`)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import UpdateError

from ecommerce.dal.tables import CartRecord
from ecommerce.models import Cart, Line
from shared.dynamo import attribute_value, get_as, is_conditional_failure, record_of
from shared.pagination import read_page, scope_of



class StaleCart(Exception):
    """The cart is no longer open, or got another customer, since it was read."""


def get_cart(cart_id: int, *, consistent: bool = False) -> Cart | None:
    return get_as(Cart, CartRecord, cart_id, consistent_read=consistent)


def create_cart(cart: Cart) -> Cart:
    record_of(CartRecord, cart).save(condition=CartRecord.cart_id.does_not_exist())
    return cart


def replace_items(
    cart: Cart,
    *,
    items: list[Line],
    item_count: int,
    subtotal: object,
    tax: object,
    total: object,
    customer_id: int | None,
    updated_at: datetime,
) -> Cart:
    """Replace the lines and totals of an open cart (attaching ``customer_id`` if given).

    Conditional on the cart still being open and still having the customer it was read with:
    ``StaleCart`` otherwise (re-read to find out why).
    """
    actions = [
        CartRecord.items.set(attribute_value(CartRecord.items, items)),
        CartRecord.item_count.set(item_count),
        CartRecord.subtotal.set(subtotal),
        CartRecord.tax.set(tax),
        CartRecord.total.set(total),
        CartRecord.updated_at.set(updated_at),
    ]
    condition = CartRecord.cart_id.exists() & (CartRecord.status == "open")
    if cart.customer_id is None:
        condition &= CartRecord.customer_id.does_not_exist()
    else:
        condition &= CartRecord.customer_id == cart.customer_id
    if customer_id is not None and customer_id != cart.customer_id:
        actions.append(CartRecord.customer_id.set(customer_id))
    item = CartRecord(cart.cart_id)
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if is_conditional_failure(exc):
            raise StaleCart() from None
        raise
    return Cart.model_validate(item)


def list_carts(
    *, limit: int, next_token: str | None, customer_id: int | None, status: str | None
) -> tuple[list[Cart], str | None]:
    """A customer's carts newest first (Query ``customer-index``) or all carts (Scan)."""
    return read_page(
        Cart,
        CartRecord,
        scope=scope_of("carts", customer_id=customer_id, status=status),
        limit=limit,
        next_token=next_token,
        hash_key=customer_id,
        index=CartRecord.by_customer if customer_id is not None else None,
        filter_condition=(CartRecord.status == status) if status is not None else None,
        newest_first=True,
    )

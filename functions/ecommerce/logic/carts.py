"""Carts: the business rules.

- A cart belongs to a customer or is a guest cart (``customer_id`` omitted); a guest cart can
  be attached to a customer later (PUT with ``customer_id``), a cart never changes customer
  (409 ``conflict``). The customer must exist (422 ``invalid_reference``).
- Items are one line per product, quantity 1..1000, at most 100 products; every product must
  be live in the inventory catalogue (422 ``invalid_reference``).
- Lines, subtotal, tax and total are priced from the catalogue each time the items are
  written (POST, PUT): they are a quote. The order made from the cart is priced again.
- PUT replaces all the items (omit a product to remove it).
- Once ordered, a cart is read only (``status: ordered``, 409 ``cart_closed`` on PUT).
"""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from ecommerce.dal import carts as dal
from ecommerce.dal.registry import next_id
from ecommerce.errors import CartClosed
from ecommerce.logic import catalog, pricing
from ecommerce.logic.customers import referenced_customer
from ecommerce.models import Cart, Totals, now
from ecommerce.schemas import CartCreate, CartOut, CartPage, CartUpdate, LineRequest
from ecommerce.settings import settings
from shared.errors import ConcurrentModificationError, ConflictError, NotFoundError

MAX_ATTEMPTS = 3

logger = Logger(child=True)
metrics = Metrics()


def _price(items: list[LineRequest]) -> tuple[list[pricing.Line], Totals]:
    requested = [(item.product_id, item.quantity) for item in items]
    lines = pricing.price_lines(
        requested,
        catalog.lookup(product_id for product_id, _ in requested),
        loc_of=lambda index: ["body", "items", index, "product_id"],
    )
    return lines, pricing.summarize(lines, settings().tax_rate)


def require_cart(cart_id: int, *, consistent: bool = False) -> Cart:
    cart = dal.get_cart(cart_id, consistent=consistent)
    if cart is None:
        raise NotFoundError("cart", cart_id)
    return cart


def create_cart(request: CartCreate) -> CartOut:
    if request.customer_id is not None:
        referenced_customer(request.customer_id, ["body", "customer_id"])
    lines, summary = _price(request.items)
    at = now()
    cart = new_cart(next_id("cart")[0], customer_id=request.customer_id, lines=lines, summary=summary, at=at)
    dal.create_cart(cart)
    metrics.add_metric(name="CartsCreated", unit=MetricUnit.Count, value=1)
    logger.info("cart created", extra={"cart_id": cart.cart_id, "customer_id": cart.customer_id})
    return CartOut.model_validate(cart)


def new_cart(
    cart_id: int, *, customer_id: int | None, lines: list[pricing.Line], summary: Totals, at: datetime
) -> Cart:
    """An open cart of priced lines (also used by the demo-data loader)."""
    return Cart(
        cart_id=cart_id, customer_id=customer_id, status="open", items=lines, created_at=at, updated_at=at, **summary.model_dump()
    )


def get_cart(cart_id: int) -> CartOut:
    return CartOut.model_validate(require_cart(cart_id))


def update_cart(cart_id: int, request: CartUpdate) -> CartOut:
    current = require_cart(cart_id, consistent=True)
    if request.customer_id is not None:
        referenced_customer(request.customer_id, ["body", "customer_id"])
    lines, summary = _price(request.items)
    for _attempt in range(MAX_ATTEMPTS):
        if current.status != "open":
            raise CartClosed(cart_id, current.order_id)
        if request.customer_id is not None and current.customer_id not in (None, request.customer_id):
            raise ConflictError(
                f"cart {cart_id} belongs to customer {current.customer_id}",
                details=[{"loc": ["body", "customer_id"], "cart_id": cart_id, "customer_id": current.customer_id}],
            )
        try:
            updated = dal.replace_items(
                current,
                items=lines,
                item_count=summary.item_count,
                subtotal=summary.subtotal,
                tax=summary.tax,
                total=summary.total,
                customer_id=request.customer_id,
                updated_at=now(),
            )
            break
        except dal.StaleCart:
            current = require_cart(cart_id, consistent=True)
    else:
        raise ConcurrentModificationError(f"cart {cart_id} keeps changing; retry")
    logger.info("cart updated", extra={"cart_id": cart_id, "items": len(lines)})
    return CartOut.model_validate(updated)


def list_carts(*, limit: int, next_token: str | None, customer_id: int | None, status: str | None) -> CartPage:
    if customer_id is not None:
        referenced_customer(customer_id, ["query", "customer_id"])
    carts, token = dal.list_carts(limit=limit, next_token=next_token, customer_id=customer_id, status=status)
    return CartPage(items=carts, next_token=token)

"""The point of sale's cart. It lives in the page's URL (``lines=1:2,5:1``: product 1 twice,
product 5 once), so every step is a plain link or form and a reload loses nothing; the prices
and the total come from the catalogue, as the API will compute them."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from web.errors import ApiRejected, BadInput

MAX_LINES = 50


@dataclass(frozen=True)
class CartLine:
    product_id: int
    quantity: int


def parse_lines(text: str | None) -> list[CartLine]:
    """``"1:2,5:1"`` -> lines, in order, one per product (a product given twice adds up)."""
    merged: dict[int, int] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        product, _, quantity = part.partition(":")
        try:
            product_id, qty = int(product), int(quantity or "1")
        except ValueError:
            raise BadInput(f"The cart line {part!r} is not product:quantity.") from None
        if product_id < 1 or qty < 1 or qty > 10_000:
            raise BadInput(f"The cart line {part!r} needs a product id and a quantity from 1 to 10000.")
        merged[product_id] = merged.get(product_id, 0) + qty
    if len(merged) > MAX_LINES:
        raise BadInput(f"A sale has at most {MAX_LINES} lines.")
    return [CartLine(p, q) for p, q in merged.items()]


def format_lines(lines: list[CartLine]) -> str:
    return ",".join(f"{line.product_id}:{line.quantity}" for line in lines)


def with_line(lines: list[CartLine], product_id: int, quantity: int = 1) -> str:
    return format_lines(parse_lines(format_lines([*lines, CartLine(product_id, quantity)])))


def without_line(lines: list[CartLine], product_id: int) -> str:
    return format_lines([line for line in lines if line.product_id != product_id])


@dataclass
class PricedLine:
    number: int
    product_id: int
    quantity: int
    product: dict[str, Any] | None
    unit_price: Decimal | None
    line_total: Decimal | None


@dataclass
class PricedCart:
    lines: list[PricedLine]
    total: Decimal
    unknown: list[int]          # product ids the catalogue does not have

    @property
    def empty(self) -> bool:
        return not self.lines


def price(lines: list[CartLine], products: dict[int, dict[str, Any] | None]) -> PricedCart:
    priced, total, unknown = [], Decimal("0.00"), []
    for number, line in enumerate(lines, start=1):
        product = products.get(line.product_id)
        if product is None:
            unknown.append(line.product_id)
            priced.append(PricedLine(number, line.product_id, line.quantity, None, None, None))
            continue
        unit = Decimal(str(product["price"]))
        line_total = (unit * line.quantity).quantize(Decimal("0.01"))
        total += line_total
        priced.append(PricedLine(number, line.product_id, line.quantity, product, unit, line_total))
    return PricedCart(priced, total, unknown)


def sale_problems(error: ApiRejected, lines: list[CartLine], products: dict[int, dict[str, Any] | None]) -> list[str]:
    """What the API refused, line by line, in words: ``Line 2, Green Tea (BEV-00008): only 78
    available at store-1, 2000 asked.``"""
    problems = []
    for detail in error.details:
        loc = detail.get("loc") or []
        index = loc[2] if len(loc) > 2 and loc[1] == "lines" and isinstance(loc[2], int) else None
        product_id = detail.get("product_id") or (lines[index].product_id if index is not None and index < len(lines)
                                                  else None)
        where = ""
        if index is not None or product_id is not None:
            number = index + 1 if index is not None else next(
                (i for i, line in enumerate(lines, 1) if line.product_id == product_id), None)
            product = products.get(product_id) if product_id else None
            name = f"{product['name']} ({product['sku']})" if product else f"product {product_id}"
            where = f"Line {number}, {name}: " if number else f"{name}: "
        if detail.get("type") == "insufficient_stock":
            why = (f"only {detail.get('available')} available at {detail.get('location_id')}, "
                   f"{detail.get('requested')} asked")
        else:
            why = detail.get("msg") or error.message
        problems.append(where + why)
    return problems or [error.message]

"""Business errors of the retail domain (status and code live on each class).

A sale short of stock is the shared ``InsufficientStock`` (409 ``insufficient_stock``), a return
to a store without the product's stock row the shared ``StockRowMissing`` (409
``stock_row_missing``): the rules are inventory's, one type each in every domain
(``shared.errors``); retail names the request's lines in them.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.errors import ConflictError, UnknownReferenceError, UnprocessableError


@dataclass(frozen=True)
class Excess:
    """A return line asking for more than is left to return on the sale."""

    line: int
    product_id: int
    sold: int
    already_returned: int
    requested: int

    @property
    def returnable(self) -> int:
        return max(self.sold - self.already_returned, 0)


class ReturnExceedsSaleError(ConflictError):
    """A return asks for more units than were sold and not yet returned (nothing is written)."""

    code = "return_exceeds_sale"

    def __init__(self, sale_id: int, excesses: list[Excess]) -> None:
        parts = [
            f"product {e.product_id}: {e.requested} requested, {e.returnable} returnable "
            f"({e.sold} sold, {e.already_returned} already returned)"
            for e in excesses
        ]
        super().__init__(
            f"sale {sale_id} cannot take this return: " + "; ".join(parts),
            details=[
                {
                    "loc": ["body", "lines", e.line, "quantity"],
                    "type": "return_exceeds_sale",
                    "product_id": e.product_id,
                    "sold": e.sold,
                    "already_returned": e.already_returned,
                    "requested": e.requested,
                }
                for e in excesses
            ],
        )
        self.excesses = excesses


class InvalidLineReferenceError(UnknownReferenceError):
    """Lines name products that do not exist (or are not part of the sale being returned)."""

    code = "invalid_reference"

    def __init__(self, message: str, lines: list[tuple[int, int]], resource: str = "product") -> None:
        super().__init__(
            message,
            details=[
                {"loc": ["body", "lines", index, "product_id"], "type": "invalid_reference", "resource": resource, "id": pid}
                for index, pid in lines
            ],
        )


def unknown_products_error(lines: list[tuple[int, int]]) -> InvalidLineReferenceError:
    ids = ", ".join(str(pid) for _, pid in lines)
    noun = "product" if len(lines) == 1 else "products"
    verb = "does" if len(lines) == 1 else "do"
    return InvalidLineReferenceError(f"{noun} {ids} {verb} not exist", lines)


def not_in_sale_error(sale_id: int, lines: list[tuple[int, int]]) -> InvalidLineReferenceError:
    ids = ", ".join(str(pid) for _, pid in lines)
    noun = "product" if len(lines) == 1 else "products"
    return InvalidLineReferenceError(f"{noun} {ids} not sold in sale {sale_id}", lines, resource="sale line")


class RegisterNotInStoreError(UnknownReferenceError):
    """The cash register does not exist, or belongs to another store."""

    code = "invalid_reference"

    def __init__(self, register_id: int, store_id: int) -> None:
        super().__init__(
            f"cash register {register_id} does not exist at store {store_id}",
            details=[
                {
                    "loc": ["body", "register_id"],
                    "type": "invalid_reference",
                    "resource": "cash register",
                    "id": register_id,
                    "store_id": store_id,
                }
            ],
        )


class InvalidPeriodError(UnprocessableError):
    """``from``/``to`` query dates that are not dates, or a period that ends before it starts."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, details=[{"loc": ["query", field], "type": "invalid_period", "msg": message}])


class LocationTakenError(ConflictError):
    """The inventory location a new store would own already exists (created outside retail:
    the interface's ``LocationExists``)."""

    code = "location_exists"

    def __init__(self, location_id: str) -> None:
        super().__init__(
            f"inventory location {location_id} already exists without a store; retry to get the next store id",
            details=[{"location_id": location_id}],
        )

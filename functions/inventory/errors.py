"""Business errors of the inventory domain (status and code live on each class)."""

from __future__ import annotations

from shared.errors import ConflictError


class InsufficientStockError(ConflictError):
    """An adjustment would take the available quantity below zero."""

    code = "insufficient_stock"

    def __init__(self, product_id: int, location_id: str, available: int, delta: int) -> None:
        super().__init__(
            f"product {product_id} has {available} available at {location_id}; "
            f"an adjustment of {delta} would make it negative",
            details=[
                {
                    "product_id": product_id,
                    "location_id": location_id,
                    "available": available,
                    "delta": delta,
                }
            ],
        )

"""Order and payment status lifecycles (pure).

Orders::

    pending --confirm--> confirmed --cancel--> cancelled
       \\------------------cancel-----------------^

- ``pending``: created (API or saga), prices fixed; can be paid, confirmed or cancelled.
- ``confirmed``: the saga reserved the stock and captured the payment; can still be cancelled
  by a compensation (the saga then refunds the payment and releases the stock).
- ``cancelled``: final.

Repeating the transition an order is already in is not an error (idempotent saga steps):
confirming a confirmed order or cancelling a cancelled one changes nothing.

Payments (one record per attempt)::

    authorized --capture--> captured --refund--> refunded
    (attempt) --decline--> declined

The simulated provider authorizes and captures in one call, so a stored payment is
``captured``, ``declined`` or ``refunded``; ``authorized`` appears in its status history.
"""

from __future__ import annotations

from ecommerce.errors import InvalidOrderState

PENDING, CONFIRMED, CANCELLED = "pending", "confirmed", "cancelled"
ORDER_STATUSES = (PENDING, CONFIRMED, CANCELLED)
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({CONFIRMED, CANCELLED}),
    CONFIRMED: frozenset({CANCELLED}),
    CANCELLED: frozenset(),
}
_ACTIONS = {CONFIRMED: "confirm", CANCELLED: "cancel"}

AUTHORIZED, CAPTURED, REFUNDED, DECLINED = "authorized", "captured", "refunded", "declined"
PAYMENT_STATUSES = (AUTHORIZED, CAPTURED, REFUNDED, DECLINED)
PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    AUTHORIZED: frozenset({CAPTURED, DECLINED}),
    CAPTURED: frozenset({REFUNDED}),
    DECLINED: frozenset(),
    REFUNDED: frozenset(),
}


def can_transition(current: str, target: str) -> bool:
    return target in ORDER_TRANSITIONS.get(current, frozenset())


def needs_transition(order_id: int, current: str, target: str) -> bool:
    """False if the order is already ``target`` (nothing to do); True if the move is allowed;
    ``InvalidOrderState`` otherwise."""
    if current == target:
        return False
    if not can_transition(current, target):
        raise InvalidOrderState(order_id, current, _ACTIONS.get(target, target))
    return True


def check_payable(order_id: int, status: str) -> None:
    """Only a pending order can be paid."""
    if status != PENDING:
        raise InvalidOrderState(order_id, status, "pay")


def can_transition_payment(current: str, target: str) -> bool:
    return target in PAYMENT_TRANSITIONS.get(current, frozenset())

"""Business errors of the e-commerce domain.

Each class carries its HTTP status and code (``shared.errors``), so the REST API maps it in one
place, and its *class name* is the ``errorType`` that Lambda reports when a saga participant
function raises it: the order saga's state machine matches those names in its ``Catch``
clauses (``"ErrorEquals": ["CustomerNotFound"]``). Business errors are final: retrying the
same input gives the same answer. Anything else a saga function raises (botocore errors,
``ConcurrentModificationError``, ``Sandbox.Timedout`` ...) is transient and worth a retry.

| errorType            | HTTP | code                     | when |
| -------------------- | ---- | ------------------------ | ---- |
| ``CustomerNotFound`` | 404  | ``invalid_reference``    | the customer of an order or cart does not exist |
| ``ProductNotFound``  | 404  | ``invalid_reference``    | a line names an unknown or deleted product |
| ``CartNotFound``     | 404  | ``invalid_reference``    | ``cart_id`` in an order request does not exist |
| ``OrderNotFound``    | 404  | ``invalid_reference``    | a payment or saga step names an unknown order |
| ``PaymentNotFound``  | 404  | ``invalid_reference``    | a refund names an unknown payment |
| ``InvalidOrderState``| 409  | ``invalid_order_state``  | a transition the lifecycle forbids (pay/confirm a cancelled order ...) |
| ``CartClosed``       | 409  | ``cart_closed``          | the cart was already turned into an order |
| ``OrderAlreadyPaid`` | 409  | ``already_paid``         | the order already has a captured payment |
| ``PaymentDeclined``  | 402  | ``payment_declined``     | the (simulated) provider declined the payment |
| ``AmountMismatch``   | 409  | ``amount_mismatch``      | the payment amount is not the order total |
| ``CartCustomerMismatch`` | 409 | ``cart_customer_mismatch`` | the cart belongs to another customer |
| ``EmptyCart``        | 409  | ``empty_cart``           | ordering a cart without items |
| ``MissingAddress``   | 409  | ``missing_address``      | no shipping address given and none on file |
| ``IdempotencyConflict`` | 409 | ``idempotency_conflict`` | an idempotency key reused with a different request |
| ``OperationAborted`` | 409  | ``operation_aborted``    | the key's compensation already ran (cancel/refund before the forward step) |
| ``InvalidInput``     | -    | -                        | a saga function's input failed validation (a state machine bug) |
"""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus
from typing import Any

from shared.errors import AppError, ConflictError, InvalidReferenceError
from shared.saga import InvalidInput  # noqa: F401  (re-exported: saga functions raise it)
from shared.types import format_money


class EcommerceBusinessError(AppError):
    """Base of the domain's business errors (final answers, never worth a retry)."""


# ---------------------------------------------------------------- references (404 invalid_reference)
class _Reference(InvalidReferenceError, EcommerceBusinessError):
    resource = "resource"

    def __init__(self, identifier: Any, loc: list[str | int] | None = None) -> None:
        super().__init__(loc or ["body", f"{self.resource}_id"], self.resource, identifier)
        self.identifier = identifier


class CustomerNotFound(_Reference):
    resource = "customer"


class ProductNotFound(_Reference):
    resource = "product"


class CartNotFound(_Reference):
    resource = "cart"


class OrderNotFound(_Reference):
    resource = "order"


class PaymentNotFound(_Reference):
    resource = "payment"


# ---------------------------------------------------------------- state (409)
class InvalidOrderState(ConflictError, EcommerceBusinessError):
    code = "invalid_order_state"

    def __init__(self, order_id: int, status: str, action: str) -> None:
        super().__init__(
            f"order {order_id} is {status}: cannot {action} it",
            details=[{"order_id": order_id, "status": status, "action": action}],
        )
        self.order_id, self.status_name, self.action = order_id, status, action


class CartClosed(ConflictError, EcommerceBusinessError):
    code = "cart_closed"

    def __init__(self, cart_id: int, order_id: int | None) -> None:
        super().__init__(
            f"cart {cart_id} was already ordered (order {order_id}); create a new cart",
            details=[{"cart_id": cart_id, "order_id": order_id}],
        )


class OrderAlreadyPaid(ConflictError, EcommerceBusinessError):
    code = "already_paid"

    def __init__(self, order_id: int, payment_id: int | None) -> None:
        super().__init__(
            f"order {order_id} already has a captured payment ({payment_id})",
            details=[{"order_id": order_id, "payment_id": payment_id}],
        )


class IdempotencyConflict(ConflictError, EcommerceBusinessError):
    code = "idempotency_conflict"

    def __init__(self, operation: str, key: str) -> None:
        super().__init__(
            f"idempotency key {key!r} was already used for a different {operation} request",
            details=[{"loc": ["body", "idempotency_key"], "operation": operation, "idempotency_key": key}],
        )


class OperationAborted(ConflictError, EcommerceBusinessError):
    code = "operation_aborted"

    def __init__(self, operation: str, key: str) -> None:
        super().__init__(
            f"{operation} with idempotency key {key!r} was compensated before it ran; use a new key",
            details=[{"operation": operation, "idempotency_key": key}],
        )


# ---------------------------------------------------------------- payments
class PaymentDeclined(EcommerceBusinessError):
    status = HTTPStatus.PAYMENT_REQUIRED
    code = "payment_declined"

    def __init__(self, payment_id: int, order_id: int, reason: str) -> None:
        super().__init__(
            f"payment {payment_id} for order {order_id} was declined: {reason}",
            details=[{"payment_id": payment_id, "order_id": order_id, "reason": reason}],
        )
        self.payment_id, self.order_id, self.reason = payment_id, order_id, reason


class AmountMismatch(ConflictError, EcommerceBusinessError):
    code = "amount_mismatch"

    def __init__(self, order_id: int, amount: Decimal, total: Decimal) -> None:
        super().__init__(
            f"amount {format_money(amount)} does not match the total {format_money(total)} of order {order_id}",
            details=[
                {
                    "loc": ["body", "amount"],
                    "type": "amount_mismatch",
                    "order_id": order_id,
                    "amount": format_money(amount),
                    "expected": format_money(total),
                }
            ],
        )


# ---------------------------------------------------------------- orders and carts (422)
class CartCustomerMismatch(ConflictError, EcommerceBusinessError):
    code = "cart_customer_mismatch"

    def __init__(self, cart_id: int, cart_customer: int, customer_id: int) -> None:
        super().__init__(
            f"cart {cart_id} belongs to customer {cart_customer}, not {customer_id}",
            details=[{"loc": ["body", "cart_id"], "type": "cart_customer_mismatch", "cart_id": cart_id}],
        )


class EmptyCart(ConflictError, EcommerceBusinessError):
    code = "empty_cart"

    def __init__(self, cart_id: int) -> None:
        super().__init__(
            f"cart {cart_id} has no items",
            details=[{"loc": ["body", "cart_id"], "type": "empty_cart", "cart_id": cart_id}],
        )


class MissingAddress(ConflictError, EcommerceBusinessError):
    code = "missing_address"

    def __init__(self, customer_id: int) -> None:
        super().__init__(
            f"no shipping_address given and customer {customer_id} has no address on file",
            details=[{"loc": ["body", "shipping_address"], "type": "missing"}],
        )

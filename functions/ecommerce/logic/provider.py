"""The payment provider, simulated inside the domain and deterministic (pure).

- ``payment_method == "declined_card"`` or ``card_token == "tok_declined"``: declined
  (reason ``card_declined``);
- anything else (``credit_card``, ``debit_card``, ``paypal``, ``tok_visa`` ...): authorized and
  captured at once.

The provider's reference is derived from the idempotency key, so a retried attempt carries
the same reference.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

DECLINED_METHODS = frozenset({"declined_card"})
DECLINED_TOKENS = frozenset({"tok_declined"})
DECLINE_REASON = "card_declined"


@dataclass(frozen=True)
class Decision:
    approved: bool
    reference: str
    decline_reason: str | None = None


def reference_for(idempotency_key: str) -> str:
    return "sim_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


def authorize_and_capture(
    *, payment_method: str, card_token: str | None, amount: Decimal, idempotency_key: str
) -> Decision:
    if amount <= 0:
        raise ValueError("amount must be positive")
    reference = reference_for(idempotency_key)
    if payment_method in DECLINED_METHODS or (card_token is not None and card_token in DECLINED_TOKENS):
        return Decision(approved=False, reference=reference, decline_reason=DECLINE_REASON)
    return Decision(approved=True, reference=reference)
